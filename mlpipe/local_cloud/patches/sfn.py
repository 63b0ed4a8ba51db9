"""Step Functions patches: moto's ASL interpreter gaps that our state machines hit.

Each patch has a regression test (tests/unit/test_moto_patches.py) that fails when a moto
upgrade changes the behaviour it works around, so the patch can be dropped or redone.
``apply_all()`` is idempotent; the local cloud server and the test fixtures call it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from contextvars import ContextVar
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from mlpipe.local_cloud.patches._registry import ORIGINALS

if TYPE_CHECKING:
    from datetime import datetime

# --------------------------------------------------------------------------- sfn_mock_config
# moto ships LocalStack's Step Functions mock-config machinery, but (1) its loader is
# hard-coded to ``raw_mock_config = None`` and (2) the backend's start_execution neither
# strips a ``#TestCase`` ARN suffix nor hands a test case to the execution worker. This patch
# reads the Step Functions Local format from ``$SFN_MOCK_CONFIG`` (the variable LocalStack
# and SFN Local use) and wires the test case through.

MOCK_CONFIG_ENV = "SFN_MOCK_CONFIG"
_PENDING_TEST_CASE: ContextVar[Any] = ContextVar("mlpipe_sfn_test_case", default=None)


class MockConfigError(ValueError):
    pass


def _raw_mock_config(data: dict[str, Any]) -> SimpleNamespace:
    """Duck-type the pydantic models moto's ``_mock_test_case_from_raw`` expects."""

    def response(raw: dict[str, Any]) -> SimpleNamespace:
        ret = raw.get("Return")
        throw = raw.get("Throw")
        return SimpleNamespace(
            Return=SimpleNamespace(model_dump=lambda r=ret: r) if ret is not None else None,
            Throw=SimpleNamespace(Error=throw.get("Error"), Cause=throw.get("Cause"))
            if throw
            else None,
        )

    machines = {
        name: SimpleNamespace(
            TestCases={
                case: SimpleNamespace(root=states)
                for case, states in sm.get("TestCases", {}).items()
            }
        )
        for name, sm in data.get("StateMachines", {}).items()
    }
    responses = {
        name: {rng: response(r) for rng, r in ranges.items()}
        for name, ranges in data.get("MockedResponses", {}).items()
    }
    return SimpleNamespace(StateMachines=machines, MockedResponses=responses)


def load_mock_test_case(state_machine_name: str, test_case_name: str) -> Any:
    from moto.stepfunctions.parser.mocking.mock_config import _mock_test_case_from_raw

    path = os.environ.get(MOCK_CONFIG_ENV)
    if not path:
        raise MockConfigError(
            f"test case {test_case_name!r} requested but ${MOCK_CONFIG_ENV} is not set"
        )
    with open(path, encoding="utf-8") as fh:
        raw = _raw_mock_config(json.load(fh))
    return _mock_test_case_from_raw(
        state_machine_name=state_machine_name, test_case_name=test_case_name, raw_mock_config=raw
    )


def _patch_sfn_mock_config() -> None:
    from moto.stepfunctions.parser.api import InvalidName
    from moto.stepfunctions.parser.backend.execution import Execution
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    original_start = StepFunctionsParserBackend.start_execution
    original_worker = Execution._get_start_execution_worker
    ORIGINALS["sfn_mock_config"] = original_start

    def start_execution(
        self: Any,
        state_machine_arn: str,
        name: Any = None,
        execution_input: Any = None,
        trace_header: Any = None,
    ) -> Any:
        base_arn, _, case = state_machine_arn.partition("#")
        if not case:
            return original_start(self, state_machine_arn, name, execution_input, trace_header)
        machine = self.describe_state_machine(base_arn)
        try:
            test_case = load_mock_test_case(machine.name, case)
        except (MockConfigError, RuntimeError, OSError, ValueError) as exc:
            raise InvalidName(
                f"Invalid mock test case name '{case}' for state machine '{machine.name}': {exc}"
            ) from None
        token = _PENDING_TEST_CASE.set(test_case)
        try:
            return original_start(self, base_arn, name, execution_input, trace_header)
        finally:
            _PENDING_TEST_CASE.reset(token)

    def get_worker(self: Any) -> Any:
        worker = original_worker(self)
        # moto declares the attribute Final and never sets it from a request: that is the gap
        worker._mock_test_case = _PENDING_TEST_CASE.get()  # type: ignore[misc]
        return worker

    StepFunctionsParserBackend.start_execution = start_execution
    Execution._get_start_execution_worker = get_worker


# --------------------------------------------------------------------------- sfn_mock_states_errors
# A mocked ``Throw`` is turned into moto's ``CustomErrorName``, which rejects every
# ``States.*`` name, so a mock cannot throw ``States.TaskFailed`` (what a FAILED Glue run,
# EMR step or transform job raises on AWS). Use ``StatesErrorName`` for those names.


def mock_error_name(error: str) -> Any:
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import (
        CustomErrorName,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import (
        StatesErrorName,
    )

    return (
        StatesErrorName.from_name(error) if error.startswith("States.") else CustomErrorName(error)
    )


def _patch_sfn_mock_states_errors() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import mock_eval_utils

    ORIGINALS["sfn_mock_states_errors"] = mock_eval_utils.CustomErrorName
    # the patch replaces the class moto calls with a factory that also accepts States.* names
    mock_eval_utils.CustomErrorName = mock_error_name  # type: ignore[misc]


# --------------------------------------------------------------------------- sfn_emr_sagemaker_services
# moto lists ``elasticmapreduce`` and ``sagemaker`` as unsupported services, so any such Task
# fails ("Unsupported sync callback procedure"), even when mocked. Route them to our
# integrations in mlpipe/local_cloud/patches/sfn_integrations.py.


def _patch_sfn_services() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_factory

    from mlpipe.local_cloud.patches.sfn_integrations import SERVICES

    original = state_task_factory.state_task_service_for
    ORIGINALS["sfn_emr_sagemaker_services"] = original

    def state_task_service_for(service_name: str) -> Any:
        if service_name in SERVICES:
            return SERVICES[service_name]()
        return original(service_name=service_name)

    state_task_factory.state_task_service_for = state_task_service_for


# --------------------------------------------------------------------------- sfn_sync_callback_guard
# ``StateTaskServiceCallback._eval_integration_pattern`` ends with an unguarded
# ``callback_endpoint.interrupt_all()``; for integrations without .waitForTaskToken (Glue, and
# ours) the endpoint is None, so every ``.sync`` Task crashes with
# "'NoneType' object has no attribute 'interrupt_all'". The override below is moto 5.2.5's
# method with that one call guarded (no source is recompiled); the gap test checks the
# original still has the unguarded line, so an upgrade makes us review it.

SYNC_GUARD_LINE = "callback_endpoint.interrupt_all()"


def _eval_integration_pattern(
    self: Any,
    env: Any,
    resource_runtime_part: Any,
    normalised_parameters: dict[str, Any],
    state_credentials: Any,
) -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.resource import (
        ResourceCondition,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback import (
        CallbackOutcomeFailureError,
        CallbackTimeoutError,
        HeartbeatTimeoutError,
    )
    from moto.stepfunctions.parser.asl.eval.callback.callback import (
        CallbackOutcomeFailure,
        CallbackOutcomeSuccess,
        CallbackOutcomeTimedOut,
        HeartbeatTimedOut,
    )

    task_output = env.stack.pop()
    callback_endpoint: Any = None
    if ResourceCondition.WaitForTaskToken in self._supported_integration_patterns:
        callback_id = env.states.context_object.context_object_data["Task"]["Token"]
        callback_endpoint = env.callback_pool_manager.get(callback_id)
    self.timeout.eval(env=env)
    timeout_seconds = env.stack.pop()
    heartbeat_endpoint = None
    if self.heartbeat:
        self.heartbeat.eval(env=env)
        heartbeat_seconds = env.stack.pop()
        heartbeat_endpoint = callback_endpoint.setup_heartbeat_endpoint(
            heartbeat_seconds=heartbeat_seconds
        )
    try:
        if self.resource.condition == ResourceCondition.WaitForTaskToken:
            outcome = self._eval_wait_for_task_token(
                env=env,
                timeout_seconds=timeout_seconds,
                callback_endpoint=callback_endpoint,
                heartbeat_endpoint=heartbeat_endpoint,
            )
        else:
            env.stack.append(task_output)
            build = (
                self._build_sync_resolver
                if self.resource.condition == ResourceCondition.Sync
                else self._build_sync2_resolver
            )
            sync_resolver = build(
                env=env,
                resource_runtime_part=resource_runtime_part,
                normalised_parameters=normalised_parameters,
                state_credentials=state_credentials,
            )
            outcome = self._eval_sync(
                env=env,
                timeout_seconds=timeout_seconds,
                callback_endpoint=callback_endpoint,
                heartbeat_endpoint=heartbeat_endpoint,
                sync_resolver=sync_resolver,
            )
    except Exception as integration_exception:
        outcome = integration_exception
    finally:
        if callback_endpoint is not None:  # the fix
            callback_endpoint.interrupt_all()

    if isinstance(outcome, CallbackOutcomeTimedOut):
        raise CallbackTimeoutError()
    if isinstance(outcome, HeartbeatTimedOut):
        raise HeartbeatTimeoutError()
    if isinstance(outcome, CallbackOutcomeFailure):
        raise CallbackOutcomeFailureError(callback_outcome_failure=outcome)
    if isinstance(outcome, CallbackOutcomeSuccess):
        env.stack.append(json.loads(outcome.output))
    elif isinstance(outcome, Exception):
        raise outcome
    else:
        env.stack.append(outcome)


def _patch_sfn_sync_callback_guard() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_callback as mod,
    )

    ORIGINALS["sfn_sync_callback_guard"] = mod.StateTaskServiceCallback._eval_integration_pattern
    mod.StateTaskServiceCallback._eval_integration_pattern = _eval_integration_pattern


# --------------------------------------------------------------------------- sfn_start_time_iso
# ``$$.Execution.StartTime`` is a datetime in moto's context object; on AWS it is an ISO 8601
# string (e.g. 2023-08-01T10:00:00.000Z), which our ASL splits to get the default run date.


def iso_start_time(value: str | datetime) -> str:
    if isinstance(value, str):
        return value
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _patch_sfn_start_time_iso() -> None:
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    original = ExecutionWorker._get_evaluation_environment
    ORIGINALS["sfn_start_time_iso"] = original

    def get_evaluation_environment(self: Any) -> Any:
        env = original(self)
        execution = env.states.context_object.context_object_data["Execution"]
        execution["StartTime"] = iso_start_time(execution["StartTime"])
        return env

    ExecutionWorker._get_evaluation_environment = get_evaluation_environment


# --------------------------------------------------------------------------- sfn_sync_poll_interval
# A ``.sync`` Task (Glue job run, EMR cluster and step, SageMaker transform) polls its resource
# every 0.5 s in moto, so each one ended on average a quarter second after its resource did: about
# half a second of every two-job churn run. The local cloud polls every 0.1 s (one cheap describe
# call to itself).

SYNC_POLL_SECONDS = 0.1


def _patch_sfn_sync_poll_interval() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_callback as mod,
    )

    ORIGINALS["sfn_sync_poll_interval"] = mod._DELAY_SECONDS_SYNC_CONDITION_CHECK
    mod._DELAY_SECONDS_SYNC_CONDITION_CHECK = SYNC_POLL_SECONDS  # type: ignore[misc]


# --------------------------------------------------------------------------- sfn_glue_sync_output
# moto's Glue ``.sync`` resolver returns GetJobRun as boto3 parsed it, datetimes included, and
# the execution then fails to serialise. Step Functions emits timestamps as epoch millis.


def _patch_sfn_glue_sync_output() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_glue import (
        StateTaskServiceGlue,
    )

    from mlpipe.local_cloud.patches.sfn_integrations import json_safe

    original = StateTaskServiceGlue._sync_to_start_job_run
    ORIGINALS["sfn_glue_sync_output"] = original

    def sync_to_start_job_run(self: Any, *args: Any, **kwargs: Any) -> Callable[[], Any]:
        resolver: Callable[[], Any] = original(self, *args, **kwargs)

        def safe_resolver() -> Any:
            result = resolver()
            return None if result is None else json_safe(result)

        return safe_resolver

    StateTaskServiceGlue._sync_to_start_job_run = sync_to_start_job_run


# --------------------------------------------------------------------------- sfn_validate_definition
# The AWS provider calls ValidateStateMachineDefinition while planning every
# aws_sfn_state_machine; moto lacks it (NotImplementedError -> HTTP 500, which the provider
# retries until its timeout). Answer it as Step Functions does: OK, or FAIL with one ERROR
# diagnostic per problem statelint (the project's ASL linter) finds.


def validation_result(definition: str) -> dict[str, Any]:
    """ValidateStateMachineDefinition's response for one definition string."""
    from mlpipe.asl import statelint_problems

    try:
        parsed = json.loads(definition)
    except (TypeError, ValueError) as exc:
        problems = [("INVALID_JSON_DESCRIPTION", f"invalid JSON: {exc}")]
    else:
        if not isinstance(parsed, dict):
            problems = [("SCHEMA_VALIDATION_FAILED", "the definition must be a JSON object")]
        else:
            problems = [("SCHEMA_VALIDATION_FAILED", p) for p in statelint_problems(parsed)]
    return {
        "result": "FAIL" if problems else "OK",
        "diagnostics": [
            {"severity": "ERROR", "code": code, "message": msg, "location": "/"}
            for code, msg in problems
        ],
        "truncated": False,
    }


def _patch_sfn_validate_definition() -> None:
    from moto.core.responses import ActionResult
    from moto.stepfunctions.responses import StepFunctionResponse

    ORIGINALS["sfn_validate_definition"] = getattr(
        StepFunctionResponse, "validate_state_machine_definition", None
    )

    def validate_state_machine_definition(self: Any) -> Any:
        return ActionResult(validation_result(self._get_param("definition")))

    StepFunctionResponse.validate_state_machine_definition = validate_state_machine_definition


# --------------------------------------------------------------------------- sfn_list_versions
# The provider reads ListStateMachineVersions after every create/update; moto lacks it. Our
# state machines never publish versions, so the truthful answer is an empty list for a
# machine that exists and StateMachineDoesNotExist otherwise.


def _patch_sfn_list_versions() -> None:
    from moto.core.responses import ActionResult
    from moto.stepfunctions.responses import StepFunctionResponse

    ORIGINALS["sfn_list_versions"] = getattr(
        StepFunctionResponse, "list_state_machine_versions", None
    )

    def list_state_machine_versions(self: Any) -> Any:
        arn = self._get_param("stateMachineArn")
        self.stepfunction_backend.describe_state_machine(arn)  # raises when it does not exist
        return ActionResult({"stateMachineVersions": []})

    StepFunctionResponse.list_state_machine_versions = list_state_machine_versions


# --------------------------------------------------------------------------- sfn_aws_sdk_pascal_case
# In ``arn:aws:states:::aws-sdk:<service>:<action>`` Tasks, Step Functions takes parameters
# and returns response fields in PascalCase whatever the service API's own casing
# (``StateMachineArn`` for ListExecutions, whose API says ``stateMachineArn``; the result's
# ``Executions``). moto passes the names to boto3 unchanged (KeyError 'StateMachineArn') and
# returns boto3's casing. This patch maps parameter names onto the operation's input shape
# (case-insensitively) and PascalCases the response's structure members (map keys stay as
# they are), guided by botocore's service model; timestamps become ISO 8601 strings.


def _shape_walk(value: Any, shape: Any, rename: Callable[[str, Any], tuple[str, Any]]) -> Any:
    """Rename structure members of ``value`` along botocore ``shape`` with ``rename``."""
    if shape is None:
        return value
    if shape.type_name == "structure" and isinstance(value, dict):
        members = shape.members
        out = {}
        for key, item in value.items():
            member = rename(key, members)
            out[member[0]] = _shape_walk(item, member[1], rename)
        return out
    if shape.type_name == "list" and isinstance(value, list):
        return [_shape_walk(v, shape.member, rename) for v in value]
    if shape.type_name == "map" and isinstance(value, dict):
        return {k: _shape_walk(v, shape.value, rename) for k, v in value.items()}
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _to_api_name(key: str, members: Any) -> tuple[str, Any]:
    for name, shape in members.items():
        if name.lower() == key.lower():
            return name, shape
    return key, None


def _to_pascal(key: str, members: Any) -> tuple[str, Any]:
    shape = members.get(key)
    return key[:1].upper() + key[1:], shape


def aws_sdk_operation(service: str, action: str) -> Any:
    """botocore's OperationModel for an aws-sdk Task (service as boto3 names it)."""
    import botocore.session
    from botocore import xform_name

    model = botocore.session.get_session().get_service_model(service)
    for name in model.operation_names:
        if xform_name(name) == action:
            return model.operation_model(name)
    raise KeyError(f"{service} has no operation {action}")


def _patch_sfn_aws_sdk_pascal_case() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk import (
        StateTaskServiceAwsSdk,
    )

    ORIGINALS["sfn_aws_sdk_pascal_case"] = (
        StateTaskServiceAwsSdk._normalise_parameters,
        StateTaskServiceAwsSdk._normalise_response,
    )

    def operation(self: Any) -> Any:
        return aws_sdk_operation(self._get_boto_service_name(), self._get_boto_service_action())

    def normalise_parameters(
        self: Any,
        parameters: dict[str, Any],
        boto_service_name: str | None = None,
        service_action_name: str | None = None,
    ) -> None:
        renamed = _shape_walk(dict(parameters), operation(self).input_shape, _to_api_name)
        parameters.clear()
        parameters.update(renamed)

    def normalise_response(
        self: Any,
        response: Any,
        boto_service_name: str | None = None,
        service_action_name: str | None = None,
    ) -> None:
        if not isinstance(response, dict):
            return
        renamed = _shape_walk(dict(response), operation(self).output_shape, _to_pascal)
        response.clear()
        response.update(renamed)

    StateTaskServiceAwsSdk._normalise_parameters = normalise_parameters
    StateTaskServiceAwsSdk._normalise_response = normalise_response


PATCHES = {
    "sfn_mock_config": _patch_sfn_mock_config,
    "sfn_mock_states_errors": _patch_sfn_mock_states_errors,
    "sfn_emr_sagemaker_services": _patch_sfn_services,
    "sfn_sync_callback_guard": _patch_sfn_sync_callback_guard,
    "sfn_start_time_iso": _patch_sfn_start_time_iso,
    "sfn_glue_sync_output": _patch_sfn_glue_sync_output,
    "sfn_sync_poll_interval": _patch_sfn_sync_poll_interval,
    "sfn_validate_definition": _patch_sfn_validate_definition,
    "sfn_list_versions": _patch_sfn_list_versions,
    "sfn_aws_sdk_pascal_case": _patch_sfn_aws_sdk_pascal_case,
}
