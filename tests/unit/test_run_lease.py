"""The run-date lease, run arguments and the one-line failure message (moto in-process)."""

from __future__ import annotations

import itertools
import json

import boto3
import pytest
from moto import mock_aws

from mlpipe import lease as leases
from mlpipe import pipelines, runs
from mlpipe.config import load_settings

pytestmark = pytest.mark.timeout(60)
DEFINITION = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 600, "End": True}}}


@pytest.fixture(scope="module")
def _moto():
    """One in-process moto for the module (starting and resetting it costs seconds); each
    test gets an env of its own in it (``world``)."""
    mp = pytest.MonkeyPatch()
    mp.delenv("INVOKE_MLPIPE_ENDPOINT", raising=False)
    mp.setenv("AWS_ACCESS_KEY_ID", "test")
    mp.setenv("AWS_SECRET_ACCESS_KEY", "test")
    with mock_aws():
        yield
    mp.undo()


_envs = itertools.count(1)


@pytest.fixture
def world(_moto):
    settings = load_settings(target="aws", env=f"lease{next(_envs)}")
    s3 = boto3.client("s3", region_name=settings.region)
    s3.create_bucket(Bucket=settings.bucket("data"))
    sfn = boto3.client("stepfunctions", region_name=settings.region)
    sfn.create_state_machine(
        name=settings.name("churn_state_machine"),
        definition=json.dumps(DEFINITION),
        roleArn=f"arn:aws:iam::{settings.account_id}:role/r",
    )
    return settings, s3, sfn


def test_second_lease_for_a_running_execution_is_refused_naming_it(world):
    settings, s3, sfn = world
    first = leases.acquire(settings, "churn", "2023-08-01")
    sfn.start_execution(
        stateMachineArn=settings.state_machine_arn("churn"), name=first.execution, input="{}"
    )
    with pytest.raises(leases.RunRefused) as refused:
        leases.acquire(settings, "churn", "2023-08-01")
    assert first.execution in str(refused.value)
    assert "\n" not in str(refused.value)
    # another date is independent
    other = leases.acquire(settings, "churn", "2023-08-02")
    assert other.run_id != first.run_id


def test_a_lease_whose_execution_never_started_is_held_for_the_grace_period(world):
    settings, *_ = world
    first = leases.acquire(settings, "churn", "2023-08-01")
    with pytest.raises(leases.RunRefused, match="already starting"):
        leases.acquire(settings, "churn", "2023-08-01", grace=300)
    taken = leases.acquire(settings, "churn", "2023-08-01", grace=0)  # stale: taken over
    assert taken.run_id != first.run_id
    assert leases.release(settings, first) is False  # no longer ours
    assert leases.release(settings, taken) is True


def test_a_finished_holder_does_not_block(world):
    settings, s3, sfn = world
    first = leases.acquire(settings, "churn", "2023-08-01")
    arn = sfn.start_execution(
        stateMachineArn=settings.state_machine_arn("churn"), name=first.execution, input="{}"
    )["executionArn"]
    sfn.stop_execution(executionArn=arn)
    second = leases.acquire(settings, "churn", "2023-08-01")
    assert second.execution != first.execution


def test_launch_refused_leaves_the_raw_prefix_untouched(world, tmp_path):
    settings, s3, sfn = world
    csv_file = tmp_path / "in.csv"
    csv_file.write_text("a,b\n1,2\n")
    first = pipelines.launch(settings, "churn", "2023-08-01", csv_file)
    before = s3.list_objects_v2(Bucket=settings.bucket("data"), Prefix="raw/")["Contents"]
    with pytest.raises(leases.RunRefused):
        pipelines.launch(settings, "churn", "2023-08-01", csv_file)
    after = s3.list_objects_v2(Bucket=settings.bucket("data"), Prefix="raw/")["Contents"]
    assert [o["Key"] for o in after] == [o["Key"] for o in before]
    assert [o["Key"] for o in after] == [
        f"raw/churn/run_date=2023-08-01/run_id={first.lease.run_id}/in.csv"
    ]
    desc = sfn.describe_execution(executionArn=first.execution_arn)
    assert json.loads(desc["input"]) == {
        "run_date": "2023-08-01",
        "run_id": first.lease.run_id,
        "input": f"s3://{settings.bucket('data')}/raw/churn/run_date=2023-08-01/run_id={first.lease.run_id}/",
    }


@pytest.mark.parametrize("bad", ["../../../tmp/x", "2023-02-30", "2023-8-1", "x" * 200])
def test_launch_rejects_bad_run_dates_before_writing(world, tmp_path, bad):
    settings, s3, _ = world
    csv_file = tmp_path / "in.csv"
    csv_file.write_text("a\n")
    with pytest.raises(pipelines.RunInputError, match="run date must be a real date"):
        pipelines.launch(settings, "churn", bad, csv_file)
    assert s3.list_objects_v2(Bucket=settings.bucket("data")).get("KeyCount") == 0


def test_launch_rejects_a_directory_input(world, tmp_path):
    settings, s3, _ = world
    with pytest.raises(pipelines.RunInputError, match="is a directory"):
        pipelines.launch(settings, "churn", "2023-08-01", tmp_path)
    assert s3.list_objects_v2(Bucket=settings.bucket("data")).get("KeyCount") == 0


# --------------------------------------------------------------------------- failure_line


def result(status, cause=None, error=None, entered=()):
    events = [{"stateEnteredEventDetails": {"name": n}} for n in entered]
    return runs.RunResult("arn", status, events, {"cause": cause, "error": error})


def test_failure_line_takes_glue_error_message_out_of_the_nested_json():
    glue_run = {"Id": "jr_1", "JobRunState": "FAILED", "ErrorMessage": "missing column: Age"}
    caught = {"Error": "States.TaskFailed", "Cause": json.dumps(glue_run) + " " * 2000}
    line = runs.failure_line(
        "churn", result("FAILED", f"Clean failed: {json.dumps(caught)}", "mlpipe.Failed")
    )
    assert line == "churn failed in Clean: missing column: Age"


def test_failure_line_for_an_emr_step_and_a_transform():
    step = {"Step": {"Status": {"FailureDetails": {"Message": "no column class"}}}}
    caught = {"Error": "States.TaskFailed", "Cause": json.dumps(step)}
    assert (
        runs.failure_line("emr", result("FAILED", f"AddStep failed: {json.dumps(caught)}"))
        == "emr failed in AddStep: no column class"
    )
    job = {"FailureReason": "ClientError: bad model"}
    caught = {"Error": "States.TaskFailed", "Cause": json.dumps(job)}
    assert (
        runs.failure_line("inference", result("FAILED", f"Transform failed: {json.dumps(caught)}"))
        == "inference failed in Transform: ClientError: bad model"
    )


def test_failure_line_for_an_aborted_run_names_its_state_and_cause():
    line = runs.failure_line(
        "churn",
        result(
            "ABORTED", "stopped by invoke cleanup", "mlpipe.cleanup", ("ResolveRunDate", "Clean")
        ),
    )
    assert line == "churn was aborted in Clean: mlpipe.cleanup: stopped by invoke cleanup"


def test_failure_line_is_one_bounded_line():
    caught = {"Error": "States.Runtime", "Cause": "x\n" * 5000}
    line = runs.failure_line("churn", result("FAILED", f"Clean failed: {json.dumps(caught)}"))
    assert "\n" not in line and len(line) < 400


def test_failure_line_for_an_aborted_run_without_a_cause():
    line = runs.failure_line("churn", result("ABORTED", None, None, ("ResolveRunDate", "Clean")))
    assert line == "churn was aborted in Clean: the execution was stopped (StopExecution)"
