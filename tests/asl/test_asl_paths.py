"""Every path of the *rendered* ASL, executed by moto 5.2.5's Step Functions interpreter.

Task results come from localstack/sfn-mock-config.json (Step Functions Local format, loaded
by our named patch); the SNS publish of NotifyFailure/NotifySuccess is real (moto SNS -> SQS).
"""

import json
import uuid

from mlpipe.runs import history, states_entered, task_attempts, wait
from tests.asl.conftest import SETTINGS, run_case

DEFAULT_INPUT = ["ResolveInput", "DefaultInput"]  # started without input/run_id
EMR_CHECKS = ["CheckAlreadyRunning", "AlreadyRunning", "CheckInput", "HasInput"]


def test_churn_happy_path(cloud):
    desc, events, alerts = run_case(cloud, "churn", "HappyPath")
    assert desc["status"] == "SUCCEEDED"
    assert states_entered(events) == [
        "ResolveRunDate",
        *DEFAULT_INPUT,
        "Clean",
        "BuildFeatures",
        "Succeeded",
    ]
    assert task_attempts(events) == {"Clean": 1, "BuildFeatures": 1}
    assert alerts == []


def test_churn_transient_glue_failure_is_retried(cloud):
    desc, events, alerts = run_case(cloud, "churn", "TransientGlueFailure")
    assert desc["status"] == "SUCCEEDED"
    assert states_entered(events) == [
        "ResolveRunDate",
        *DEFAULT_INPUT,
        "Clean",
        "BuildFeatures",
        "Succeeded",
    ]
    assert task_attempts(events) == {"Clean": 2, "BuildFeatures": 1}  # one retry
    failed = [e for e in events if e["type"] == "TaskFailed"]
    assert [e["taskFailedEventDetails"]["error"] for e in failed] == [
        "Glue.ConcurrentRunsExceededException"
    ]
    assert alerts == []


def test_churn_permanent_glue_failure_alerts_and_fails(cloud):
    desc, events, alerts = run_case(cloud, "churn", "PermanentGlueFailure")
    assert desc["status"] == "FAILED"
    assert desc["error"] == "PipelineFailed"
    assert desc["cause"].startswith('Clean failed: {"Error":"States.TaskFailed","Cause":')
    assert states_entered(events) == [
        "ResolveRunDate",
        *DEFAULT_INPUT,
        "Clean",
        "CleanFailed",
        "NotifyFailure",
        "Failed",
    ]
    assert task_attempts(events)["Clean"] == 1  # States.TaskFailed is not retried
    (alert,) = alerts
    assert alert["Subject"] == "mlpipe churn (dev) FAILED"
    assert alert["Message"].startswith(
        'mlpipe churn (dev) failed in state Clean: {"Error":"States.TaskFailed","Cause":'
    )
    assert "missing required column(s): Age" in alert["Message"]


def test_failure_without_cause_still_alerts(cloud):
    """A caught error may lack Cause: the alert must not depend on $.failure.Cause."""
    desc, events, alerts = run_case(cloud, "churn", "FailureWithoutCause")
    assert desc["status"] == "FAILED" and desc["error"] == "PipelineFailed"
    assert states_entered(events)[-2:] == ["NotifyFailure", "Failed"]
    (alert,) = alerts
    assert alert["Message"].startswith(
        'mlpipe churn (dev) failed in state Clean: {"Error":"Glue.AccessDeniedException"'
    )


def test_emr_happy_path_terminates(cloud):
    desc, events, alerts = run_case(cloud, "emr", "HappyPath")
    assert desc["status"] == "SUCCEEDED"
    assert states_entered(events) == [
        "ResolveRunDate",
        *DEFAULT_INPUT,
        *EMR_CHECKS,
        "CreateCluster",
        "AddStep",
        "TerminateCluster",
        "Succeeded",
    ]
    assert alerts == []


def test_emr_step_failure_still_terminates_cluster(cloud):
    desc, events, alerts = run_case(cloud, "emr", "StepFailure")
    assert desc["status"] == "FAILED"
    entered = states_entered(events)
    assert entered == [
        "ResolveRunDate",
        *DEFAULT_INPUT,
        *EMR_CHECKS,
        "CreateCluster",
        "AddStep",
        "AddStepFailed",
        "TerminateClusterOnFailure",
        "NotifyFailure",
        "Failed",
    ]
    assert entered.index("TerminateClusterOnFailure") < entered.index("NotifyFailure")
    (alert,) = alerts
    assert 'failed in state AddStep: {"Error":"States.TaskFailed"' in alert["Message"]
    assert "partition column 'class' not found" in alert["Message"]


def test_emr_skips_when_another_run_is_in_flight(cloud):
    desc, events, alerts = run_case(cloud, "emr", "AlreadyRunning")
    assert desc["status"] == "SUCCEEDED"
    assert states_entered(events) == [
        "ResolveRunDate",
        *DEFAULT_INPUT,
        "CheckAlreadyRunning",
        "AlreadyRunning",
        "SkippedAlreadyRunning",
    ]
    assert alerts == []


def test_emr_without_input_ends_cleanly_without_cluster_or_alert(cloud):
    desc, events, alerts = run_case(cloud, "emr", "NoInput")
    assert desc["status"] == "SUCCEEDED"
    assert states_entered(events) == [
        "ResolveRunDate",
        *DEFAULT_INPUT,
        *EMR_CHECKS,
        "NoInputForRunDate",
    ]
    scheduled = [e for e in events if e["type"] == "TaskScheduled"]
    params = json.loads(scheduled[-1]["taskScheduledEventDetails"]["parameters"])
    assert params == {
        "Bucket": SETTINGS.bucket("data"),
        "Prefix": "raw/telemetry/run_date=2023-08-01/",
        "MaxKeys": 1,
    }
    assert alerts == []


def test_emr_rejected_cluster_alerts_without_terminate(cloud):
    """CreateCluster is request-response: when RunJobFlow is refused there is no cluster."""
    desc, events, alerts = run_case(cloud, "emr", "CreateClusterFailure")
    assert desc["status"] == "FAILED"
    entered = states_entered(events)
    assert entered[-3:] == ["CreateClusterFailed", "NotifyFailure", "Failed"]
    assert task_attempts(events)["CreateCluster"] == 1 + SETTINGS.retry["max_attempts"]
    (alert,) = alerts
    assert "EMR.AmazonElasticMapReduceException" in alert["Message"]


def test_inference_happy_path_notifies(cloud):
    desc, events, alerts = run_case(cloud, "inference", "HappyPath")
    assert desc["status"] == "SUCCEEDED"
    assert states_entered(events) == ["CreateTransformJob", "NotifySuccess", "Succeeded"]
    (alert,) = alerts
    assert (
        alert["Message"]
        == "mlpipe inference (dev) transform job abalone-mock finished: s3://mlpipe-dev-data-123456789012/predictions/abalone/mock/"
    )


def test_inference_transform_failure(cloud):
    desc, events, alerts = run_case(cloud, "inference", "TransformFailure")
    assert desc["status"] == "FAILED"
    assert states_entered(events) == [
        "CreateTransformJob",
        "CreateTransformJobFailed",
        "NotifyFailure",
        "Failed",
    ]
    (alert,) = alerts
    assert (
        "failed in state CreateTransformJob" in alert["Message"]
        and "not a valid gzip archive" in alert["Message"]
    )


def test_run_date_defaults_to_execution_start_date(cloud):
    arn = cloud["sfn"].start_execution(
        stateMachineArn=f"{cloud['machines']['churn']}#HappyPath",
        name=f"nodate-{uuid.uuid4().hex[:8]}",
        input="{}",
    )["executionArn"]
    desc = wait(cloud["sfn"], arn, timeout=60)
    assert desc["status"] == "SUCCEEDED"
    clean_scheduled = next(e for e in history(cloud["sfn"], arn) if e["type"] == "TaskScheduled")
    args = json.loads(clean_scheduled["taskScheduledEventDetails"]["parameters"])["Arguments"]
    assert args["--run_date"] == desc["startDate"].date().isoformat()
    assert args["--input"] == f"{SETTINGS.paths['churn_raw']}run_date={args['--run_date']}/"
    assert args["--run_id"] == desc["name"]  # no run id given: the execution's name


def test_a_run_reads_only_its_own_input(cloud):
    """Started by `invoke run` (input + run_id), the jobs read that run's prefix and publish
    under its run id: two runs of one date never read each other's files."""
    own = f"{SETTINGS.paths['churn_raw']}run_date=2023-08-01/run_id=r123/"
    arn = cloud["sfn"].start_execution(
        stateMachineArn=f"{cloud['machines']['churn']}#HappyPath",
        name=f"own-{uuid.uuid4().hex[:8]}",
        input=json.dumps({"run_date": "2023-08-01", "input": own, "run_id": "r123"}),
    )["executionArn"]
    desc = wait(cloud["sfn"], arn, timeout=60)
    assert desc["status"] == "SUCCEEDED"
    events = history(cloud["sfn"], arn)
    assert states_entered(events) == [
        "ResolveRunDate",
        "ResolveInput",
        "Clean",
        "BuildFeatures",
        "Succeeded",
    ]
    scheduled = [
        json.loads(e["taskScheduledEventDetails"]["parameters"])["Arguments"]
        for e in events
        if e["type"] == "TaskScheduled"
    ]
    assert scheduled[0]["--input"] == own
    assert [a["--run_id"] for a in scheduled] == ["r123", "r123"]
