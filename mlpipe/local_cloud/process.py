"""Job processes for the local runtimes: own process group, hard timeout, tracked for shutdown."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
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
