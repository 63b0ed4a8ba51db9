"""The server process itself: start, ready, stop, and nothing left behind."""

import os
from pathlib import Path

import pytest

from mlpipe.local_cloud.control import LocalCloud
from tests.integration.conftest import free_port

pytestmark = pytest.mark.server


def processes_mentioning(text: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if text in (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(
                    errors="replace"
                ):
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def living_members(pgids: list[int]) -> list[int]:
    """Processes (not zombies) in any of the process groups ``pgids``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) in pgids and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def test_up_twice_then_down_leaves_no_process(tmp_path):
    cloud = LocalCloud(tmp_path / "state", port=free_port())
    assert cloud.start() == "started"
    assert cloud.start() == "already running"
    pid = cloud.pid()
    assert pid and cloud.is_ready()
    assert cloud.stop() is True
    assert cloud.pid() is None and not cloud.pid_file.exists()
    assert not cloud.is_ready()
    assert processes_mentioning(str(tmp_path / "state")) == []
    assert cloud.stop() is False  # stopping twice is harmless
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


# --------------------------------------------------------------------------- lifecycle (issue 14)


def _s3(cloud):
    from mlpipe.aws import endpoint_client

    return endpoint_client("s3", cloud.endpoint, verify=str(cloud.ca_bundle))


@pytest.mark.timeout(30)
def test_a_busy_port_is_refused_at_once(tmp_path):
    import socket
    import time

    from mlpipe.local_cloud.control import LocalCloudError

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        cloud = LocalCloud(tmp_path / "state", port=busy.getsockname()[1])
        started = time.monotonic()
        with pytest.raises(LocalCloudError, match="not free"):
            cloud.start()
        assert time.monotonic() - started < 5
    assert cloud.pid() is None and not cloud.pid_file.exists()
    assert processes_mentioning(str(tmp_path / "state")) == []


@pytest.mark.timeout(90)
def test_a_second_instance_is_refused_and_the_first_keeps_running(tmp_path):
    from mlpipe.local_cloud.control import LocalCloudError, port_free, running_endpoint

    first = LocalCloud(tmp_path / "state", port=free_port())
    first.start()
    try:
        second = LocalCloud(tmp_path / "state", port=free_port())
        with pytest.raises(LocalCloudError, match="already runs"):
            second.start()
        assert running_endpoint(tmp_path / "state") == first.endpoint
        assert first.is_ready() and port_free("127.0.0.1", second.port) is None
    finally:
        first.stop()
    assert running_endpoint(tmp_path / "state") is None


@pytest.mark.timeout(90)
def test_a_restart_starts_empty_and_says_the_previous_state_is_gone(tmp_path):
    cloud = LocalCloud(tmp_path / "state", port=free_port())
    cloud.start()
    try:
        assert cloud.previous_session is None
        _s3(cloud).create_bucket(Bucket="before-restart")
    finally:
        cloud.stop()
    cloud.start()
    try:
        assert cloud.previous_session  # what local.up turns into the redeploy message
        assert _s3(cloud).list_buckets()["Buckets"] == []
    finally:
        cloud.stop()


def alive_pid(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_jobs_and_work_dirs_do_not_outlive_a_killed_server(tmp_path):
    """spark-submit jobs (no warm driver): the job's leader dies with the server (parent-death
    signal); whatever it started is killed by the next stop (recorded process groups)."""
    import signal
    import time

    from tests.integration.glue_helpers import TinyJob

    state = tmp_path / "state"
    cloud = LocalCloud(state, port=free_port(), env={"MLPIPE_WARM_SPARK": "0"})
    cloud.start()
    pid = cloud.pid()
    job = TinyJob(cloud)
    run_id = job.start(run_date="2023-08-01", sleep="120")
    job.wait(run_id, states={"RUNNING"}, timeout=60)
    deadline = time.monotonic() + 120
    while not list((state / "jobs").glob("*")) and time.monotonic() < deadline:
        time.sleep(0.5)
    recorded = [int(p.name) for p in (state / "jobs").glob("*")]
    assert recorded and list((state / "glue-runs").iterdir())
    time.sleep(3)  # the job's Python driver is up under its JVM
    os.kill(pid, signal.SIGKILL)  # no chance to clean up after itself
    deadline = time.monotonic() + 30
    while any(alive_pid(p) for p in recorded) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not any(alive_pid(p) for p in recorded)  # the leaders died with the server
    cloud.stop()  # the server is dead: its recorded job groups and work dirs go here
    time.sleep(0.5)
    assert living_members(recorded) == []
    assert not (state / "glue-runs").exists()
    assert processes_mentioning(str(state)) == []
