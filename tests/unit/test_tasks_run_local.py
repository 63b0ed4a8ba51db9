"""`invoke run`, `local.up` and cleanup with MockContext: every argument error and refusal is one
line and a non-zero exit, decided before anything is uploaded or started."""

from __future__ import annotations

import socket

import pytest

from mlpipe import cleanup, pipelines
from mlpipe.tasks import local, ops
from mlpipe.tasks import run as run_task
from tests.unit.task_context import ctx, one_line_exit

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def no_launch(monkeypatch):
    """Fails the test if a run gets as far as launching (uploading, leasing, starting)."""

    def launch(*args, **kwargs):
        raise AssertionError("launch must not be reached")

    monkeypatch.setattr(pipelines, "launch", launch)


@pytest.mark.parametrize("bad", ["../../../../tmp/somewhere", "2023-02-30", "yesterday"])
def test_run_rejects_bad_run_dates_before_launch(no_launch, bad):
    message = one_line_exit(lambda: run_task.run(ctx(), "churn", run_date=bad))
    assert "run date must be a real date" in message


def test_run_rejects_a_directory_input(no_launch, tmp_path):
    message = one_line_exit(lambda: run_task.run(ctx(), "churn", input=str(tmp_path)))
    assert "is a directory" in message


def test_run_rejects_a_missing_input(no_launch, tmp_path):
    message = one_line_exit(lambda: run_task.run(ctx(), "churn", input=str(tmp_path / "no.csv")))
    assert "input not found" in message


def test_run_against_a_dead_server_is_one_line(monkeypatch, tmp_path):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dead = f"http://127.0.0.1:{port}"
    real_launch = pipelines.launch

    def launch(settings, *args, **kwargs):  # never reach a server someone else runs
        assert str(settings.endpoint).endswith(f":{port}"), settings.endpoint
        return real_launch(settings, *args, **kwargs)

    monkeypatch.setattr(pipelines, "launch", launch)
    monkeypatch.setenv("INVOKE_MLPIPE_ENDPOINT", dead)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    c = ctx(local_state_dir=str(tmp_path / "state"), local_port=port, endpoint=dead)
    message = one_line_exit(lambda: run_task.run(c, "churn", run_date="2023-08-01"))
    assert "cannot reach" in message


@pytest.mark.parametrize("port", ["notaport", "0", "70000", "-1"])
def test_local_up_rejects_invalid_ports(tmp_path, port):
    c = ctx(local_state_dir=str(tmp_path / "state"))
    message = one_line_exit(lambda: local.up(c, port=port))
    assert "port must be a number" in message
    assert not (tmp_path / "state" / "server.pid").exists()


def test_local_up_rejects_a_busy_port(tmp_path):
    c = ctx(local_state_dir=str(tmp_path / "state"))
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        message = one_line_exit(lambda: local.up(c, port=str(busy.getsockname()[1])))
    assert "not free" in message


def test_cleanup_exits_non_zero_when_a_delete_failed(monkeypatch, capsys):
    def denied():
        raise RuntimeError("AccessDenied: no\n<html>500</html>")

    blocked = cleanup.Resource("iam role", "blocked-role", delete=denied)
    plans = iter([[blocked], []])  # the re-plan finds nothing left, yet the apply failed
    monkeypatch.setattr(cleanup, "plan", lambda settings, include_data=False: next(plans))
    message = one_line_exit(lambda: ops.cleanup(ctx(), target="aws", env="qa", apply=True))
    assert "1 resource(s) failed" in message
    out = capsys.readouterr().out
    assert "failed  iam role blocked-role: RuntimeError: AccessDenied: no" in out
    assert "<html>" not in out


@pytest.mark.parametrize("env", ["café", "x" * 200])
def test_run_with_an_env_aws_cannot_name_is_one_line(monkeypatch, tmp_path, env):
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    with socket.socket() as sock:  # nobody listens: nothing can be created anywhere
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    c = ctx(local_state_dir=str(tmp_path / "state"), local_port=port)
    one_line_exit(lambda: run_task.run(c, "churn", run_date="2023-08-01", env=env))


@pytest.mark.parametrize(
    ("interruption", "code"),
    [(TimeoutError("still RUNNING after 900s"), 1), (KeyboardInterrupt(), 130)],
)
def test_a_run_given_up_on_keeps_its_lock_until_its_execution_ends(monkeypatch, interruption, code):
    """`invoke run` that stops following (timeout, Ctrl-C) leaves the execution running; the
    run lock must stay, or a second run of the same date could start beside it."""
    from mlpipe import lease as leases
    from mlpipe import runs

    lease = leases.Lease("emr", "2023-08-01", "r1", "emr-r1", "arn:x", "b", "k")
    launched = pipelines.Launch(lease, "s3://b/in", None, "arn:exec")
    monkeypatch.setattr(run_task, "_launch", lambda *a, **k: launched)
    released = []
    monkeypatch.setattr(leases, "release", lambda settings, lease: released.append(lease))

    def follow(*args, **kwargs):
        raise interruption

    monkeypatch.setattr(runs, "follow", follow)
    message = one_line_exit(lambda: run_task.run(ctx(), "emr", run_date="2023-08-01"), code=code)
    assert "keeps the run lock" in message and released == []


def test_run_follows_longer_than_its_longest_pipeline():
    from mlpipe import runs
    from mlpipe.config import load_settings

    aws = load_settings(target="aws", env="dev")
    assert runs.follow_timeout(aws) >= 3 * aws.task_timeout  # EMR: create, step, terminate


def test_a_run_whose_execution_ended_releases_its_lock(monkeypatch):
    from mlpipe import lease as leases
    from mlpipe import runs

    lease = leases.Lease("emr", "2023-08-01", "r1", "emr-r1", "arn:x", "b", "k")
    launched = pipelines.Launch(lease, "s3://b/in", None, "arn:exec")
    monkeypatch.setattr(run_task, "_launch", lambda *a, **k: launched)
    released = []
    monkeypatch.setattr(leases, "release", lambda settings, lease: released.append(lease))
    ended = runs.RunResult("arn:exec", "SUCCEEDED", [], {"status": "SUCCEEDED"})
    monkeypatch.setattr(runs, "follow", lambda *a, **k: ended)
    monkeypatch.setitem(run_task.SUMMARIES, "emr", lambda *a: None)
    run_task.run(ctx(), "emr", run_date="2023-08-01")
    assert released == [lease]
