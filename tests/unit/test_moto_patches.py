"""Each moto patch: the gap it closes still exists in the pinned moto (so the patch is still
needed), and the patch closes it. A moto upgrade that changes either fails here."""

import inspect
import itertools

import moto
import pytest

from mlpipe.local_cloud import patches


def test_moto_version_is_the_pinned_one():
    assert moto.__version__ == "5.2.5"


def test_gap_mock_config_loader_is_hard_coded_to_none():
    from moto.stepfunctions.parser.mocking.mock_config import load_mock_test_case_for

    assert "raw_mock_config = None" in inspect.getsource(load_mock_test_case_for)
    assert load_mock_test_case_for("any", "HappyPath") is None


def test_gap_custom_error_name_rejects_states_errors():
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import (
        CustomErrorName,
    )

    with pytest.raises(ValueError, match="MUST NOT begin with the prefix 'States.'"):
        CustomErrorName("States.TaskFailed")


def test_mock_error_name_accepts_both_kinds():
    assert patches.mock_error_name("States.TaskFailed").error_name == "States.TaskFailed"
    assert (
        patches.mock_error_name("Glue.ThrottlingException").error_name == "Glue.ThrottlingException"
    )


def test_loader_reads_step_functions_local_format(tmp_path, monkeypatch):
    config = tmp_path / "mock.json"
    config.write_text(
        '{"StateMachines": {"M": {"TestCases": {"T": {"A": "R"}}}}, "MockedResponses": {"R": {"0": {"Throw": {"Error": "X.Y", "Cause": "c"}}, "1-2": {"Return": {"ok": 1}}}}}'
    )
    monkeypatch.setenv(patches.MOCK_CONFIG_ENV, str(config))
    case = patches.load_mock_test_case("M", "T")
    responses = case.state_mocked_responses["A"].mocked_responses
    assert [type(r).__name__ for r in responses] == [
        "MockedResponseThrow",
        "MockedResponseReturn",
        "MockedResponseReturn",
    ]
    assert responses[0].error == "X.Y" and responses[1].payload == {"ok": 1}


def test_loader_without_env_is_a_clear_error(monkeypatch):
    monkeypatch.delenv(patches.MOCK_CONFIG_ENV, raising=False)
    with pytest.raises(patches.MockConfigError, match=r"\$SFN_MOCK_CONFIG is not set"):
        patches.load_mock_test_case("M", "T")


def test_apply_all_is_idempotent():
    patches.apply_all()
    assert patches.apply_all() == []


def test_gap_emr_and_sagemaker_are_unsupported_services():
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_factory import (
        _UNSUPPORTED_SERVICE_NAMES,
    )

    assert {"elasticmapreduce", "sagemaker"} <= _UNSUPPORTED_SERVICE_NAMES


def test_gap_sync_callback_is_unguarded():
    patches.apply_all()
    original = inspect.getsource(patches.ORIGINALS["sfn_sync_callback_guard"])
    assert [ln.strip() for ln in original.splitlines()].count(patches.SYNC_GUARD_LINE) == 1
    assert "if callback_endpoint is not None" not in original


def _sync_poll_gaps(polls: int = 4) -> list[float]:
    """Seconds between the calls moto's own ``.sync`` loop (``_eval_sync``) makes to a resource
    that is done on its ``polls``-th describe."""
    import time

    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback import (
        StateTaskServiceCallback,
    )

    class Running:
        def is_running(self):
            return True

    calls: list[float] = []

    def describe():
        calls.append(time.perf_counter())
        return {"JobRunState": "SUCCEEDED"} if len(calls) == polls else None

    result = StateTaskServiceCallback._eval_sync(None, Running(), describe, None, None, None)
    assert result == {"JobRunState": "SUCCEEDED"}
    return [b - a for a, b in itertools.pairwise(calls)]


@pytest.mark.timeout(30)
def test_gap_sync_tasks_poll_every_half_second_and_the_patch_polls_faster(monkeypatch):
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_callback as mod,
    )

    patches.apply_all()
    patched = _sync_poll_gaps()
    monkeypatch.setattr(
        mod, "_DELAY_SECONDS_SYNC_CONDITION_CHECK", patches.ORIGINALS["sfn_sync_poll_interval"]
    )
    unpatched = _sync_poll_gaps()
    assert min(unpatched) >= 0.45  # moto's own loop waits half a second between describes
    assert max(patched) < 0.3  # the patched loop waits SYNC_POLL_SECONDS (0.1 s)
    assert patches.SYNC_POLL_SECONDS < 0.5


def test_gap_context_start_time_is_a_datetime():
    from moto.stepfunctions.parser.backend import execution_worker

    assert "StartTime=self._evaluation_details.execution_details.start_time," in inspect.getsource(
        patches.ORIGINALS.get("sfn_start_time_iso")
        or execution_worker.ExecutionWorker._get_evaluation_environment
    )


def test_iso_start_time_matches_aws_format():
    import datetime as dt

    value = dt.datetime(2023, 8, 1, 9, 5, 7, 123456, tzinfo=dt.UTC)
    assert patches.iso_start_time(value) == "2023-08-01T09:05:07.123Z"
    assert patches.iso_start_time("2023-08-01T00:00:00.000Z") == "2023-08-01T00:00:00.000Z"


def test_glue_sync_runs_to_success_with_the_guard():
    """Regression for the crash: a real (unmocked) glue:startJobRun.sync on moto's Glue."""
    import json

    import boto3
    from moto import mock_aws

    from mlpipe.runs import history, states_entered, wait

    patches.apply_all()
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        glue = boto3.client("glue", region_name="us-east-1")
        glue.create_job(
            Name="j", Role="r", Command={"Name": "glueetl", "ScriptLocation": "s3://b/s.py"}
        )
        sfn = boto3.client("stepfunctions", region_name="us-east-1")
        definition = {
            "StartAt": "Run",
            "States": {
                "Run": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::glue:startJobRun.sync",
                    "Parameters": {"JobName": "j"},
                    "End": True,
                }
            },
        }
        arn = sfn.create_state_machine(
            name="g", definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/r"
        )["stateMachineArn"]
        ex = sfn.start_execution(stateMachineArn=arn)["executionArn"]
        desc = wait(sfn, ex, timeout=60)
        assert desc["status"] == "SUCCEEDED", desc
        assert json.loads(desc["output"])["JobRunState"] == "SUCCEEDED"
        assert states_entered(history(sfn, ex)) == ["Run"]


def test_gap_glue_sync_output_keeps_datetimes():
    patches.apply_all()
    source = inspect.getsource(patches.ORIGINALS["sfn_glue_sync_output"])
    assert "return job_run" in source and "json_safe" not in source


# --------------------------------------------------------------------------- stops (patches/stops.py)


def test_gap_glue_and_sagemaker_have_no_stop_api():
    patches.apply_all()
    assert patches.ORIGINALS["glue_batch_stop_job_run"] is None
    assert patches.ORIGINALS["sagemaker_stop_transform_job"] is None


def test_batch_stop_job_run_stops_a_running_run_and_reports_the_others():
    import boto3
    from moto import mock_aws
    from moto.core import DEFAULT_ACCOUNT_ID as ACCOUNT_ID
    from moto.glue.models import glue_backends
    from moto.moto_api import state_manager

    patches.apply_all()
    with mock_aws():
        glue = boto3.client("glue", region_name="us-east-1")
        glue.create_job(
            Name="j",
            Role="r",
            Command={"Name": "glueetl", "ScriptLocation": "s3://b/s.py"},
            ExecutionProperty={"MaxConcurrentRuns": 5},
        )
        state_manager.set_transition("glue::job_run", {"progression": "manual", "times": 99})
        try:
            running = glue.start_job_run(JobName="j")["JobRunId"]
            done = glue.start_job_run(JobName="j")["JobRunId"]
            runs = {
                r.job_run_id: r for r in glue_backends[ACCOUNT_ID]["us-east-1"].jobs["j"].job_runs
            }
            stopped = []
            runs[running]._mlpipe_stop = lambda: stopped.append(running) or True
            runs[done].status = "SUCCEEDED"
            answer = glue.batch_stop_job_run(JobName="j", JobRunIds=[running, done, "jr_nosuch"])
        finally:
            state_manager.unset_transition("glue::job_run")
        assert stopped == [running]
        assert answer["SuccessfulSubmissions"] == [{"JobName": "j", "JobRunId": running}]
        assert [(e["JobRunId"], e["ErrorDetail"]["ErrorCode"]) for e in answer["Errors"]] == [
            (done, "InvalidInputException"),
            ("jr_nosuch", "EntityNotFoundException"),
        ]


def test_stop_transform_job_of_an_unknown_job_is_a_validation_error():
    import boto3
    from botocore.exceptions import ClientError
    from moto import mock_aws

    patches.apply_all()
    with mock_aws():
        sm = boto3.client("sagemaker", region_name="us-east-1")
        with pytest.raises(ClientError) as err:
            sm.stop_transform_job(TransformJobName="nosuch")
        assert err.value.response["Error"]["Code"] == "ValidationException"


# ----------------------------------------------------------------- gaps the Terraform provider hits


def test_gap_sfn_validate_definition_and_list_versions_missing():
    patches.apply_all()
    assert patches.ORIGINALS["sfn_validate_definition"] is None
    assert patches.ORIGINALS["sfn_list_versions"] is None


def test_validation_result_is_statelints_verdict():
    from mlpipe.local_cloud.patches.sfn import validation_result

    ok = '{"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}'
    assert validation_result(ok) == {"result": "OK", "diagnostics": [], "truncated": False}
    bad = validation_result('{"StartAt": "X", "States": {}}')
    assert bad["result"] == "FAIL"
    assert [d["code"] for d in bad["diagnostics"]] == ["SCHEMA_VALIDATION_FAILED"]
    assert "StartAt value X not found" in bad["diagnostics"][0]["message"]
    assert validation_result("{")["diagnostics"][0]["code"] == "INVALID_JSON_DESCRIPTION"


def test_gap_aws_managed_policies_off_by_default_and_patch_loads_them():
    import moto.core.config as moto_config

    patches.apply_all()
    assert patches.ORIGINALS["iam_aws_managed_policies"] is False  # moto's default
    assert '"iam": {"load_aws_managed_policies": False}' in inspect.getsource(moto_config)
    from moto.iam.models import iam_backends

    backend = iam_backends["210987654321"]["global"]
    assert (
        "arn:aws:iam::aws:policy/service-role/AmazonEMRServicePolicy_v2" in backend.managed_policies
    )


def test_gap_moto_condition_operators_are_string_equals_only():
    from moto.iam.policy_conditions import CONDITION_OPERATIONS

    assert set(CONDITION_OPERATIONS) == {"StringEquals"}


TLS_ONLY = {
    "Statement": [
        {
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ]
}


def test_tls_only_policy_denies_plain_http_and_allows_tls():
    import json

    from moto.iam.access_control import IAMPolicy, PermissionResult

    patches.apply_all()
    policy = IAMPolicy(json.dumps(TLS_ONLY))
    denied = policy.is_action_permitted(
        "s3:GetObject", "arn:aws:s3:::b/k", None, {"aws:SecureTransport": "false"}
    )
    allowed = policy.is_action_permitted(
        "s3:GetObject", "arn:aws:s3:::b/k", None, {"aws:SecureTransport": "true"}
    )
    other = policy.is_action_permitted(
        "s3:GetObject", "arn:aws:s3:::other/k", None, {"aws:SecureTransport": "false"}
    )
    assert (denied, allowed, other) == (
        PermissionResult.DENIED,
        PermissionResult.NEUTRAL,
        PermissionResult.NEUTRAL,
    )


@pytest.mark.parametrize(
    "condition, context, holds",
    [
        ({"Bool": {"aws:SecureTransport": "false"}}, {"aws:SecureTransport": "false"}, True),
        ({"Bool": {"aws:SecureTransport": "false"}}, {"aws:SecureTransport": "true"}, False),
        ({"Bool": {"aws:SecureTransport": "false"}}, {}, False),
        ({"BoolIfExists": {"aws:SecureTransport": "false"}}, {}, True),
        (
            {"ArnLike": {"aws:SourceArn": "arn:aws:events:*:1:rule/x-*"}},
            {"aws:SourceArn": "arn:aws:events:us-east-1:1:rule/x-y"},
            True,
        ),
        ({"StringNotEquals": {"k": ["a", "b"]}}, {"k": "a"}, False),
        ({"StringNotEquals": {"k": ["a", "b"]}}, {"k": "c"}, True),
        ({"StringEquals": {"k": "a"}, "StringLike": {"j": "x*"}}, {"k": "a", "j": "y"}, False),
        ({"Null": {"k": "true"}}, {}, True),
        ({"NumericLessThan": {"n": "5"}}, {"n": "4"}, True),
    ],
)
def test_condition_operators(condition, context, holds):
    from mlpipe.local_cloud.patches.s3 import condition_holds

    assert condition_holds(condition, context) is holds


def test_gap_delete_markers_cannot_be_disposed():
    patches.apply_all()
    assert patches.ORIGINALS["s3_delete_marker_dispose"] is None


def test_gap_glue_has_no_update_job_and_defaults_execution_class():
    from moto.glue.models import FakeJob

    patches.apply_all()
    assert patches.ORIGINALS["glue_update_job"] is None
    original_init, _ = patches.ORIGINALS["glue_execution_class"]
    assert 'execution_class or "STANDARD"' in inspect.getsource(original_init)
    assert FakeJob.__init__ is not original_init


def test_update_job_replaces_the_definition():
    from types import SimpleNamespace

    from mlpipe.local_cloud.patches.glue import JOB_UPDATE_FIELDS, apply_job_update

    job = SimpleNamespace(**{attr: "old" for attr in JOB_UPDATE_FIELDS.values()})
    apply_job_update(job, {"Role": "r2", "Timeout": 5, "Command": {"Name": "glueetl"}})
    assert (job.role, job.timeout, job.command) == ("r2", 5, {"Name": "glueetl"})
    assert job.description is None and job.default_arguments == {}  # omitted fields reset


def test_gap_sagemaker_model_reports_an_empty_vpc_config():
    from moto.sagemaker.models import Model

    patches.apply_all()
    original = patches.ORIGINALS["sagemaker_model_vpc_config"]
    model = Model("123456789012", "us-east-1", "m", "arn:aws:iam::1:role/r", {"Image": "i"}, {})
    assert original.fget(model)["VpcConfig"] == {}
    assert "VpcConfig" not in model.response_object


def test_gap_budgets_has_no_subscriber_or_tag_api():
    patches.apply_all()
    assert patches.ORIGINALS["budgets_subscribers_tags"][0] is None


def test_gap_aws_sdk_tasks_pass_names_through_unchanged():
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service import (
        StateTaskService,
    )

    patches.apply_all()
    params, response = patches.ORIGINALS["sfn_aws_sdk_pascal_case"]
    assert params is StateTaskService._normalise_parameters  # the base class's no-op
    assert response is StateTaskService._normalise_response


def test_aws_sdk_task_takes_and_returns_pascal_case(monkeypatch):
    """An aws-sdk:sfn:listExecutions Task as our EMR single-flight guard writes it (AWS's
    PascalCase), on moto's engine in process."""
    import json
    import time

    import boto3
    from moto import mock_aws
    from moto.core.config import default_user_config

    patches.apply_all()
    # executions run only inside this test (other tests' in-process moto must not run them)
    monkeypatch.setitem(
        default_user_config, "stepfunctions", {**default_user_config.get("stepfunctions", {})}
    )
    monkeypatch.setitem(default_user_config["stepfunctions"], "execute_state_machine", True)
    definition = {
        "StartAt": "Count",
        "States": {
            "Count": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:sfn:listExecutions",
                "Parameters": {
                    "StateMachineArn.$": "$$.StateMachine.Id",
                    "StatusFilter": "RUNNING",
                    "MaxResults": 2,
                },
                "ResultSelector": {"running.$": "States.ArrayLength($.Executions)"},
                "End": True,
            }
        },
    }
    with mock_aws():
        sfn = boto3.client("stepfunctions", region_name="us-east-1")
        arn = sfn.create_state_machine(
            name="guard",
            definition=json.dumps(definition),
            roleArn="arn:aws:iam::123456789012:role/r",
        )["stateMachineArn"]
        execution = sfn.start_execution(stateMachineArn=arn)["executionArn"]
        deadline = time.monotonic() + 20
        while (d := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
            assert time.monotonic() < deadline
            time.sleep(0.05)
    assert (d["status"], json.loads(d["output"])) == ("SUCCEEDED", {"running": 1})
