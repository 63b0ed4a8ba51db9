"""Step Functions service integrations moto 5.2.5 lacks: EMR and SageMaker.

Modelled on moto's own Glue integration (``StateTaskServiceGlue``): a request-response call,
plus a ``.sync`` resolver that polls until the resource ends. Failures use the names AWS
uses, so Retry/Catch in our ASL behave as on AWS:

* an API error -> ``EMR.AmazonElasticMapReduceException`` / ``SageMaker.AmazonSageMakerException``
  (cause: the service's message);
* a cluster/step/transform that ends badly -> ``States.TaskFailed`` (cause: its description).

They talk to whatever endpoint moto's engine is configured for (in-process mocks, or the
local cloud server), exactly like moto's Glue integration.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError
from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import (
    CustomErrorName,
)
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import (
    StatesErrorName,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
    StatesErrorNameType,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.credentials import (
    StateCredentials,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.resource import (
    ResourceCondition,
    ResourceRuntimePart,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback import (
    StateTaskServiceCallback,
)
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.asl.utils.boto_client import boto_client_for


def _epoch_millis(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return int(value.timestamp() * 1000)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def json_safe(value: Any) -> Any:
    """A service response as Step Functions passes it on: timestamps become epoch millis."""
    return json.loads(json.dumps(value, default=_epoch_millis))


class _PollingService(StateTaskServiceCallback):
    """Shared machinery: dispatch by action, map errors, raise States.TaskFailed."""

    boto_service: str = ""
    error_prefix: str = ""  # e.g. "EMR.AmazonElasticMapReduceException"
    parameters: dict[str, set[str]] = {}  # action (lower case) -> accepted Parameters

    def __init__(self) -> None:
        # moto declares its ResourceCondition constants as plain str class attributes
        super().__init__(supported_integration_patterns={ResourceCondition.Sync})  # type: ignore[arg-type]

    def _get_supported_parameters(self) -> set[str] | None:
        """None marks an unsupported action: moto then rejects the definition."""
        return self.parameters.get(self._action())

    def _client(
        self, resource_runtime_part: ResourceRuntimePart, state_credentials: StateCredentials
    ) -> Any:
        return boto_client_for(
            service=self.boto_service,
            region=resource_runtime_part.region,
            state_credentials=state_credentials,
        )

    def _from_error(self, env: Environment, ex: Exception) -> FailureEvent:
        if isinstance(ex, ClientError):
            return self._failure(
                env, self.error_prefix, ex.response["Error"].get("Message", str(ex)), custom=True
            )
        return super()._from_error(env=env, ex=ex)

    def _failure(
        self, env: Environment, error: str, cause: str, custom: bool = False
    ) -> FailureEvent:
        name = (
            CustomErrorName(error)
            if custom
            else StatesErrorName(typ=StatesErrorNameType.StatesTaskFailed)
        )
        return FailureEvent(
            env=env,
            error_name=name,
            event_type=HistoryEventType.TaskFailed,
            # moto's EventDetails TypedDict lists every event kind as required; moto itself
            # builds it with one key, as here
            event_details=EventDetails(  # type: ignore[typeddict-item]
                taskFailedEventDetails=TaskFailedEventDetails(
                    error=error,
                    cause=cause,
                    resource=self._get_sfn_resource(),
                    resourceType=self._get_sfn_resource_type(),
                )
            ),
        )

    def _task_failed(self, env: Environment, description: dict[str, Any]) -> FailureEventException:
        return FailureEventException(
            self._failure(env, "States.TaskFailed", json.dumps(json_safe(description)))
        )

    def _action(self) -> str:
        return self.resource.api_action.lower()

    def _eval_service_task(
        self,
        env: Environment,
        resource_runtime_part: ResourceRuntimePart,
        normalised_parameters: dict[str, Any],
        state_credentials: StateCredentials,
    ) -> None:
        handler = getattr(self, f"_call_{self._action()}", None)
        if handler is None:
            raise ValueError(f"unsupported {self.boto_service} action {self.resource.api_action!r}")
        client = self._client(resource_runtime_part, state_credentials)
        env.stack.append(json_safe(handler(client, normalised_parameters)))

    def _build_sync_resolver(
        self,
        env: Environment,
        resource_runtime_part: ResourceRuntimePart,
        normalised_parameters: dict[str, Any],
        state_credentials: StateCredentials,
    ) -> Callable[[], Any]:
        started = env.stack.pop()
        client = self._client(resource_runtime_part, state_credentials)
        poll = getattr(self, f"_poll_{self._action()}", None)
        if poll is None:
            raise ValueError(
                f"{self.resource.api_action} has no .sync integration (use request-response)"
            )

        def resolver() -> Any:
            return poll(env, client, started, normalised_parameters)

        return resolver


class StateTaskServiceEmr(_PollingService):
    """``arn:aws:states:::elasticmapreduce:*`` (boto3's name for the service is ``emr``)."""

    boto_service = "emr"
    error_prefix = "EMR.AmazonElasticMapReduceException"
    parameters = {
        "createcluster": {
            "Name",
            "LogUri",
            "LogEncryptionKmsKeyId",
            "AdditionalInfo",
            "ReleaseLabel",
            "Instances",
            "Steps",
            "BootstrapActions",
            "Applications",
            "Configurations",
            "VisibleToAllUsers",
            "JobFlowRole",
            "ServiceRole",
            "Tags",
            "SecurityConfiguration",
            "AutoScalingRole",
            "ScaleDownBehavior",
            "CustomAmiId",
            "EbsRootVolumeSize",
            "StepConcurrencyLevel",
            "ManagedScalingPolicy",
            "AutoTerminationPolicy",
            "OSReleaseLabel",
        },
        "addstep": {"ClusterId", "Step", "ExecutionRoleArn"},
        "terminatecluster": {"ClusterId"},
        "cancelstep": {"ClusterId", "StepId"},
    }

    def _call_createcluster(self, client: Any, params: dict[str, Any]) -> dict[str, Any]:
        out = client.run_job_flow(**params)
        return {"ClusterId": out["JobFlowId"], "ClusterArn": out.get("ClusterArn")}

    def _call_addstep(self, client: Any, params: dict[str, Any]) -> dict[str, Any]:
        out = client.add_job_flow_steps(JobFlowId=params["ClusterId"], Steps=[params["Step"]])
        return {"StepId": out["StepIds"][0]}

    def _call_terminatecluster(self, client: Any, params: dict[str, Any]) -> dict[str, Any]:
        client.terminate_job_flows(JobFlowIds=[params["ClusterId"]])
        return {}

    def _call_cancelstep(self, client: Any, params: dict[str, Any]) -> dict[str, Any]:
        out = client.cancel_steps(ClusterId=params["ClusterId"], StepIds=[params["StepId"]])
        return {"CancelStepsInfoList": out.get("CancelStepsInfoList", [])}

    def _poll_createcluster(self, env: Environment, client: Any, started: Any, params: Any) -> Any:
        cluster = client.describe_cluster(ClusterId=started["ClusterId"])["Cluster"]
        state = cluster["Status"]["State"]
        if state in ("WAITING", "RUNNING"):
            return {"ClusterId": cluster["Id"], "ClusterArn": cluster.get("ClusterArn")}
        if state in ("TERMINATED", "TERMINATED_WITH_ERRORS"):
            raise self._task_failed(env, {"Cluster": cluster})
        return None

    def _poll_addstep(self, env: Environment, client: Any, started: Any, params: Any) -> Any:
        step = client.describe_step(ClusterId=params["ClusterId"], StepId=started["StepId"])["Step"]
        state = step["Status"]["State"]
        if state == "COMPLETED":
            return {"Step": json_safe(step)}
        if state in ("FAILED", "CANCELLED", "INTERRUPTED"):
            raise self._task_failed(env, {"Step": step})
        return None

    def _poll_terminatecluster(
        self, env: Environment, client: Any, started: Any, params: Any
    ) -> Any:
        cluster = client.describe_cluster(ClusterId=params["ClusterId"])["Cluster"]
        return (
            {"Cluster": {"Id": cluster["Id"], "Status": {"State": cluster["Status"]["State"]}}}
            if cluster["Status"]["State"] in ("TERMINATED", "TERMINATED_WITH_ERRORS")
            else None
        )


class StateTaskServiceSageMaker(_PollingService):
    """``arn:aws:states:::sagemaker:createTransformJob[.sync]``."""

    boto_service = "sagemaker"
    error_prefix = "SageMaker.AmazonSageMakerException"
    parameters = {
        "createtransformjob": {
            "TransformJobName",
            "ModelName",
            "MaxConcurrentTransforms",
            "ModelClientConfig",
            "MaxPayloadInMB",
            "BatchStrategy",
            "Environment",
            "TransformInput",
            "TransformOutput",
            "DataCaptureConfig",
            "TransformResources",
            "DataProcessing",
            "Tags",
            "ExperimentConfig",
        },
        "stoptransformjob": {"TransformJobName"},
    }

    def _call_createtransformjob(self, client: Any, params: dict[str, Any]) -> dict[str, Any]:
        return {"TransformJobArn": client.create_transform_job(**params)["TransformJobArn"]}

    def _call_stoptransformjob(self, client: Any, params: dict[str, Any]) -> dict[str, Any]:
        client.stop_transform_job(**params)
        return {}

    def _poll_createtransformjob(
        self, env: Environment, client: Any, started: Any, params: Any
    ) -> Any:
        job = client.describe_transform_job(TransformJobName=params["TransformJobName"])
        job.pop("ResponseMetadata", None)
        status = job["TransformJobStatus"]
        if status == "Completed":
            return json_safe(job)
        if status in ("Failed", "Stopped"):
            raise self._task_failed(env, job)
        return None


SERVICES = {"elasticmapreduce": StateTaskServiceEmr, "sagemaker": StateTaskServiceSageMaker}
