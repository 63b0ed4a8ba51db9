"""Rendering and static validation of every state machine (no server, no engine)."""

import json
import re

import pytest

from mlpipe import ROOT
from mlpipe.asl import (
    GLUE_TIMEOUT_MARGIN,
    AslError,
    invariant_problems,
    render,
    render_all,
    validate,
)
from mlpipe.config import PIPELINES, RETRY_ERRORS, TARGETS, load_settings
from mlpipe.deploy.terraform import TF_DIR, load_hcl

FIXTURES = ROOT / "tests" / "fixtures"
RESPONSES = json.loads((ROOT / "tests" / "asl" / "fixtures" / "responses.json").read_text())


def all_definitions():
    """Every pipeline for every target and env, in both flavours (aws: Terraform's only)."""
    for target in TARGETS:
        for env in ("dev", "prod"):
            for pipeline in PIPELINES:
                for terraform in (True,) if target == "aws" else (False, True):
                    yield (
                        f"{target}-{env}-{pipeline}-{'tf' if terraform else 'concrete'}",
                        render(
                            pipeline, load_settings(target=target, env=env), terraform=terraform
                        ),
                    )


DEFINITIONS = dict(all_definitions())


def tasks(definition):
    return [(n, s) for n, s in definition["States"].items() if s.get("Type") == "Task"]


@pytest.mark.parametrize("key", list(DEFINITIONS))
def test_every_pipeline_target_env_renders_valid(key):
    assert validate(DEFINITIONS[key]) == []


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
    assert clean["Parameters"]["JobName"] == "mlpipe-dev-churn-clean"
    assert clean["Parameters"]["Arguments"]["--run_date.$"] == "$.run_date"
    assert (
        clean["Parameters"]["Arguments"]["--output"]
        == "s3://mlpipe-dev-data-123456789012/curated/churn/"
    )
    assert clean["Retry"][0]["ErrorEquals"] == [
        "Glue.ConcurrentRunsExceededException",
        "Glue.InternalServiceException",
        "Glue.ThrottlingException",
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


def test_terraform_flavour_leaves_account_region_partition_to_terraform():
    """One source for ARNs: Terraform's provider fills these in (templatefile)."""
    for target in TARGETS:
        text = json.dumps(render("churn", load_settings(target=target), terraform=True))
        assert "${account_id}" in text and "${region}" in text and "${partition}" in text
        assert "123456789012" not in text and "us-east-1" not in text and "arn:aws:" not in text
    emr = render("emr", load_settings(target="aws"), terraform=True)
    assert emr["States"]["CreateCluster"]["Parameters"]["Instances"]["Ec2SubnetId"] == (
        "${emr_subnet_id}"
    )
    # the only ${...} left are the state_machine module's templatefile variables
    module = (TF_DIR / "modules" / "state_machine" / "main.tf").read_text()
    for name in set(re.findall(r"\$\{(\w+)\}", json.dumps(emr))):
        assert name in module or name == "emr_subnet_id", name
    root = (TF_DIR / "main.tf").read_text()
    assert "definition_vars  = { emr_subnet_id = var.emr_subnet_id }" in root


def test_concrete_flavour_uses_the_partition_of_the_region():
    text = json.dumps(render("churn", load_settings(target="local", region="cn-north-1")))
    assert "arn:aws-cn:states:::glue:startJobRun.sync" in text
    assert "arn:aws-cn:sns:cn-north-1:123456789012:mlpipe-dev-alerts" in text


def test_emr_shape_and_terminate_on_every_path():
    states = render("emr", load_settings())["States"]
    assert states["CreateCluster"]["Resource"] == "arn:aws:states:::elasticmapreduce:createCluster"
    create = states["CreateCluster"]["Parameters"]
    assert [a["Name"] for a in create["Applications"]] == ["Spark"]
    assert [
        (g["InstanceRole"], g["InstanceCount"], g["InstanceType"])
        for g in create["Instances"]["InstanceGroups"]
    ] == [("MASTER", 1, "m5.xlarge"), ("CORE", 1, "m5.xlarge")]
    assert {"Key": "Environment", "Value": "dev"} in create["Tags"]
    assert {"Key": "for-use-with-amazon-emr-managed-policies", "Value": "true"} in create["Tags"]
    assert "Ec2SubnetId" in create["Instances"]
    assert 60 <= create["AutoTerminationPolicy"]["IdleTimeout"] <= 900
    assert "ResultSelector" not in states["AddStep"]
    assert states["AddStep"]["Parameters"]["Step"]["ActionOnFailure"] == "CONTINUE"
    assert states["AddStep"]["Parameters"]["Step"]["HadoopJarStep"]["Jar"] == "command-runner.jar"
    assert states["AddStepFailed"]["Next"] == "TerminateClusterOnFailure"
    assert states["TerminateClusterOnFailure"]["Next"] == "NotifyFailure"


def test_inference_unique_job_name_and_join():
    params = render("inference", load_settings())["States"]["CreateTransformJob"]["Parameters"]
    assert params["TransformJobName.$"] == "States.Format('abalone-{}', $$.Execution.Name)"
    assert params["TransformInput"]["SplitType"] == "Line"
    assert params["DataProcessing"]["JoinSource"] == "Input"


def test_emr_tags_satisfy_the_run_job_flow_condition():
    """The SFN role may RunJobFlow only with these request tags (terraform/main.tf)."""
    root = load_hcl(TF_DIR / "main.tf")
    tags_expr = json.dumps(root["locals"])
    create = render("emr", load_settings(target="aws", env="prod"), terraform=True)["States"][
        "CreateCluster"
    ]["Parameters"]
    tags = {t["Key"]: t["Value"] for t in create["Tags"]}
    assert "for-use-with-amazon-emr-managed-policies" in tags_expr
    assert tags["for-use-with-amazon-emr-managed-policies"] == "true"
    assert tags["Project"] == "mlpipe" and tags["Environment"] == "prod"


@pytest.mark.parametrize("key", list(DEFINITIONS))
def test_retries_name_errors_step_functions_raises(key):
    for name, state in DEFINITIONS[key]["States"].items():
        for retrier in state.get("Retry", []):
            for error in retrier["ErrorEquals"]:
                assert error.startswith("States.") or re.match(r"^[A-Z]\w*\.\w+$", error), (
                    f"{name}: {error}"
                )
                if ":glue:" in state["Resource"]:
                    assert error not in ("States.Timeout", "States.ALL"), name


def test_glue_task_timeout_exceeds_the_job_timeout_in_python_and_terraform():
    settings = load_settings()
    states = render("churn", settings)["States"]
    variables = {n: b for v in load_hcl(TF_DIR / "variables.tf")["variable"] for n, b in v.items()}
    tf_minutes = variables["glue_timeout_minutes"]["default"]
    for state, job in (("Clean", "clean"), ("BuildFeatures", "features")):
        minutes = settings.glue_jobs[job]["timeout_minutes"]
        assert minutes == tf_minutes  # the job Terraform creates has the timeout the ASL assumes
        assert states[state]["TimeoutSeconds"] == minutes * 60 + GLUE_TIMEOUT_MARGIN
        assert states[state]["TimeoutSeconds"] > tf_minutes * 60


def _paths(expression: str) -> list[str]:
    """JsonPaths a ResultSelector value reads: a plain path, or the $.x arguments of an
    intrinsic function ($$. context paths are not in the response)."""
    return re.findall(r"(?<![$\w])\$(?:\.[A-Za-z_]\w*|\[\d+\])*", expression)


def _resolve(document, path: str):
    node = document
    for part in re.findall(r"\.([A-Za-z_]\w*)|\[(\d+)\]", path):
        key, index = part
        if key:
            if not isinstance(node, dict) or key not in node:
                raise KeyError(path)
            node = node[key]
        else:
            node = node[int(index)]
    return node


@pytest.mark.parametrize("key", list(DEFINITIONS))
def test_result_selectors_match_recorded_responses(key):
    for name, state in tasks(DEFINITIONS[key]):
        selector = state.get("ResultSelector")
        if not selector:
            continue
        resource = state["Resource"].split(":", 2)[2]  # drop arn:<partition>
        assert resource in RESPONSES, (
            f"{name}: no recorded response for {resource}: unverified ResultSelector"
        )
        for field, expression in selector.items():
            assert field.endswith(".$"), f"{name}: {field}"
            for path in _paths(expression):
                try:
                    _resolve(RESPONSES[resource], path)
                except (KeyError, IndexError, TypeError):
                    pytest.fail(
                        f"{name}: ResultSelector {field} reads {path}, absent from {resource}'s response"
                    )


def test_result_selector_check_catches_a_wrong_path():
    bad = {"StepId.$": "$.Step.Id"}  # addStep.sync's old selector: no recorded shape has it
    with pytest.raises(KeyError):
        _resolve(RESPONSES["states:::elasticmapreduce:createCluster"], _paths(bad["StepId.$"])[0])
    assert _paths("States.ArrayLength($.Executions)") == ["$.Executions"]


@pytest.mark.parametrize(
    "state, problem",
    [
        (
            {
                "Type": "Task",
                "Resource": "arn:aws:states:::sns:publish",
                "Retry": [{"ErrorEquals": ["ThrottlingException"]}],
            },
            "Retry on 'ThrottlingException' never matches",
        ),
        (
            {
                "Type": "Task",
                "Resource": "arn:aws:states:::glue:startJobRun.sync",
                "Retry": [{"ErrorEquals": ["States.Timeout"]}],
            },
            "Glue task retries States.Timeout",
        ),
        (
            {
                "Type": "Task",
                "Resource": "arn:aws:states:::elasticmapreduce:createCluster",
                "Parameters": {"Instances": {}, "Tags": []},
            },
            "lacks the tag for-use-with-amazon-emr-managed-policies=true",
        ),
        (
            {
                "Type": "Task",
                "Resource": "arn:aws:states:::elasticmapreduce:createCluster",
                "Parameters": {"Instances": {}, "Tags": []},
            },
            "has no Instances.Ec2SubnetId",
        ),
        (
            {
                "Type": "Task",
                "Resource": "arn:aws:states:::elasticmapreduce:createCluster.sync",
                "Parameters": {"AutoTerminationPolicy": {"IdleTimeout": 3600}},
            },
            "IdleTimeout must be set and at most 900 s, got 3600",
        ),
    ],
)
def test_aws_only_invariants_name_the_state(state, problem):
    problems = invariant_problems({"StartAt": "A", "States": {"A": {**state, "End": True}}})
    assert any(problem in p and p.startswith("state 'A'") for p in problems), problems


def test_no_bare_service_errors_in_retry_table():
    for integration, errors in RETRY_ERRORS.items():
        for error in errors:
            assert error.startswith("States.") or "." in error, (integration, error)
    assert "States.Timeout" not in RETRY_ERRORS["glue"]


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
    assert "${account_id}" in written["churn"].read_text()  # Terraform's flavour by default
    assert sorted(p.name for p in written.values()) == [
        "churn.asl.json",
        "emr.asl.json",
        "inference.asl.json",
    ]
    assert json.loads(written["churn"].read_text())["StartAt"] == "ResolveRunDate"


def test_the_alert_rules_skip_exactly_the_error_notify_failure_ends_with():
    """One alert per failure: the Fail state after NotifyFailure raises the error the alerts
    module's EventBridge rule ignores."""
    from mlpipe.asl import NOTIFIED_ERROR

    variables = {
        n: b
        for v in load_hcl(TF_DIR / "modules" / "alerts" / "variables.tf")["variable"]
        for n, b in v.items()
    }
    assert variables["notified_error"]["default"] == NOTIFIED_ERROR
    for key, definition in DEFINITIONS.items():
        assert definition["States"]["Failed"]["Error"] == NOTIFIED_ERROR, key
        notify = definition["States"]["NotifyFailure"]["Parameters"]["Message.$"]
        assert "States.JsonToString($.failure)" in notify and "$.failure.Cause" not in notify
