"""Hostile arguments and a cloud that is not there: every task answers with one line and a
non-zero exit, never a traceback, and writes or replaces nothing it should not."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from mlpipe import ROOT
from mlpipe.datagen import HEADER
from mlpipe.tasks import asl, bench, build, data, jobs, local, ops
from mlpipe.tasks import run as run_task
from tests.unit.task_context import ctx, one_line_exit

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def dead_cloud(monkeypatch, tmp_path):
    """Settings pointing at a local port nobody listens on (never someone else's server)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dead = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("INVOKE_MLPIPE_ENDPOINT", dead)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    return ctx(local_state_dir=str(tmp_path / "state"), local_port=port, endpoint=dead)


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda c: ops.status(c), id="status"),
        pytest.param(lambda c: ops.logs(c, "churn"), id="logs"),
        pytest.param(lambda c: ops.graph(c, "churn", execution="x", out="/dev/null"), id="graph"),
        pytest.param(lambda c: local.tick(c), id="local.tick"),
        pytest.param(lambda c: ops.cleanup(c), id="cleanup"),
    ],
)
def test_a_task_against_a_cloud_that_is_not_there_is_one_line(dead_cloud, call):
    message = one_line_exit(lambda: call(dead_cloud), code=3)
    assert "cannot reach http://127.0.0.1:" in message


@pytest.mark.parametrize("bad", ["-5", "0", "abc", "1e3", "", "1001"])
def test_status_limit_must_be_a_whole_number_in_range(dead_cloud, bad):
    message = one_line_exit(lambda: ops.status(dead_cloud, limit=bad), code=2)
    assert "--limit must be a whole number from 1 to 1,000" in message


@pytest.mark.parametrize(
    ("option", "bad"),
    [("rows", "abc"), ("rows", "-5"), ("rows", "5"), ("rows", "99999999999"), ("seed", "-1")],
)
def test_generate_rejects_out_of_range_numbers_and_writes_nothing(tmp_path, option, bad):
    out = tmp_path / "g.csv"
    args = {"rows": "100", "seed": "1", option: bad}
    message = one_line_exit(lambda: data.generate(ctx(), out=str(out), **args), code=2)
    assert f"--{option} must be a whole number" in message
    assert list(tmp_path.iterdir()) == []


def test_generate_keeps_a_file_outside_the_build_dir_unless_forced(tmp_path, capsys):
    precious = tmp_path / "precious.csv"
    precious.write_text("keep me\n")
    c = ctx(build_dir=str(tmp_path / "build"))
    message = one_line_exit(lambda: data.generate(c, rows="10", out=str(precious)), code=2)
    assert "pass --force" in message and precious.read_text() == "keep me\n"
    data.generate(c, rows="10", out=str(precious), force=True)
    assert precious.read_text().splitlines()[0] == HEADER
    inside = tmp_path / "build" / "data.csv"  # the build directory's own files are replaced
    data.generate(c, rows="10", out=str(inside))
    data.generate(c, rows="12", out=str(inside))
    assert len(inside.read_text().splitlines()) == 13


def test_generate_into_a_directory_is_one_line(tmp_path):
    message = one_line_exit(lambda: data.generate(ctx(), rows="10", out=str(tmp_path)), code=2)
    assert "is a directory" in message


def test_an_interrupted_generate_leaves_the_earlier_file_and_no_partial(tmp_path, monkeypatch):
    from mlpipe import datagen

    out = tmp_path / "build" / "d.csv"
    c = ctx(build_dir=str(tmp_path / "build"))
    data.generate(c, rows="10", out=str(out))
    before = out.read_bytes()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(datagen, "_chunk", interrupted)
    with pytest.raises(KeyboardInterrupt):
        data.generate(c, rows="20", out=str(out))
    assert out.read_bytes() == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["d.csv"]


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda p: ops.graph(ctx(), "churn", out=str(p)), id="graph-dir"),
        pytest.param(lambda p: ops.graph(ctx(), "churn", out="/proc/x/g.mmd"), id="graph-proc"),
        pytest.param(lambda p: asl.render_(ctx(), out="/proc/x"), id="asl-render"),
        pytest.param(lambda p: build.package(ctx(), build_dir="/proc/x"), id="package"),
        pytest.param(
            lambda p: build.package(ctx(), build_dir=str(p / "file.txt")), id="package-file"
        ),
    ],
)
def test_an_output_path_that_cannot_be_written_is_one_line(tmp_path, call):
    (tmp_path / "file.txt").write_text("x")
    message = one_line_exit(lambda: call(tmp_path), code=2)
    assert message.startswith("error: cannot write ")


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        ("/dev/null", "is a device, pipe or socket"),
        ("/tmp/" + "x" * 5000 + ".csv", "cannot read input"),
    ],
    ids=["device", "name-too-long"],
)
def test_inputs_that_are_not_files_are_one_line(bad, says):
    for call in (
        lambda: run_task.run(ctx(), "churn", input=bad, run_date="2023-08-01"),
        lambda: jobs.local(ctx(), input=bad),
    ):
        message = one_line_exit(call, code=2)
        assert says in message and len(message) < 300


def test_long_hostile_values_are_shortened_in_messages():
    long = "x" * 5000
    for call in (
        lambda: ops.status(ctx(), target=long),
        lambda: ops.status(ctx(), pipeline=long),
        lambda: local.status(ctx(), port=long),
    ):
        assert len(one_line_exit(call)) < 200


def test_the_cli_turns_a_non_number_into_one_line_not_a_traceback(tmp_path):
    """Through the real `invoke` program: its own int parsing would print a traceback."""
    env = {**os.environ, "INVOKE_MLPIPE_LOCAL_STATE_DIR": str(tmp_path / "state")}
    for argv in (["status", "--limit", "abc"], ["data.generate", "--rows", "1.5"]):
        done = subprocess.run(
            [sys.executable, "-m", "invoke", *argv],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        output = (done.stdout + done.stderr).strip()
        assert done.returncode == 2, output
        assert output.startswith("error: --") and "\n" not in output, output


@pytest.mark.parametrize("sizes", ["abc", "inf", "nan", "0", "1e9", ",", ""])
def test_bench_refuses_bad_sizes_before_running_anything(sizes, monkeypatch):
    from benchmarks import bench as b

    monkeypatch.setattr(b, "throughput", lambda *a, **k: pytest.fail("must not run"))
    message = one_line_exit(lambda: bench.bench(ctx(), sizes=sizes), code=2)
    assert "--sizes must be row counts" in message


def test_bench_refuses_a_bad_repeat(monkeypatch):
    from benchmarks import bench as b

    monkeypatch.setattr(b, "throughput", lambda *a, **k: pytest.fail("must not run"))
    assert "--repeat must be" in one_line_exit(lambda: bench.bench(ctx(), repeat="x"), code=2)


def test_aws_calls_says_what_is_missing_not_that_the_cloud_is_unreachable():
    from botocore.exceptions import EndpointConnectionError, NoCredentialsError

    from mlpipe.config import load_settings
    from mlpipe.tasks._common import aws_calls

    aws = load_settings(target="aws", env="dev")

    def raising(exc):
        def call():
            with aws_calls(aws):
                raise exc

        return call

    missing = one_line_exit(raising(NoCredentialsError()), code=3)
    assert missing.startswith("error: NoCredentialsError: Unable to locate credentials")
    down = one_line_exit(raising(EndpointConnectionError(endpoint_url="https://x")), code=3)
    assert down.startswith("error: cannot reach ")


def test_writing_lets_errors_not_about_the_path_through(tmp_path):
    from mlpipe.tasks._common import writing

    def broken_pipe():
        with writing(tmp_path / "x.csv"):
            raise BrokenPipeError(32, "Broken pipe")

    with pytest.raises(BrokenPipeError):
        broken_pipe()
