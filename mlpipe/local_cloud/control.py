"""Start, stop and inspect the local cloud server process (pid file, log file, ready check).

The pid file ``<state_dir>/server.pid`` holds ``"<pid> <port> <host>"`` while a server runs:
``running_endpoint(state_dir)`` reads it, so every task and client uses the port the running
server was started on. One server per state dir: a second ``start`` on another port is refused
instead of overwriting the pid file. Job process groups are recorded under ``<state_dir>/jobs``
(see ``process.py``) so ``stop`` kills them even when the server itself had to be SIGKILLed,
and the job work dirs are removed. moto keeps everything in memory: a restart begins empty,
and ``start`` reports that a previous session's state is gone (``LocalCloud.previous_session``).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import boto3
from botocore.config import Config

from mlpipe.local_cloud.tls import ca_path
from mlpipe.targets import shown

WORK_DIRS = ("glue-runs", "emr-steps", "transforms")
JOBS_DIR = "jobs"
SESSION_FILE = "server.session"  # written at start; its presence at the next start = state lost
REDEPLOY_HINT = "invoke deploy --target local"


class LocalCloudError(RuntimeError):
    """A one-line reason the local cloud cannot start (busy port, second instance...)."""


def parse_port(value: object) -> int:
    """A TCP port from a CLI value; ``LocalCloudError`` (one line) for anything else."""
    try:
        port = int(str(value).strip())
    except (TypeError, ValueError):
        raise LocalCloudError(
            f"port must be a number from 1 to 65535, got {shown(value)}"
        ) from None
    if not 1 <= port <= 65535:
        raise LocalCloudError(f"port must be a number from 1 to 65535, got {shown(value)}")
    return port


def port_free(host: str, port: int) -> str | None:
    """None if ``host:port`` can be bound now, else the reason (e.g. 'Address already in use')."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as werkzeug does
        try:
            sock.bind((host, port))
        except OSError as exc:
            return exc.strerror or str(exc)
    return None


@dataclass(frozen=True)
class PidFile:
    pid: int
    port: int
    host: str = "127.0.0.1"

    @classmethod
    def read(cls, path: Path) -> PidFile | None:
        try:
            parts = Path(path).read_text().split()
            return cls(int(parts[0]), int(parts[1]), parts[2] if len(parts) > 2 else "127.0.0.1")
        except (OSError, ValueError, IndexError):
            return None

    def write(self, path: Path) -> None:
        tmp = Path(f"{path}.tmp")
        tmp.write_text(f"{self.pid} {self.port} {self.host}\n")
        tmp.replace(path)


def running_endpoint(state_dir: str | Path) -> str | None:
    """``https://host:port`` of the local cloud running from ``state_dir``, or None if none runs."""
    found = PidFile.read(Path(state_dir) / "server.pid")
    if found is None or not alive(found.pid):
        return None
    return f"https://{found.host}:{found.port}"


def endpoint_reachable(endpoint: str | None, ca_bundle: str | None = None) -> bool:
    """True when an AWS API answers at ``endpoint`` (STS GetCallerIdentity, 1-3 s timeouts)."""
    if not endpoint:
        return False
    sts = boto3.client(
        "sts",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(connect_timeout=1, read_timeout=3, retries={"max_attempts": 0}),
        verify=ca_bundle if ca_bundle else False,
    )
    try:
        sts.get_caller_identity()
        return True
    except Exception:
        return False


@dataclass
class LocalCloud:
    state_dir: Path
    host: str = "127.0.0.1"
    port: int = 4566
    env: dict[str, str] = field(default_factory=dict)  # extra environment for the server process
    previous_session: str | None = field(default=None, init=False)  # set by start()

    @property
    def endpoint(self) -> str:
        return f"https://{self.host}:{self.port}"

    @property
    def ca_bundle(self) -> Path:
        """The CA that signs the server's certificate (see tls.py): clients verify with it."""
        return ca_path(self.state_dir)

    @property
    def pid_file(self) -> Path:
        return Path(self.state_dir) / "server.pid"

    @property
    def log_file(self) -> Path:
        return Path(self.state_dir) / "server.log"

    @property
    def session_file(self) -> Path:
        return Path(self.state_dir) / SESSION_FILE

    def running(self) -> PidFile | None:
        """The pid file's entry if its server process is alive."""
        found = PidFile.read(self.pid_file)
        return found if found and alive(found.pid) else None

    def pid(self) -> int | None:
        """The server's pid if its process is alive."""
        found = self.running()
        return found.pid if found else None

    def is_ready(self) -> bool:
        return endpoint_reachable(
            self.endpoint, str(self.ca_bundle) if self.ca_bundle.exists() else None
        )

    def start(self, timeout: float = 60.0) -> str:
        """Start in the background; returns 'started' or 'already running'.

        Raises ``LocalCloudError`` at once for a second instance on another port or a busy
        port. After 'started', ``previous_session`` names the time a previous server ran from
        this state dir (its deployments, objects and history are gone), else None."""
        current = self.running()
        if current:
            if current.port == self.port and self.is_ready():
                return "already running"
            raise LocalCloudError(
                f"a local cloud already runs from {self.state_dir} (pid {current.pid}, port "
                f"{current.port}): run `invoke local.down` first"
            )
        busy = port_free(self.host, self.port)
        if busy:
            raise LocalCloudError(f"port {self.port} on {self.host} is not free: {busy}")
        state = Path(self.state_dir)
        state.mkdir(parents=True, exist_ok=True)
        reap_jobs(state / JOBS_DIR)  # left by a server that was killed
        remove_work_dirs(state)
        self.previous_session = _read_session(self.session_file)
        cmd = [
            sys.executable,
            "-m",
            "mlpipe.local_cloud.server",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--state-dir",
            str(self.state_dir),
        ]
        with open(self.log_file, "ab") as log:
            proc = subprocess.Popen(
                cmd,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                env={**os.environ, **self.env},
            )
        PidFile(proc.pid, self.port, self.host).write(self.pid_file)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                self.pid_file.unlink(missing_ok=True)
                raise LocalCloudError(
                    f"local cloud exited with code {proc.returncode}: {self.last_log_line()}"
                )
            if self.is_ready():
                self.session_file.write_text(time.strftime("%Y-%m-%d %H:%M:%S") + "\n")
                return "started"
            time.sleep(0.2)
        self.stop()
        raise LocalCloudError(f"local cloud not ready after {timeout:.0f}s (log: {self.log_file})")

    def stop(self, timeout: float = 20.0) -> bool:
        """SIGTERM (the server kills its job processes), SIGKILL after ``timeout``; then kill any
        job process group left behind and remove the job work dirs. True if it was running."""
        pid = self.pid()
        state = Path(self.state_dir)
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            reap_jobs(state / JOBS_DIR)
            remove_work_dirs(state)
            return False
        os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and alive(pid):
            time.sleep(0.1)
        if alive(pid):
            os.killpg(pid, signal.SIGKILL)
            while alive(pid) and time.monotonic() < deadline + 5:
                time.sleep(0.1)
        reap_jobs(state / JOBS_DIR)
        remove_work_dirs(state)
        self.pid_file.unlink(missing_ok=True)
        return True

    def last_log_line(self) -> str:
        try:
            lines = [
                ln for ln in self.log_file.read_text(errors="replace").splitlines() if ln.strip()
            ]
        except OSError:
            return "(no log)"
        return lines[-1] if lines else "(empty log)"


def state_lost_message(previous_session: str) -> str:
    return (
        f"note: the local cloud keeps its state in memory; everything from the session started "
        f"{previous_session} (deployments, S3 objects, run history) is gone. "
        f"Redeploy with `{REDEPLOY_HINT}`."
    )


def _read_session(path: Path) -> str | None:
    try:
        return path.read_text().strip() or "earlier"
    except OSError:
        return None


def remove_work_dirs(state_dir: Path) -> None:
    for sub in WORK_DIRS:
        shutil.rmtree(Path(state_dir) / sub, ignore_errors=True)


def process_start_time(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (field 22 of /proc/<pid>/stat): tells a recorded
    process from a later one that reused its pid."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def reap_jobs(jobs_dir: Path) -> list[int]:
    """SIGKILL every recorded job process group whose leader is still the recorded process."""
    killed = []
    for entry in Path(jobs_dir).glob("*") if Path(jobs_dir).is_dir() else []:
        try:
            pgid, started = entry.read_text().split()[:2]
            pgid_int = int(pgid)
        except (OSError, ValueError):
            entry.unlink(missing_ok=True)
            continue
        if process_start_time(pgid_int) == started:
            try:
                os.killpg(pgid_int, signal.SIGKILL)
                killed.append(pgid_int)
            except ProcessLookupError:
                pass
        entry.unlink(missing_ok=True)
    return killed


def alive(pid: int) -> bool:
    """True while ``pid`` runs. Reaps it if it is our exited child, and a zombie counts as dead."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    except ChildProcessError:
        pass  # not our child
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"
