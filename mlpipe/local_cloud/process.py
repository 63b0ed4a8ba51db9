"""Job processes for the local runtimes: own process group, hard timeout, tracked for shutdown."""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Outcome:
    code: int | None
    stdout: str
    stderr: str
    timed_out: bool = False
    killed: bool = False


class ProcessRegistry:
    """Starts job processes in their own session and can kill them all (server shutdown,
    cluster termination)."""

    def __init__(self):
        self._procs: dict[str, subprocess.Popen] = {}
        self._killed: set[str] = set()
        self._lock = threading.Lock()

    def run(self, key: str, cmd: list[str], cwd: Path, timeout: float | None = None) -> Outcome:
        env = {
            **os.environ,
            "PYSPARK_PYTHON": os.environ.get(
                "PYSPARK_PYTHON", shutil.which("python3") or "python3"
            ),
        }
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=cwd,
            env=env,
            start_new_session=True,
        )
        with self._lock:
            self._procs[key] = proc
        try:
            out, err = proc.communicate(timeout=timeout)
            return Outcome(proc.returncode, out, err, killed=key in self._killed)
        except subprocess.TimeoutExpired:
            kill_group(proc)
            out, err = proc.communicate()
            return Outcome(proc.returncode, out, err, timed_out=True)
        finally:
            with self._lock:
                self._procs.pop(key, None)
                self._killed.discard(key)

    def kill(self, key: str) -> bool:
        with self._lock:
            proc = self._procs.get(key)
            if proc:
                self._killed.add(key)
        if proc:
            kill_group(proc)
        return proc is not None

    def kill_all(self) -> None:
        with self._lock:
            keys = list(self._procs)
        for key in keys:
            self.kill(key)


def kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


class WarmSpark:
    """The parent side of ``spark_worker``: one warm driver, started on first use, replaced
    when a run times out or the worker dies. ``run`` returns None when the driver is busy (the
    caller then uses spark-submit), so concurrent runs never wait for each other."""

    def __init__(self, log_path: Path, start_timeout: float = 120.0):
        self.log_path = Path(log_path)
        self.start_timeout = start_timeout
        self._proc: subprocess.Popen | None = None
        self._busy = threading.Lock()

    def _start(self) -> subprocess.Popen:
        log = open(self.log_path, "ab")  # noqa: SIM115 - the worker keeps it for its lifetime
        env = {**os.environ, "PYSPARK_PYTHON": os.environ.get("PYSPARK_PYTHON", sys.executable)}
        proc = subprocess.Popen(
            [sys.executable, "-m", "mlpipe.local_cloud.spark_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env=env,
            start_new_session=True,
        )
        log.close()
        ready, _, _ = select.select([proc.stdout], [], [], self.start_timeout)
        line = proc.stdout.readline() if ready else ""
        if not line or not json.loads(line).get("ready"):
            kill_group(proc)
            raise RuntimeError(f"warm Spark driver did not start (log: {self.log_path})")
        return proc

    def run(
        self, script: str, argv: list[str], py_files: list[str], workdir: Path, timeout: float
    ) -> Outcome | None:
        if not self._busy.acquire(blocking=False):
            return None
        try:
            if self._proc is None or self._proc.poll() is not None:
                self._proc = self._start()
            request = {
                "script": script,
                "argv": argv,
                "py_files": py_files,
                "workdir": str(workdir),
            }
            self._proc.stdin.write(json.dumps(request) + "\n")
            self._proc.stdin.flush()
            ready, _, _ = select.select([self._proc.stdout], [], [], timeout)
            if not ready:
                self.stop()
                return Outcome(None, "", "", timed_out=True)
            line = self._proc.stdout.readline()
            if not line:
                self.stop()
                return Outcome(1, "", "the warm Spark driver died during the run", killed=False)
            reply = json.loads(line)
            return Outcome(reply["code"], reply["stdout"], reply["stderr"])
        finally:
            self._busy.release()

    def stop(self) -> None:
        if self._proc is not None:
            kill_group(self._proc)
            self._proc.wait()
            self._proc = None
