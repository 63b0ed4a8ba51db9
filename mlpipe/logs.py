"""Where each engine writes its logs, and the logs of an execution's tasks.

The layouts are AWS's, so the same reader works on the local cloud, LocalStack and AWS:

* Glue: CloudWatch Logs groups ``<prefix>/output|error``, one stream per job run id, where the
  prefix is the job's ``--custom-logGroup-prefix`` (Glue 5.0; the stack sets the env's
  ``/aws-glue/jobs/<project>-<env>``) or AWS's default ``/aws-glue/jobs``;
* EMR: ``<LogUri><cluster id>/steps/<step id>/stdout.gz|stderr.gz`` in S3;
* SageMaker batch transform: the job's status and FailureReason.

``invoke logs`` prints :func:`execution_logs`.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mlpipe.aws import client, split_s3
from mlpipe.config import Settings

GLUE_DEFAULT_LOG_PREFIX = "/aws-glue/jobs"
GLUE_LOG_PREFIX_ARG = "--custom-logGroup-prefix"


def glue_log_groups(prefix: str = GLUE_DEFAULT_LOG_PREFIX) -> dict[str, str]:
    """Glue 5.0's log groups for a ``--custom-logGroup-prefix``: ``{output, error}``."""
    return {kind: f"{prefix.rstrip('/')}/{kind}" for kind in ("output", "error")}


# AWS's shared groups (every job without a custom prefix writes there)
GLUE_LOG_GROUPS = glue_log_groups()
EMR_STEP_LOG_FILES = ("stdout.gz", "stderr.gz")


def emr_step_log_prefix(log_uri: str, cluster_id: str, step_id: str) -> str:
    """``s3://`` prefix of one EMR step's logs (EMR reports LogUri as ``s3n://``)."""
    base = "s3://" + log_uri.split("://", 1)[1] if log_uri.startswith("s3n://") else log_uri
    return f"{base.rstrip('/')}/{cluster_id}/steps/{step_id}/"


@dataclass
class FinishedTask:
    """A Task attempt that ended: its service, the parameters it was scheduled with, and the
    service's answer (the output on success, the JSON cause on failure)."""

    resource_type: str
    parameters: dict[str, Any]
    payload: dict[str, Any]
    succeeded: bool


@dataclass
class TaskLog:
    heading: str
    lines: list[str] = field(default_factory=list)


def _json(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def finished_tasks(events: list[dict[str, Any]]) -> list[FinishedTask]:
    """Every Task attempt that succeeded or failed, in history order (pure)."""
    out: list[FinishedTask] = []
    scheduled: dict[str, Any] = {}
    for e in events:
        if e["type"] == "TaskScheduled":
            scheduled = _json(e["taskScheduledEventDetails"].get("parameters"))
        elif e["type"] in ("TaskSucceeded", "TaskFailed"):
            ok = e["type"] == "TaskSucceeded"
            d = e["taskSucceededEventDetails" if ok else "taskFailedEventDetails"]
            payload = _json(d.get("output") if ok else d.get("cause"))
            out.append(FinishedTask(d.get("resourceType", ""), scheduled, payload, ok))
            scheduled = {}
    return out


def glue_log(logs: Any, task: FinishedTask, prefix: str) -> TaskLog | None:
    """Driver output and error streams of a Glue job run, from ``prefix``'s groups (then from
    the default groups, for a run of a job deployed without the prefix)."""
    run_id = task.payload.get("Id")
    if not run_id:
        return None
    log = TaskLog(
        f"glue {task.payload.get('JobName')} run {run_id} {task.payload.get('JobRunState')}"
    )
    candidates = [glue_log_groups(prefix)]
    if prefix != GLUE_DEFAULT_LOG_PREFIX:
        candidates.append(GLUE_LOG_GROUPS)
    for groups in candidates:
        for kind, group in groups.items():
            try:
                events = logs.get_log_events(logGroupName=group, logStreamName=run_id)["events"]
            except logs.exceptions.ResourceNotFoundException:
                continue
            log.lines += [f"{kind}: {ev['message']}" for ev in events]
        if log.lines:
            break
    return log


def emr_step_log(emr: Any, s3: Any, task: FinishedTask) -> TaskLog | None:
    """stdout and stderr of an EMR step, from the cluster's LogUri."""
    step = task.payload.get("Step")
    if not isinstance(step, dict):
        return None
    log = TaskLog(f"emr step {step.get('Id')} {step.get('Status', {}).get('State')}")
    cluster_id = task.parameters.get("ClusterId")
    if not cluster_id or not step.get("Id"):
        return log
    log_uri = emr.describe_cluster(ClusterId=cluster_id)["Cluster"].get("LogUri")
    if not log_uri:
        log.lines.append(f"cluster {cluster_id} has no LogUri")
        return log
    bucket, key = split_s3(emr_step_log_prefix(log_uri, cluster_id, step["Id"]))
    for name in EMR_STEP_LOG_FILES:
        try:
            body = s3.get_object(Bucket=bucket, Key=key + name)["Body"].read()
        except s3.exceptions.NoSuchKey:
            continue
        log.lines.append(gzip.decompress(body).decode(errors="replace"))
    return log


def transform_log(task: FinishedTask) -> TaskLog | None:
    """A SageMaker batch transform: status and failure reason."""
    name = task.payload.get("TransformJobName")
    if not name:
        return None
    reason = task.payload.get("FailureReason", "")
    return TaskLog(f"transform {name} {task.payload.get('TransformJobStatus')} {reason}".rstrip())


def execution_logs(
    settings: Settings,
    events: list[dict[str, Any]],
    clients: Callable[[str], Any] | None = None,
) -> list[TaskLog]:
    """The logs of every finished task of an execution (its GetExecutionHistory events)."""
    made: dict[str, Any] = {}

    def get(service: str) -> Any:
        if service not in made:
            made[service] = (clients or (lambda s: client(settings, s)))(service)
        return made[service]

    out: list[TaskLog] = []
    for task in finished_tasks(events):
        if task.resource_type == "glue":
            log = glue_log(get("logs"), task, settings.name("glue_log_prefix"))
        elif task.resource_type == "elasticmapreduce":
            log = emr_step_log(get("emr"), get("s3"), task)
        elif task.resource_type == "sagemaker":
            log = transform_log(task)
        else:
            log = None
        if log:
            out.append(log)
    return out
