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
