"""Job processes for the local runtimes: own process group, hard timeout, tracked for shutdown.

Every job process (spark-submit, the warm driver) leads its own process group, so a timeout or
a stop kills the whole tree. Two things tie jobs to the server's life: each job gets
``PDEATHSIG=KILL`` (through ``setpriv``, where present) so it dies with the server process (it
is forked from one long-lived thread, ``spawn``: Linux sends the signal when the forking
*thread* exits), and its process group is recorded as ``<record_dir>/<pgid>`` ("pgid
starttime") while it runs, so ``control.reap_jobs`` can kill what a SIGKILLed server left behind.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlpipe.local_cloud.spark_worker import WARM_UP_ENV


@dataclass
class Outcome:
    code: int | None
    stdout: str
    stderr: str
    timed_out: bool = False
    killed: bool = False
    driver_died: bool = False  # the warm driver died under the run: retry on a fresh one


def with_parent_death_signal(cmd: list[str]) -> list[str]:
    """``cmd`` prefixed so that it gets SIGKILL when its parent dies (Linux ``setpriv``)."""
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "KILL", "--", *cmd] if setpriv else list(cmd)


# Linux sends a child's parent-death signal when the *thread* that forked it exits, not the
# process: a warm driver started by the prestart thread or by a run's thread was SIGKILLed as
# soon as that thread ended. Every fork happens on this executor's one thread, which lives as
# long as the process.
_forker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spawner")


def spawn(cmd: list[str], **kwargs: Any) -> subprocess.Popen[str]:
    """``subprocess.Popen(cmd, **kwargs)``, SIGKILLed when this process dies (not before, whatever
    thread calls it)."""

    def fork() -> subprocess.Popen[str]:
        return subprocess.Popen(with_parent_death_signal(cmd), **kwargs)

    return _forker.submit(fork).result()


def record(record_dir: Path | None, proc: subprocess.Popen[str]) -> Path | None:
    """Write ``<record_dir>/<pgid>`` = "pgid starttime" for a process group leader."""
    if record_dir is None:
        return None
    from mlpipe.local_cloud.control import process_start_time

    Path(record_dir).mkdir(parents=True, exist_ok=True)
    entry = Path(record_dir) / str(proc.pid)
    entry.write_text(f"{proc.pid} {process_start_time(proc.pid)}\n")
    return entry


def unrecord(entry: Path | None) -> None:
    if entry is not None:
        entry.unlink(missing_ok=True)


class ProcessRegistry:
    """Starts job processes in their own session and can kill them all (server shutdown,
    cluster termination) or one by key (a stopped job run)."""

    def __init__(self, record_dir: Path | None = None):
        self.record_dir = record_dir
        self._procs: dict[str, subprocess.Popen[str]] = {}
        self._killed: set[str] = set()
        self._lock = threading.Lock()

    def run(self, key: str, cmd: list[str], cwd: Path, timeout: float | None = None) -> Outcome:
        env = {
            **os.environ,
            "PYSPARK_PYTHON": os.environ.get(
                "PYSPARK_PYTHON", shutil.which("python3") or "python3"
            ),
        }
        proc = spawn(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=cwd,
            env=env,
            start_new_session=True,
        )
        entry = record(self.record_dir, proc)
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
            unrecord(entry)
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


def kill_group(proc: subprocess.Popen[str]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


class WarmSpark:
    """The parent side of ``spark_worker``: one warm driver, started on first use. Before each
    run a ping checks that the driver and its JVM answer; a dead one (a JVM killed by the OOM
    killer, say) is replaced first. A run whose driver dies under it returns
    ``Outcome(driver_died=True)`` so the caller can retry it once on a fresh driver. ``run``
    returns None when the driver is busy (the caller then uses spark-submit), so concurrent
    runs never wait for each other."""

    def __init__(
        self,
        log_path: Path,
        start_timeout: float = 120.0,
        record_dir: Path | None = None,
        ping_timeout: float = 15.0,
    ):
        self.log_path = Path(log_path)
        self.start_timeout = start_timeout
        self.ping_timeout = ping_timeout
        self.record_dir = record_dir
        self._proc: subprocess.Popen[str] | None = None
        self._record: Path | None = None
        self._busy = threading.Lock()
        self._current: str | None = None
        self._stopped: set[str] = set()
        self.replaced = 0  # drivers replaced after failing a health check (for tests, logs)
        self._prestarting = threading.Event()
        self.ready_reply: dict[str, Any] = {}

    def prestart(self) -> threading.Thread:
        """Start the driver in the background now (the local cloud does at start-up), so the
        first Glue run does not pay the JVM start; a run arriving meanwhile waits for it."""

        def start() -> None:
            with self._busy:
                try:
                    if self._proc is None:
                        self._proc = self._start(warm_up=True)
                except Exception:  # the first run starts (or falls back) as before
                    self._proc = None
                finally:
                    self._prestarting.clear()

        self._prestarting.set()
        thread = threading.Thread(target=start, name="warm-spark-prestart", daemon=True)
        thread.start()
        return thread

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def _start(self, warm_up: bool = False) -> subprocess.Popen[str]:
        """A new driver. ``warm_up`` (the prestart only): it runs its warm-up before it answers
        ready (unless ``$MLPIPE_WARM_UP`` is "0"); a driver started for a waiting run does not,
        since that run warms it up anyway."""
        log = open(self.log_path, "ab")  # noqa: SIM115 - the worker keeps it for its lifetime
        env = {**os.environ, "PYSPARK_PYTHON": os.environ.get("PYSPARK_PYTHON", sys.executable)}
        if not warm_up:
            env[WARM_UP_ENV] = "0"
        cmd = [sys.executable, "-m", "mlpipe.local_cloud.spark_worker", "--log", str(self.log_path)]
        proc = spawn(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env=env,
            start_new_session=True,
        )
        log.close()
        self._record = record(self.record_dir, proc)
        reply = self._read(proc, self.start_timeout)
        self.ready_reply = reply or {}  # {"ready": true, "warm_up_s": ...}, for logs and tests
        if not reply or not reply.get("ready"):
            kill_group(proc)
            proc.wait()
            unrecord(self._record)
            raise RuntimeError(f"warm Spark driver did not start (log: {self.log_path})")
        return proc

    @staticmethod
    def _read(proc: subprocess.Popen[str], timeout: float) -> dict[str, Any] | None:
        assert proc.stdout is not None  # started with stdout=PIPE
        ready, _, _ = select.select([proc.stdout], [], [], timeout)
        line = proc.stdout.readline() if ready else ""
        try:
            reply: dict[str, Any] | None = json.loads(line) if line else None
            return reply
        except json.JSONDecodeError:
            return None

    def healthy(self) -> bool:
        """The worker process runs and its JVM answers a call within ``ping_timeout``."""
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return False
        assert proc.stdin is not None  # started with stdin=PIPE
        try:
            proc.stdin.write(json.dumps({"ping": True}) + "\n")
            proc.stdin.flush()
        except (BrokenPipeError, OSError):
            return False
        reply = self._read(proc, self.ping_timeout)
        return bool(reply and reply.get("pong"))

    def run(
        self,
        script: str,
        argv: list[str],
        py_files: list[str],
        workdir: Path,
        timeout: float,
        key: str | None = None,
    ) -> Outcome | None:
        acquired = self._busy.acquire(blocking=False)
        if not acquired and self._prestarting.is_set():  # the driver is starting: worth waiting
            acquired = self._busy.acquire(timeout=self.start_timeout)
        if not acquired:
            return None
        try:
            if self._proc is not None and not self.healthy():
                self.stop()
                self.replaced += 1
            if self._proc is None:
                self._proc = self._start()
            self._current = key
            if key in self._stopped:
                return Outcome(None, "", "", killed=True)
            request = {
                "script": script,
                "argv": argv,
                "py_files": py_files,
                "workdir": str(workdir),
            }
            assert self._proc.stdin is not None and self._proc.stdout is not None
            try:
                self._proc.stdin.write(json.dumps(request) + "\n")
                self._proc.stdin.flush()
            except (BrokenPipeError, OSError):
                self.stop()
                return Outcome(1, "", "the warm Spark driver was gone", driver_died=True)
            ready, _, _ = select.select([self._proc.stdout], [], [], timeout)
            if not ready:
                self.stop()
                return Outcome(None, "", "", timed_out=True)
            line = self._proc.stdout.readline()
            if not line:
                self.stop()
                if key is not None and key in self._stopped:
                    return Outcome(None, "", "", killed=True)
                return Outcome(1, "", "the warm Spark driver died during the run", driver_died=True)
            reply = json.loads(line)
            outcome = Outcome(reply["code"], reply["stdout"], reply["stderr"])
            if outcome.code != 0 and not self.healthy():  # the JVM died under the run
                self.stop()
                outcome.driver_died = True
            return outcome
        finally:
            self._current = None
            if key is not None:
                self._stopped.discard(key)
            self._busy.release()

    def kill(self, key: str) -> bool:
        """Stop the run ``key`` if it is the one on the driver (the driver goes with it)."""
        proc = self._proc
        if key != self._current or proc is None:
            return False
        self._stopped.add(key)
        kill_group(proc)
        return True

    def stop(self) -> None:
        if self._proc is not None:
            kill_group(self._proc)
            self._proc.wait()
            self._proc = None
        unrecord(self._record)
        self._record = None
