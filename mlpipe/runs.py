"""Start, watch and summarise Step Functions executions (any endpoint: local cloud,
LocalStack, AWS). The history helpers are pure functions over ``GetExecutionHistory`` events."""

from __future__ import annotations

import json
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlpipe.aws import client, split_s3
from mlpipe.config import Settings

TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}


Event = dict[str, Any]


def history(sfn: Any, execution_arn: str) -> list[Event]:
    events, token = [], None
    while True:
        kwargs = {"executionArn": execution_arn, "maxResults": 1000}
        if token:
            kwargs["nextToken"] = token
        page = sfn.get_execution_history(**kwargs)
        events += page["events"]
        token = page.get("nextToken")
        if not token:
            return events


def states_entered(events: list[Event]) -> list[str]:
    return [
        e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e
    ]


def task_attempts(events: list[Event]) -> dict[str, int]:
    """Attempts per Task state (1 + retries), from TaskScheduled events inside each state."""
    attempts: dict[str, int] = {}
    current = None
    for e in events:
        if e["type"] == "TaskStateEntered":
            current = e["stateEnteredEventDetails"]["name"]
            attempts.setdefault(current, 0)
        elif e["type"] == "TaskScheduled" and current:
            attempts[current] += 1
        elif e["type"] == "TaskStateExited":
            current = None
    return attempts


def state_durations(events: list[Event]) -> list[tuple[str, float]]:
    """(state, seconds) in order entered, from entered/exited timestamps."""
    out, open_ = [], {}
    for e in events:
        if "stateEnteredEventDetails" in e:
            open_[e["stateEnteredEventDetails"]["name"]] = e["timestamp"]
        elif "stateExitedEventDetails" in e:
            name = e["stateExitedEventDetails"]["name"]
            if name in open_:
                out.append((name, (e["timestamp"] - open_.pop(name)).total_seconds()))
    return out


def wait(
    sfn: Any,
    execution_arn: str,
    timeout: float = 120.0,
    poll: float = 0.25,
    on_poll: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Poll until the execution ends (bounded); returns DescribeExecution."""
    deadline = time.monotonic() + timeout
    while True:
        desc: dict[str, Any] = sfn.describe_execution(executionArn=execution_arn)
        if on_poll:
            on_poll(desc)
        if desc["status"] in TERMINAL:
            return desc
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"execution {execution_arn} still {desc['status']} after {timeout:.0f}s"
            )
        time.sleep(poll)


# --------------------------------------------------------------------------- pipeline runs


@dataclass
class RunResult:
    execution_arn: str
    status: str
    events: list[Event] = field(default_factory=list)
    describe: dict[str, Any] = field(default_factory=dict)
    alerts: list[str] = field(default_factory=list)

    @property
    def failed_state(self) -> str | None:
        cause = self.describe.get("cause") or ""
        if " failed: " in cause:
            return cause.split(" failed: ", 1)[0]
        entered = states_entered(self.events)
        return entered[-1] if entered else None


VERBS = {"FAILED": "failed", "ABORTED": "was aborted", "TIMED_OUT": "timed out"}


def _json(text: Any) -> Any:
    try:
        return json.loads(text) if isinstance(text, str) else text
    except (TypeError, ValueError):
        return None


def task_reason(error: str | None, cause: Any) -> str:
    """The one-line reason inside a task error: Glue's ErrorMessage, an EMR step's failure
    message, a transform's FailureReason, else the error name and the cause's first line."""
    data = _json(cause)
    if isinstance(data, dict):
        step = data.get("Step", {}).get("Status", {}) if isinstance(data.get("Step"), dict) else {}
        for found in (
            data.get("ErrorMessage"),
            (step.get("FailureDetails") or {}).get("Message"),
            data.get("FailureReason"),
            (data.get("Status") or {}).get("StateChangeReason", {}).get("Message")
            if isinstance(data.get("Status"), dict)
            else None,
            task_reason(data.get("Error"), data.get("Cause")) if "Error" in data else None,
        ):
            if found:
                return str(found)
    text = str(cause or "").strip().splitlines()[0] if cause else ""
    if error and text:
        return f"{error}: {text}"
    return error or text or "no reason given"


def failure_line(pipeline: str, result: RunResult) -> str:
    """``<pipeline> failed in <state>: <reason>`` (or ``was aborted`` / ``timed out``), one
    line however large the execution's error JSON is."""
    verb = VERBS.get(result.status, result.status.lower())
    state = result.failed_state or "?"
    cause = result.describe.get("cause") or ""
    error = result.describe.get("error")
    if " failed: " in cause:
        caught = _json(cause.split(" failed: ", 1)[1])
        reason = (
            task_reason(caught.get("Error"), caught.get("Cause"))
            if isinstance(caught, dict)
            else cause.split(" failed: ", 1)[1]
        )
    else:
        reason = task_reason(error, cause)
    if result.status == "ABORTED" and not (error or cause):
        reason = "the execution was stopped (StopExecution)"
    reason = " ".join(reason.split())
    if len(reason) > 300:
        reason = reason[:297] + "..."
    return f"{pipeline} {verb} in {state}: {reason}"


def upload_input(settings: Settings, local_file: Path, prefix_uri: str) -> str:
    """Replace the objects under ``prefix_uri`` with ``local_file`` (this run's input). With a
    run-specific prefix (``.../run_id=<id>/``) that touches no other run's objects."""
    s3 = client(settings, "s3")
    bucket, prefix = split_s3(prefix_uri)
    stale = [
        {"Key": k["Key"]}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for k in page.get("Contents", [])
    ]
    for start in range(0, len(stale), 1000):
        s3.delete_objects(Bucket=bucket, Delete={"Objects": stale[start : start + 1000]})
    key = prefix + Path(local_file).name
    s3.upload_file(str(local_file), bucket, key)
    return f"s3://{bucket}/{key}"


def alert_queue_url(settings: Settings) -> str:
    return str(
        client(settings, "sqs").get_queue_url(QueueName=settings.name("alerts_queue"))["QueueUrl"]
    )


def alert_text(body: str) -> str:
    """The alert of an SQS message: raw delivery (the Terraform subscription) or an SNS
    JSON envelope."""
    try:
        envelope = json.loads(body)
    except ValueError:
        return body
    return envelope.get("Message", body) if isinstance(envelope, dict) else body


def read_alerts(settings: Settings, execution_name: str, wait_seconds: int = 2) -> list[str]:
    """Alert texts for one execution from the SQS inbox subscribed to the alerts topic."""
    sqs = client(settings, "sqs")
    url = alert_queue_url(settings)
    found = []
    for _ in range(3):
        msgs = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_seconds
        ).get("Messages", [])
        for m in msgs:
            text = alert_text(m["Body"])
            if execution_name in text:
                found.append(text)
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        if found or not msgs:
            break
    return found


def start(
    settings: Settings, pipeline: str, payload: dict[str, Any], name: str | None = None
) -> tuple[str, str]:
    name = name or f"{pipeline}-{payload.get('run_date', 'run')}-{uuid.uuid4().hex[:8]}"
    arn = client(settings, "stepfunctions").start_execution(
        stateMachineArn=settings.state_machine_arn(pipeline), name=name, input=json.dumps(payload)
    )["executionArn"]
    return arn, name


def follow_timeout(settings: Settings) -> float:
    """How long ``invoke run`` follows an execution before giving up on it (it keeps running):
    longer than the longest pipeline can take. The EMR workflow's create, step and terminate
    tasks are each bounded by the target's task timeout, and on AWS Step Functions checks an
    EMR task only every 60 s, then every 5 minutes, so a normal run can pass 15 minutes."""
    return 4.0 * settings.task_timeout


def follow(
    settings: Settings,
    execution_arn: str,
    on_event: Callable[[Event], None],
    timeout: float | None = None,
) -> RunResult:
    """Poll the execution, calling ``on_event(event)`` for every new history event, for at most
    ``timeout`` seconds (default ``follow_timeout``)."""
    timeout = follow_timeout(settings) if timeout is None else timeout
    sfn = client(settings, "stepfunctions")
    seen = 0

    def poll(_desc: dict[str, Any]) -> None:
        nonlocal seen
        events = history(sfn, execution_arn)
        for event in events[seen:]:
            on_event(event)
        seen = len(events)

    desc = wait(sfn, execution_arn, timeout=timeout, poll=0.5, on_poll=poll)
    events = history(sfn, execution_arn)
    for event in events[seen:]:
        on_event(event)
    return RunResult(execution_arn, desc["status"], events, desc)


def read_json(settings: Settings, uri: str) -> dict[str, Any]:
    bucket, key = split_s3(uri)
    data: dict[str, Any] = json.loads(
        client(settings, "s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    )
    return data


def published_prefix(settings: Settings, base_uri: str, run_date: str, output: str) -> str:
    """The S3 prefix of ``output`` in the run published for ``run_date`` under ``base_uri``:
    resolved through ``_manifest.json`` (+ ``_SUCCESS``), never by listing. The manifest names
    each output under its ``run_id=...`` prefix of the same date directory."""
    date_dir = f"{base_uri.rstrip('/')}/run_date={run_date}"
    bucket, key = split_s3(f"{date_dir}/_SUCCESS")
    client(settings, "s3").head_object(Bucket=bucket, Key=key)
    value: str = read_json(settings, f"{date_dir}/_manifest.json")["outputs"][output]
    if value.startswith("s3://"):
        return value.rstrip("/") + "/"
    return f"{date_dir}/{value[value.index('run_id=') :].rstrip('/')}/"


def read_parquet_rows(settings: Settings, prefix_uri: str) -> list[dict[str, Any]]:
    """All rows of a Parquet dataset in S3 (downloaded to a temp dir, read with pyarrow)."""
    import pyarrow.parquet as pq

    s3 = client(settings, "s3")
    bucket, prefix = split_s3(prefix_uri)
    keys = [
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for o in page.get("Contents", [])
        if o["Key"].endswith(".parquet")
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for i, key in enumerate(keys):
            s3.download_file(bucket, key, f"{tmp}/{i:05d}.parquet")
        return pq.read_table(tmp).to_pylist() if keys else []
