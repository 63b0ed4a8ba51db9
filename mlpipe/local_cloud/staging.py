"""Stage ``s3://`` paths to a local mirror for a job run, and sync the run's changes back.

Offline Spark has no s3a (no hadoop-aws jar), so the local runtimes give jobs local paths:
``pull(uri)`` downloads the object or the objects under the prefix into
``<root>/<bucket>/<key>``; after a *successful* run ``push()`` makes each pulled prefix in S3
equal to the local copy: new and changed files are uploaded (data files first, then the
``_``-named markers that publish them, ``_SUCCESS`` last), and staged objects the job
deleted are deleted (our jobs prune their older runs after publishing a new one). Hidden
files (Hadoop's ``.crc`` checksums) are never uploaded. A failed run is never pushed.

What is staged: ``pull(uri, run_date=D)`` on a prefix that does not itself name a run date
(an output base such as ``curated/churn/``) stages only the ``run_date=D`` partitions under it
(at any depth) and the loose files beside them, never the other run dates: a run's staging
cost does not grow with history. Objects that were not staged are never deleted by ``push``.

Confinement: every key is mapped to a path that must stay inside ``<root>/<bucket>/`` (no
``..``, no absolute keys, no symlink escapes); a key that would leave it raises
``ConfinementError`` and fails the run. ``push`` refuses symlinks the job left in the mirror.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import shutil
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from mlpipe.aws import split_s3

BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.\-_]{1,254}$")
RUN_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Objects are fetched and sent this many at a time: a run stages and publishes dozens of small
# Parquet parts, and one at a time each paid a full round trip to the server.
TRANSFER_THREADS = 8


class ConfinementError(ValueError):
    """An S3 key or path that would leave its staging root: the run fails."""


def valid_run_date(value: str) -> str:
    """``value`` if it is ``YYYY-MM-DD`` and a real date, else ``ValueError`` (one line)."""
    text = str(value)
    try:
        if not RUN_DATE_RE.match(text):
            raise ValueError
        dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"run date must be a real date as YYYY-MM-DD, got {text[:40]!r}") from None
    return text


def _md5(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def list_keys(s3: Any, bucket: str, prefix: str) -> dict[str, str]:
    """key -> ETag (unquoted) for every object under ``prefix`` (paginated)."""
    out: dict[str, str] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            out[obj["Key"]] = obj["ETag"].strip('"')
    return out


def names_run_date(prefix: str) -> bool:
    return any(seg.startswith("run_date=") for seg in prefix.split("/"))


def list_run_date_slice(s3: Any, bucket: str, prefix: str, run_date: str) -> dict[str, str]:
    """key -> ETag under ``prefix`` for the ``run_date=<run_date>`` partitions (at any depth)
    and the loose objects outside any partition; other run dates and ``_``-prefixed
    directories (scratch such as ``_tmp/``) are not even listed."""
    out: dict[str, str] = {}
    pending = [prefix]
    want = f"run_date={run_date}"
    paginator = s3.get_paginator("list_objects_v2")
    while pending:
        current = pending.pop()
        for page in paginator.paginate(Bucket=bucket, Prefix=current, Delimiter="/"):
            for obj in page.get("Contents", []):
                out[obj["Key"]] = obj["ETag"].strip('"')
            for common in page.get("CommonPrefixes", []):
                sub = common["Prefix"]
                segment = sub[len(current) :].rstrip("/")
                if segment == want:
                    out.update(list_keys(s3, bucket, sub))
                elif not segment.startswith(("run_date=", "_", ".")):
                    pending.append(sub)
    return out


class S3Mirror:
    def __init__(self, s3: Any, root: Path):
        self.s3 = s3
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._real_root = Path(os.path.realpath(self.root))
        # (bucket, prefix) -> remote snapshot of what was staged
        self._tracked: dict[tuple[str, str], dict[str, str]] = {}
        self._fetched = 0

    def to_uris(self, text: str) -> str:
        """Rewrite mirror paths in ``text`` (job errors, logs) back to the s3:// URIs users passed."""
        for root in {str(self._real_root), str(self.root)}:
            text = text.replace(f"{root}/", "s3://")
        return text

    def local(self, bucket: str, key: str) -> Path:
        """The mirror path of ``s3://bucket/key``, checked to stay inside ``<root>/<bucket>/``."""
        if not BUCKET_RE.match(bucket or "") or ".." in bucket:
            raise ConfinementError(f"invalid bucket name {bucket[:80]!r}")
        if "\0" in key or key.startswith("/"):
            raise ConfinementError(f"S3 key {key[:200]!r} cannot be staged")
        base = self._real_root / bucket
        path = Path(os.path.realpath(base / key))
        if path != base and base not in path.parents:
            raise ConfinementError(
                f"S3 key {key[:200]!r} in bucket {bucket} would leave the staging directory"
            )
        return path

    def pull_object(self, uri: str) -> Path:
        bucket, key = split_s3(uri)
        path = self.local(bucket, key)
        self._download(bucket, key, path)
        self._fetched += 1
        return path

    def _download(self, bucket: str, key: str, path: Path) -> None:
        """One GET streamed to ``path`` (``download_file`` sends a HEAD first)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        body = self.s3.get_object(Bucket=bucket, Key=key)["Body"]
        with open(path, "wb") as f:
            shutil.copyfileobj(body, f, 1 << 20)

    def pull(self, uri: str, run_date: str | None = None) -> str:
        """Local path for ``uri``: an object is downloaded; a prefix is mirrored and tracked
        (with ``run_date``, only that date's slice of a prefix that names no run date)."""
        bucket, key = split_s3(uri)
        if key and not key.endswith("/"):
            exact = list_keys(self.s3, bucket, key)
            if key in exact and not any(k.startswith(key + "/") for k in exact):
                return str(self.pull_object(uri))
        prefix = key if (not key or key.endswith("/")) else key + "/"
        if run_date and not names_run_date(prefix):
            remote = list_run_date_slice(self.s3, bucket, prefix, valid_run_date(run_date))
        else:
            remote = list_keys(self.s3, bucket, prefix)
        base = self.local(bucket, prefix)
        targets = {k: self.local(bucket, k) for k in remote if not k.endswith("/")}
        base.mkdir(parents=True, exist_ok=True)
        _each(lambda item: self._download(bucket, *item), targets.items())
        self._fetched += len(targets)
        self._tracked[(bucket, prefix)] = remote
        local = str(base)
        return local + "/" if key.endswith("/") or not key else local

    def staged_count(self) -> int:
        """Objects fetched so far: single objects and the contents of pulled prefixes."""
        return self._fetched

    def staged_keys(self) -> dict[tuple[str, str], list[str]]:
        """What was staged, per pulled prefix (for tests and logs)."""
        return {where: sorted(remote) for where, remote in self._tracked.items()}

    def push(self) -> dict[str, int]:
        """Make every pulled prefix equal to the local copy: upload new/changed files (data files
        first, then ``_``-named markers with ``_SUCCESS`` last), then delete the staged objects
        the job removed. Call only after the job succeeded."""
        uploads: list[tuple[Path, str, str]] = []  # (file, bucket, key)
        gone: dict[str, list[str]] = {}
        for (bucket, prefix), remote in self._tracked.items():
            base = self.local(bucket, prefix)
            seen: set[str] = set()
            for dirpath, dirnames, filenames in os.walk(base):
                for name in dirnames + filenames:
                    if os.path.islink(os.path.join(dirpath, name)):
                        raise ConfinementError(
                            f"the job left a symlink in its output: {Path(dirpath, name)}"
                        )
                dirnames[:] = [d for d in dirnames if not d.startswith(".")]
                for name in filenames:
                    if name.startswith("."):
                        continue
                    path = Path(dirpath) / name
                    key = prefix + path.relative_to(base).as_posix()
                    seen.add(key)
                    if remote.get(key) != _md5(path):
                        uploads.append((path, bucket, key))
            gone.setdefault(bucket, []).extend(
                k for k in remote if k not in seen and not k.endswith("/")
            )
        # Data first (in parallel), then the markers that publish it, one at a time: manifests
        # and other "_" files, "_SUCCESS" last. Deletions (a job's pruning of older runs) come
        # after, so a reader never follows a manifest to parts that are not there yet.
        data = [u for u in uploads if not _name(u[2]).startswith("_")]
        markers = sorted(
            (u for u in uploads if _name(u[2]).startswith("_")),
            key=lambda u: (_name(u[2]) == "_SUCCESS", u[2]),
        )
        _each(lambda up: self.s3.upload_file(str(up[0]), up[1], up[2]), data)
        for path, bucket, key in markers:
            self.s3.upload_file(str(path), bucket, key)
        stats = {"uploaded": len(uploads), "deleted": 0}
        for bucket, keys in gone.items():
            for start in range(0, len(keys), 1000):
                batch = keys[start : start + 1000]
                self.s3.delete_objects(
                    Bucket=bucket, Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True}
                )
                stats["deleted"] += len(batch)
        return stats


def _name(key: str) -> str:
    return key.rsplit("/", 1)[-1]


def _each(action: Callable[[Any], None], items: Iterable[Any]) -> None:
    """``action`` on every item, ``TRANSFER_THREADS`` at a time; the first error is raised
    once all have finished (a failed pull or push fails the run)."""
    items = list(items)
    if len(items) <= 1:
        for item in items:
            action(item)
        return
    with ThreadPoolExecutor(min(TRANSFER_THREADS, len(items))) as pool:
        futures = [pool.submit(action, item) for item in items]
    for future in futures:
        future.result()
