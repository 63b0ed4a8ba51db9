"""A warm Spark driver for the local cloud: runs job scripts one after another in one JVM.

    python -m mlpipe.local_cloud.spark_worker [--log <path>]

Protocol: one JSON request per stdin line ``{"script", "argv", "py_files", "workdir"}``; one
JSON reply per line on the original stdout ``{"code", "stdout", "stderr"}``. A health check
``{"ping": true}`` is answered ``{"pong": true}`` when a call into the JVM succeeds, else
``{"pong": false, "error": ...}``. (``--log`` only names the parent's log file, so a worker
can be told apart from other servers' workers in the process list.) Everything else
that writes to fd 1 (the JVM included) is sent to stderr, so replies stay clean.

Isolation between runs: the script runs as ``__main__`` with its own ``sys.argv``; its
``--py-files`` are put on ``sys.path`` for that run only, and every module loaded from the
run's work dir is dropped afterwards, so the next run imports its own copy. A Python exception
or ``sys.exit`` fails only that run. A run that hangs or kills the JVM is handled by the parent
(``WarmSpark``), which kills this process and starts a new one for the next run.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import runpy
import sys
import traceback
import zipfile
from collections.abc import Collection
from pathlib import Path
from typing import Any

# "0" turns off the warm-up run when the driver starts (the test suite does: most of its local
# clouds never run a Glue job, and those that do pay the same cost on their first run)
WARM_UP_ENV = "MLPIPE_WARM_UP"


def _forget(loaded_from: str | None = None, named: Collection[str] = ()) -> None:
    """Forget loaded modules whose file is under ``loaded_from`` or whose top-level name is in
    ``named`` (submodules included), so the next import loads them afresh."""
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None) or ""
        if (loaded_from and path.startswith(loaded_from)) or name.split(".", 1)[0] in named:
            del sys.modules[name]


def shipped_names(py_files: list[str]) -> set[str]:
    """Top-level module and package names that ``py_files`` (dirs, zips, .py files) provide."""
    names: set[str] = set()
    for entry in py_files:
        path = Path(entry)
        if path.is_dir():
            names |= {c.stem if c.suffix == ".py" else c.name for c in path.iterdir()}
        elif path.suffix == ".py":
            names.add(path.stem)
        elif zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                names |= {Path(n.split("/", 1)[0]).stem for n in zf.namelist()}
    return {n for n in names if n.isidentifier()}


# What the driver itself runs on: a run shipping a module of one of these names still gets the
# driver's (forgetting ``json`` or ``pyspark`` here would break the driver, not just the run).
KEPT = frozenset(sys.stdlib_module_names) | {"pyspark", "py4j", "mlpipe"}


def run_one(request: dict[str, Any]) -> dict[str, Any]:
    out, err = io.StringIO(), io.StringIO()
    # A run that ships its own copy of a module imports that copy, not one this process loaded
    # before (the driver itself imports churn_transforms for its session settings and warm-up).
    _forget(named=shipped_names(request.get("py_files", [])) - KEPT)
    added = [p for p in request.get("py_files", []) if p not in sys.path]
    sys.path[:0] = added
    old_argv = sys.argv
    sys.argv = [request["script"], *request["argv"]]
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                runpy.run_path(request["script"], run_name="__main__")
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
                if exc.code not in (None, 0) and not isinstance(exc.code, int):
                    print(exc.code, file=sys.stderr)
            except BaseException:
                traceback.print_exc()
                code = 1
    finally:
        sys.argv = old_argv
        for path in added:
            with contextlib.suppress(ValueError):
                sys.path.remove(path)
            sys.path_importer_cache.pop(path, None)
        _forget(loaded_from=request.get("workdir") or None)
    return {"code": code, "stdout": out.getvalue(), "stderr": err.getvalue()}


def ping(spark: Any) -> dict[str, Any]:
    try:
        spark.sparkContext._jvm.java.lang.System.currentTimeMillis()
        return {"pong": True}
    except Exception as exc:  # py4j: connection refused once the JVM is gone
        return {"pong": False, "error": f"{type(exc).__name__}: {exc}"[:500]}


def warm(spark: Any) -> dict[str, Any]:
    """Run ``mlpipe.spark.warm_up`` once unless ``$MLPIPE_WARM_UP`` is "0", so the first Glue
    run after ``invoke local.up`` costs about what later runs cost (``invoke bench --e2e``
    shows the first and a warm run). A failed warm-up is reported, never fatal."""
    if os.environ.get(WARM_UP_ENV, "1") == "0":
        return {}
    from mlpipe.spark import warm_up

    try:
        return {"warm_up_s": round(warm_up(spark), 2)}
    except Exception as exc:  # noqa: BLE001 - the driver still serves runs
        return {"warm_up_error": f"{type(exc).__name__}: {exc}"[:500]}


def main() -> int:
    replies = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # the JVM and any stray print go to stderr, never into the protocol
    sys.stdout = sys.__stdout__ = os.fdopen(1, "w", buffering=1, closefd=False)  # type: ignore[misc]  # the JVM's fd 1 is stderr now; Python's stdout must follow
    from mlpipe.spark import MASTER, local_session

    # the one place for Spark session settings (the jobs', spark-submit's and the tests')
    spark = local_session(
        "mlpipe-warm-driver", master=os.environ.get("MLPIPE_SPARK_MASTER", MASTER)
    )
    replies.write(json.dumps({"ready": True, **warm(spark)}) + "\n")
    for line in sys.stdin:
        if line.strip():
            request = json.loads(line)
            reply = ping(spark) if request.get("ping") else run_one(request)
            replies.write(json.dumps(reply) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
