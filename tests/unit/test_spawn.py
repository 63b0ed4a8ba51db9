"""Job processes die with the local cloud's process, not with the thread that started them."""

import subprocess
import sys
import threading
import time

import pytest

from mlpipe.local_cloud.process import kill_group, spawn, with_parent_death_signal


def test_a_child_outlives_the_thread_that_started_it():
    box = {}

    def start():
        box["proc"] = spawn(["sleep", "30"], start_new_session=True)
        time.sleep(0.5)  # setpriv has set the signal by now, with this thread as the parent

    thread = threading.Thread(target=start)
    thread.start()
    thread.join()
    proc = box["proc"]
    try:
        time.sleep(0.5)
        assert proc.poll() is None  # a plain Popen on that thread: SIGKILL as it ended
    finally:
        kill_group(proc)
        proc.wait()


@pytest.mark.skipif(
    with_parent_death_signal(["x"]) == ["x"],
    reason="setpriv (util-linux) is missing: job processes cannot get a parent-death signal here",
)
def test_a_child_still_dies_with_its_process():
    code = (
        "import threading\n"
        "from mlpipe.local_cloud.process import spawn\n"
        "t = threading.Thread(target=lambda: print(spawn(['sleep', '30']).pid, flush=True))\n"
        "t.start(); t.join()\n"
    )
    parent = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True
    )
    pid = int(parent.stdout)
    deadline = time.time() + 10
    while time.time() < deadline and _alive(pid):
        time.sleep(0.1)
    assert not _alive(pid)


def test_a_failing_start_raises_in_the_caller():
    with pytest.raises(FileNotFoundError):
        spawn(["true"], cwd="/no/such/dir")


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
