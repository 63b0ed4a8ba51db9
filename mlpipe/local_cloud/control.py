"""Start, stop and inspect the local cloud server process (pid file, log file, ready check)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import boto3
from botocore.config import Config


@dataclass
class LocalCloud:
    state_dir: Path
    host: str = "127.0.0.1"
    port: int = 4566
    env: dict = field(default_factory=dict)  # extra environment for the server process

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid_file(self) -> Path:
        return Path(self.state_dir) / "server.pid"

    @property
    def log_file(self) -> Path:
        return Path(self.state_dir) / "server.log"

    def pid(self) -> int | None:
        """The server's pid if its process is alive."""
        try:
            pid = int(self.pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        return pid if alive(pid) else None

    def is_ready(self) -> bool:
        sts = boto3.client(
            "sts",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
            config=Config(connect_timeout=1, read_timeout=3, retries={"max_attempts": 0}),
        )
        try:
            sts.get_caller_identity()
            return True
        except Exception:
            return False

    def start(self, timeout: float = 60.0) -> str:
        """Start in the background; returns 'started' or 'already running'."""
        if self.pid() and self.is_ready():
            return "already running"
        if self.is_ready():
            raise RuntimeError(
                f"port {self.port} is already serving something else (not our pid file {self.pid_file})"
            )
        Path(self.state_dir).mkdir(parents=True, exist_ok=True)
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
        self.pid_file.write_text(f"{proc.pid} {self.port}\n")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"local cloud exited with code {proc.returncode}: {self.last_log_line()}"
                )
            if self.is_ready():
                return "started"
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"local cloud not ready after {timeout:.0f}s (log: {self.log_file})")

    def stop(self, timeout: float = 20.0) -> bool:
        """SIGTERM (the server kills its job processes), SIGKILL after ``timeout``. True if it was running."""
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and alive(pid):
            time.sleep(0.1)
        if alive(pid):
            os.killpg(pid, signal.SIGKILL)
            while alive(pid) and time.monotonic() < deadline + 5:
                time.sleep(0.1)
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
