"""Rendering and static validation of every state machine (no server, no engine)."""

import json

import pytest

from mlpipe import ROOT
from mlpipe.asl import AslError, invariant_problems, render, render_all, validate
from mlpipe.config import PIPELINES, TARGETS, load_settings

FIXTURES = ROOT / "tests" / "fixtures"


@pytest.mark.parametrize("target", list(TARGETS))
@pytest.mark.parametrize("pipeline", PIPELINES)
@pytest.mark.parametrize("env", ["dev", "prod"])
def test_every_pipeline_target_env_renders_valid(pipeline, target, env):
    assert validate(render(pipeline, load_settings(target=target, env=env))) == []


def test_notify_success_variant_is_valid():
    settings = load_settings(notify_success=True)
    churn = render("churn", settings)
    assert churn["States"]["BuildFeatures"]["Next"] == "NotifySuccess"
    assert validate(churn) == [] and validate(render("emr", settings)) == []


def test_churn_shape():
    s = load_settings()
    states = render("churn", s)["States"]
    clean = states["Clean"]
    assert clean["Resource"] == "arn:aws:states:::glue:startJobRun.sync"
    assert clean["Parameters"]["JobName"] == "customer-churn-cleaning-job"
    assert clean["Parameters"]["Arguments"]["--run_date.$"] == "$.run_date"
    assert (
        clean["Parameters"]["Arguments"]["--output"]
        == "s3://mlpipe-dev-data-123456789012/curated/churn/"
    )
    assert clean["Retry"][0]["ErrorEquals"] == [
        "Glue.ConcurrentRunsExceededException",
        "Glue.InternalServiceException",
        "Glue.ThrottlingException",
        "States.Timeout",
    ]
    assert clean["Retry"][0]["JitterStrategy"] == "FULL" and clean["Retry"][0]["BackoffRate"] == 2.0
    assert clean["Catch"][0]["ErrorEquals"] == ["States.ALL"] and clean["Next"] == "BuildFeatures"
    assert states["NotifyFailure"]["Resource"] == "arn:aws:states:::sns:publish"
    assert (
        states["NotifyFailure"]["Parameters"]["TopicArn"]
        == "arn:aws:sns:us-east-1:123456789012:mlpipe-dev-alerts"
    )
    assert states["DefaultRunDate"]["Parameters"]["run_date.$"].startswith(
        "States.ArrayGetItem(States.StringSplit($$.Execution.StartTime"
    )


def test_aws_target_leaves_account_to_terraform():
    churn = json.dumps(render("churn", load_settings(target="aws")))
    assert "${account_id}" in churn and "123456789012" not in churn


def test_emr_shape_and_terminate_on_every_path():
    states = render("emr", load_settings())["States"]
    create = states["CreateCluster"]["Parameters"]
    assert [a["Name"] for a in create["Applications"]] == ["Hadoop", "Spark", "Hive"]
    assert [
        (g["InstanceRole"], g["InstanceCount"], g["InstanceType"])
        for g in create["Instances"]["InstanceGroups"]
    ] == [("MASTER", 1, "m5.xlarge"), ("CORE", 1, "m5.xlarge"), ("TASK", 2, "m5.xlarge")]
    assert {"Key": "Environment", "Value": "dev"} in create["Tags"]
    assert states["AddStep"]["Parameters"]["Step"]["ActionOnFailure"] == "CONTINUE"
    assert states["AddStep"]["Parameters"]["Step"]["HadoopJarStep"]["Jar"] == "command-runner.jar"
    assert states["AddStepFailed"]["Next"] == "TerminateClusterOnFailure"
    assert states["TerminateClusterOnFailure"]["Next"] == "NotifyFailure"


def test_inference_unique_job_name_and_join():
    params = render("inference", load_settings())["States"]["CreateTransformJob"]["Parameters"]
    assert params["TransformJobName.$"] == "States.Format('abalone-{}', $$.Execution.Name)"
    assert params["TransformInput"]["SplitType"] == "Line"
    assert params["DataProcessing"]["JoinSource"] == "Input"


def test_broken_template_leaking_cluster_is_named():
    definition = render("emr", load_settings(), template_dir=FIXTURES / "asl_broken_leak")
    problems = validate(definition)
    assert (
        "state 'CreateCluster': path CreateCluster -> AddStep -> AddStepFailed -> NotifyFailure -> Failed ends without TerminateCluster"
        in problems
    )
    assert "state 'UnusedTerminate': unreachable from StartAt" in problems


def test_undefined_variable_names_template_and_line():
    with pytest.raises(AslError, match=r"^asl_broken_undefined/churn\.asl\.json\.j2:5: .*'nmae'"):
        render("churn", load_settings(), template_dir=FIXTURES / "asl_broken_undefined")


def test_invalid_json_names_template_and_line():
    with pytest.raises(
        AslError, match=r"^churn\.asl\.json\.j2: rendered JSON is invalid at line 5 column 3"
    ):
        render("churn", load_settings(), template_dir=FIXTURES / "asl_broken_json")


@pytest.mark.parametrize(
    "states, problem",
    [
        (
            {"A": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish", "End": True}},
            "state 'A': Task has no Catch",
        ),
        (
            {
                "A": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::glue:startJobRun.sync",
                    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F"}],
                    "End": True,
                },
                "F": {"Type": "Fail"},
            },
            "state 'A': .sync Task has no TimeoutSeconds",
        ),
        (
            {"A": {"Type": "Pass", "Next": "Nope"}},
            "state 'A': Next 'Nope' points to a missing state",
        ),
        (
            {"A": {"Type": "Pass", "End": True}, "B": {"Type": "Pass", "End": True}},
            "state 'B': unreachable from StartAt",
        ),
    ],
)
def test_each_invariant_names_the_state(states, problem):
    assert problem in invariant_problems({"StartAt": "A", "States": states})


def test_render_all_writes_files(tmp_path):
    written = render_all(load_settings(), tmp_path)
    assert sorted(p.name for p in written.values()) == [
        "churn.asl.json",
        "emr.asl.json",
        "inference.asl.json",
    ]
    assert json.loads(written["churn"].read_text())["StartAt"] == "ResolveRunDate"
