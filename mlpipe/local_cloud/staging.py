"""Stage ``s3://`` paths to a local mirror for a job run, and sync the run's changes back.

Offline Spark has no s3a (no hadoop-aws jar), so the local runtimes give jobs local paths:
``pull(uri)`` downloads the object or every object under the prefix into
``<root>/<bucket>/<key>``; after the run ``push()`` makes each pulled prefix in S3 equal
to the local copy: new and changed files are uploaded, and objects the job deleted are
deleted (our jobs replace a ``run_date=`` partition by delete + rename). Hidden files
(Hadoop's ``.crc`` checksums) are never uploaded.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from mlpipe.aws import split_s3


def _md5(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def list_keys(s3, bucket: str, prefix: str) -> dict[str, str]:
    """key -> ETag (unquoted) for every object under ``prefix`` (paginated)."""
    out: dict[str, str] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            out[obj["Key"]] = obj["ETag"].strip('"')
    return out


class S3Mirror:
    def __init__(self, s3, root: Path):
        self.s3 = s3
        self.root = Path(root)
        self._tracked: dict[
            tuple[str, str], dict[str, str]
        ] = {}  # (bucket, prefix) -> remote snapshot

    def to_uris(self, text: str) -> str:
        """Rewrite mirror paths in ``text`` (job errors, logs) back to the s3:// URIs users passed."""
        return text.replace(f"{self.root}/", "s3://")

    def local(self, bucket: str, key: str) -> Path:
        return self.root / bucket / key

    def pull_object(self, uri: str) -> Path:
        bucket, key = split_s3(uri)
        path = self.local(bucket, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.s3.download_file(bucket, key, str(path))
        return path

    def pull(self, uri: str) -> str:
        """Local path for ``uri``: an object is downloaded; a prefix is mirrored and tracked."""
        bucket, key = split_s3(uri)
        if key and not key.endswith("/"):
            exact = list_keys(self.s3, bucket, key)
            if key in exact and not any(k.startswith(key + "/") for k in exact):
                return str(self.pull_object(uri))
        prefix = key if (not key or key.endswith("/")) else key + "/"
        remote = list_keys(self.s3, bucket, prefix)
        base = self.local(bucket, prefix)
        base.mkdir(parents=True, exist_ok=True)
        for obj_key in remote:
            if obj_key.endswith("/"):
                continue
            target = self.local(bucket, obj_key)
            target.parent.mkdir(parents=True, exist_ok=True)
            self.s3.download_file(bucket, obj_key, str(target))
        self._tracked[(bucket, prefix)] = remote
        local = str(base)
        return local + "/" if key.endswith("/") or not key else local

    def push(self) -> dict[str, int]:
        """Upload new/changed files and delete removed objects under every pulled prefix."""
        stats = {"uploaded": 0, "deleted": 0}
        for (bucket, prefix), remote in self._tracked.items():
            base = self.local(bucket, prefix)
            seen: set[str] = set()
            for dirpath, dirnames, filenames in os.walk(base):
                dirnames[:] = [d for d in dirnames if not d.startswith(".")]
                for name in filenames:
                    if name.startswith("."):
                        continue
                    path = Path(dirpath) / name
                    key = prefix + path.relative_to(base).as_posix()
                    seen.add(key)
                    if remote.get(key) != _md5(path):
                        self.s3.upload_file(str(path), bucket, key)
                        stats["uploaded"] += 1
            gone = [k for k in remote if k not in seen and not k.endswith("/")]
            for start in range(0, len(gone), 1000):
                batch = gone[start : start + 1000]
                self.s3.delete_objects(
                    Bucket=bucket, Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True}
                )
                stats["deleted"] += len(batch)
        return stats
