"""The embedded local cloud (moto + mlpipe runtimes) on 127.0.0.1."""

from __future__ import annotations

from invoke import task

from mlpipe.local_cloud.control import LocalCloud
from mlpipe.tasks._common import fail, repo_path, setting


def cloud(c, port=None) -> LocalCloud:
    return LocalCloud(
        repo_path(setting(c, "local_state_dir")), port=int(setting(c, "local_port", port))
    )


@task(help={"port": "port to serve on (default: mlpipe.local_port, 4566)"})
def up(c, port=None):
    """Start the local cloud in the background (pid + log file, waits until ready)."""
    lc = cloud(c, port)
    try:
        outcome = lc.start()
    except RuntimeError as exc:
        fail(str(exc))
    print(f"local cloud {outcome} at {lc.endpoint} (pid {lc.pid()}, log {lc.log_file})")


@task(help={"port": "port it serves on (default: mlpipe.local_port)"})
def down(c, port=None):
    """Stop the local cloud and every job process it started."""
    lc = cloud(c, port)
    print("local cloud stopped" if lc.stop() else "local cloud was not running")


@task(help={"port": "port it serves on (default: mlpipe.local_port)"})
def status(c, port=None):
    """Show whether the local cloud runs, where, and its last log line."""
    lc = cloud(c, port)
    pid = lc.pid()
    ready = lc.is_ready()
    state = "up" if pid and ready else ("starting or unhealthy" if pid else "down")
    print(
        f"local cloud: {state}\n  endpoint: {lc.endpoint}\n  pid: {pid or '-'}\n  log: {lc.log_file}\n  last: {lc.last_log_line()}"
    )
    if state != "up":
        fail("local cloud is not up: run `invoke local.up`", code=3)
