"""The embedded local cloud (moto + mlpipe runtimes) on 127.0.0.1."""

from __future__ import annotations

from invoke import Context, Exit, task

from mlpipe.local_cloud.control import (
    LocalCloud,
    LocalCloudError,
    PidFile,
    parse_port,
    state_lost_message,
)
from mlpipe.local_cloud.server import PRESTART_ENV
from mlpipe.tasks._common import fail, repo_path, setting


def cloud(c: Context, port: str | int | None = None) -> LocalCloud:
    """The local cloud of this state dir: on ``port`` if given, else on the running server's
    port, else on ``mlpipe.local_port``."""
    state_dir = repo_path(setting(c, "local_state_dir"))
    if port in (None, ""):
        running = PidFile.read(state_dir / "server.pid")
        port = running.port if running else setting(c, "local_port")
    try:
        # a user's local cloud starts its warm Spark driver at once (first run without a JVM wait)
        return LocalCloud(state_dir, port=parse_port(port), env={PRESTART_ENV: "1"})
    except LocalCloudError as exc:
        raise Exit(f"error: {exc}", code=2) from None


@task(help={"port": "port to serve on (default: mlpipe.local_port, 4566)"})
def up(c: Context, port: str | None = None) -> None:
    """Start the local cloud in the background (pid + log file, waits until ready)."""
    lc = cloud(c, port if port not in (None, "") else setting(c, "local_port"))
    try:
        outcome = lc.start()
    except LocalCloudError as exc:
        fail(str(exc))
    print(f"local cloud {outcome} at {lc.endpoint} (pid {lc.pid()}, log {lc.log_file})")
    if lc.previous_session:
        print(state_lost_message(lc.previous_session))


@task(help={"port": "port it serves on (default: mlpipe.local_port)"})
def down(c: Context, port: str | None = None) -> None:
    """Stop the local cloud and every job process it started."""
    lc = cloud(c, port)
    print("local cloud stopped" if lc.stop() else "local cloud was not running")


@task(help={"port": "port it serves on (default: mlpipe.local_port)"})
def status(c: Context, port: str | None = None) -> None:
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


@task(
    help={
        "rule": "EventBridge rule name (default: the emr schedule)",
        "target": "target (default: mlpipe.target)",
        "env": "environment (default: mlpipe.env)",
    }
)
def tick(
    c: Context, rule: str | None = None, target: str | None = None, env: str | None = None
) -> None:
    """Fire an EventBridge schedule rule now (starts its Step Functions targets)."""
    from mlpipe.aws import client
    from mlpipe.local_cloud.scheduler import fire
    from mlpipe.targets import shown
    from mlpipe.tasks._common import aws_calls, settings_for

    settings = settings_for(c, target, env)
    rule = rule or settings.name("emr_schedule")
    events = client(settings, "events")
    try:
        with aws_calls(settings):
            started = fire(events, client(settings, "stepfunctions"), rule)
    except events.exceptions.ResourceNotFoundException:
        fail(f"no rule named {shown(rule)}: run `invoke deploy --target local` first", code=2)
    for arn in started:
        print(f"started {arn}")
    if not started:
        fail(f"rule {shown(rule)} has no Step Functions target", code=1)
