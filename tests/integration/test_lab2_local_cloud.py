"""Lab 2 on the local cloud: transient EMR cluster (+ schedule) and SageMaker batch transform."""

import json
import tarfile
import time

import pytest

from abalone_model import inference
from mlpipe import logs, pipelines, runs, status
from mlpipe.aws import client, split_s3
from mlpipe.local_cloud.scheduler import fire

from .conftest import MINUTE_SECONDS

pytestmark = [pytest.mark.server, pytest.mark.slow]
ACTIVE = {"STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING", "TERMINATING"}


@pytest.fixture
def lab2(stack):
    return stack.settings


def run(settings, pipeline, run_date, input_path=None):
    launched = pipelines.launch(settings, pipeline, run_date, input_path)
    result = runs.follow(settings, launched.execution_arn, on_event=lambda e: None, timeout=240)
    return result, launched.execution, launched.context


def test_emr_happy_path_partitions_and_terminates(lab2, run_date):
    result, name, expected = run(lab2, "emr", run_date)
    assert result.status == "SUCCEEDED", result.describe.get("cause")
    assert runs.states_entered(result.events) == [
        "ResolveRunDate",
        "ResolveInput",
        "CheckAlreadyRunning",
        "AlreadyRunning",
        "CheckInput",
        "HasInput",
        "CreateCluster",
        "AddStep",
        "TerminateCluster",
        "Succeeded",
    ]
    assert pipelines.emr_partitions(lab2, run_date, "class") == expected
    (cluster,) = pipelines.clusters(lab2, f"{lab2.prefix}-emr-{name}")
    assert cluster["Status"]["State"] == "TERMINATED"
    steps = client(lab2, "emr").list_steps(ClusterId=cluster["Id"])["Steps"]
    assert [s["Status"]["State"] for s in steps] == ["COMPLETED"]
    log_bucket, log_key = split_s3(
        f"{lab2.paths['emr_logs']}{cluster['Id']}/steps/{steps[0]['Id']}/stdout.gz"
    )
    assert client(lab2, "s3").head_object(Bucket=log_bucket, Key=log_key)["ContentLength"] > 0


def test_emr_failing_step_still_terminates_and_alerts(lab2, tmp_path, run_date):
    bad = tmp_path / "no_class.csv"
    bad.write_text("player_id,level\np1,3\np2,4\n")
    result, name, _ = run(lab2, "emr", run_date, bad)
    assert result.status == "FAILED" and result.failed_state == "AddStep"
    entered = runs.states_entered(result.events)
    assert entered.index("TerminateClusterOnFailure") < entered.index("NotifyFailure")
    clusters = pipelines.clusters(lab2, f"{lab2.prefix}-emr-{name}")
    assert [c["Status"]["State"] for c in clusters] == ["TERMINATED"]
    assert not [c for c in clusters if c["Status"]["State"] in ACTIVE]
    step = client(lab2, "emr").list_steps(ClusterId=clusters[0]["Id"])["Steps"][0]
    assert step["Status"]["State"] == "FAILED"
    (alert,) = runs.read_alerts(lab2, name)
    assert "failed in state AddStep" in alert and "partition column 'class' not found" in alert
    # what `invoke logs emr` and `invoke status emr` show: the step's own stderr from LogUri,
    # and the failing state from the execution's cause
    (step_log,) = [log for log in logs.execution_logs(lab2, result.events) if "emr" in log.heading]
    assert step_log.heading == f"emr step {step['Id']} FAILED"
    assert any("partition column 'class' not found" in text for text in step_log.lines)
    (row,) = [r for r in status.recent_executions(lab2, ["emr"]) if r["execution"] == name]
    assert (row["status"], row["failing state"]) == ("FAILED", "AddStep")


def test_schedule_fires_via_tick(lab2):
    events, sfn = client(lab2, "events"), client(lab2, "stepfunctions")
    rule = lab2.name("emr_schedule")
    assert events.describe_rule(Name=rule)["ScheduleExpression"] == "cron(0/15 * * * ? *)"
    (arn,) = fire(events, sfn, rule)
    assert sfn.describe_execution(executionArn=arn)["stateMachineArn"] == lab2.state_machine_arn(
        "emr"
    )
    sfn.stop_execution(executionArn=arn)  # no need to run the cluster here


def test_rate_rule_fires_on_its_own(local_cloud):
    """A rate(1 minute) rule starts one execution on its own, a "minute" later (the test cloud
    counts a minute as MINUTE_SECONDS and checks every second). Its rule and target are this
    test's own (not the deployment's) and are removed after."""
    import uuid

    from mlpipe.config import load_settings

    lab2 = load_settings()  # no deployment needed: the rule and its target are the test's own
    sfn, events = client(lab2, "stepfunctions"), client(lab2, "events")
    name = f"tick-{uuid.uuid4().hex[:6]}"
    target = sfn.create_state_machine(
        name=name,
        definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}),
        roleArn=lab2.role_arn("churn_sfn_role"),
    )["stateMachineArn"]
    events.put_rule(Name=name, ScheduleExpression="rate(1 minute)", State="ENABLED")
    try:
        events.put_targets(
            Rule=name, Targets=[{"Id": "t", "Arn": target, "RoleArn": lab2.role_arn("events_role")}]
        )
        started = time.monotonic()
        deadline = started + 60
        executions = []
        while time.monotonic() < deadline and not executions:
            time.sleep(0.5)
            executions = sfn.list_executions(stateMachineArn=target)["executions"]
        waited = time.monotonic() - started
        # not before its minute is up (the rule's own clock starts when the scheduler sees it)
        assert waited >= float(MINUTE_SECONDS) - 1.5, f"fired after {waited:.1f} s"
    finally:
        events.remove_targets(Rule=name, Ids=["t"])
        events.delete_rule(Name=name)
        sfn.delete_state_machine(stateMachineArn=target)
    # one per elapsed "minute" (the unit tests pin the exact due times)
    assert executions and all(e["name"].startswith(f"{name}-") for e in executions)


def model_predictions(build_dir, tmp_path, rows_csv):
    with tarfile.open(build_dir / "models" / "abalone" / "model.tar.gz") as tar:
        tar.extractall(tmp_path / "model", filter="data")
    model = inference.model_fn(str(tmp_path / "model"))
    return [
        float(v)
        for v in inference.output_fn(
            inference.predict_fn(inference.input_fn(rows_csv, "text/csv"), model), "text/csv"
        ).split()
    ]


def test_inference_appends_model_predictions_row_for_row(stack, tmp_path, run_date):
    lab2 = stack.settings
    launched = pipelines.launch(lab2, "inference", run_date)
    first = runs.follow(lab2, launched.execution_arn, on_event=lambda e: None, timeout=240)
    name1, labels = launched.execution, launched.context
    bucket, key = split_s3(launched.input_uri)
    batch = client(lab2, "s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    second, name2, _ = run(lab2, "inference", run_date)  # unique job names: a second run works
    assert first.status == second.status == "SUCCEEDED"
    rows = pipelines.inference_output(lab2, name1)
    inputs = [line.split(",") for line in batch.splitlines()]
    assert [r[:-1] for r in rows] == inputs and len(rows) == len(labels)
    assert [float(r[-1]) for r in rows] == pytest.approx(
        model_predictions(stack.build_dir, tmp_path, batch), abs=1e-4
    )
    assert pipelines.rmse(labels, [float(r[-1]) for r in rows]) < 3.5
    jobs = client(lab2, "sagemaker").list_transform_jobs()["TransformJobSummaries"]
    assert {f"abalone-{name1}", f"abalone-{name2}"} <= {j["TransformJobName"] for j in jobs}


def test_corrupt_model_fails_transform_and_alerts(lab2, run_date):
    bucket, key = split_s3(lab2.paths["model_artifact"])
    s3 = client(lab2, "s3")
    good = s3.head_object(Bucket=bucket, Key=key)["VersionId"]
    s3.put_object(Bucket=bucket, Key=key, Body=b"not a tarball")
    try:
        result, name, _ = run(lab2, "inference", run_date)
    finally:  # the object as Terraform left it: bytes, metadata and tags of the good version
        s3.copy_object(
            Bucket=bucket, Key=key, CopySource={"Bucket": bucket, "Key": key, "VersionId": good}
        )
    assert result.status == "FAILED" and result.failed_state == "CreateTransformJob"
    job = client(lab2, "sagemaker").describe_transform_job(TransformJobName=f"abalone-{name}")
    assert job["TransformJobStatus"] == "Failed" and job["FailureReason"]
    # the one alert names the failing state and carries the service's own reason through
    (alert,) = runs.read_alerts(lab2, name)
    assert "failed in state CreateTransformJob" in alert
    assert job["FailureReason"].split(":")[-1].strip() in alert.replace("\\", "")
