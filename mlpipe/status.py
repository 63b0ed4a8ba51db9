"""What ran: recent executions per pipeline with status, duration and the failing state.

Works against any endpoint (local cloud, LocalStack, AWS): only Step Functions API responses
are read. ``invoke status`` prints :func:`recent_executions`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mlpipe.aws import client
from mlpipe.config import Settings

FAILED_MARKER = " failed: "


def failing_state(cause: str | None) -> str | None:
    """The state named by an execution's cause.

    Our Notify blocks fail the execution with ``"<state> failed: <error>: <cause>"``
    (``asl/_macros.j2``); any other cause names no state.
    """
    if not cause or FAILED_MARKER not in cause:
        return None
    return cause.split(FAILED_MARKER, 1)[0]


def execution_row(
    pipeline: str, execution: dict[str, Any], describe: dict[str, Any]
) -> dict[str, Any]:
    """One table row from a ListExecutions item and its DescribeExecution."""
    started = execution["startDate"]
    stopped = describe.get("stopDate")
    return {
        "pipeline": pipeline,
        "execution": execution["name"],
        "status": execution["status"],
        "started": started.strftime("%Y-%m-%d %H:%M:%S"),
        "seconds": round((stopped - started).total_seconds(), 1) if stopped else "",
        "failing state": failing_state(describe.get("cause")) or "",
    }


def recent_executions(
    settings: Settings, pipelines: Iterable[str], limit: int = 10
) -> list[dict[str, Any]]:
    """Rows for the latest ``limit`` executions of each pipeline; undeployed pipelines are skipped."""
    sfn = client(settings, "stepfunctions")
    rows = []
    for name in pipelines:
        try:
            executions = sfn.list_executions(
                stateMachineArn=settings.state_machine_arn(name), maxResults=int(limit)
            )["executions"]
        except sfn.exceptions.StateMachineDoesNotExist:
            continue
        for ex in executions:
            rows.append(
                execution_row(name, ex, sfn.describe_execution(executionArn=ex["executionArn"]))
            )
    return rows


def execution_arn(settings: Settings, pipeline: str, name: str) -> str:
    """ARN of the execution ``name`` of a pipeline's state machine."""
    return settings.arn("states", f"execution:{settings.name(pipeline + '_state_machine')}:{name}")


def find_execution(sfn: Any, machine_arn: str, name: str | None = None) -> dict[str, Any] | None:
    """The ListExecutions item called ``name`` (default: the latest), or None."""
    kwargs: dict[str, Any] = {"stateMachineArn": machine_arn}
    while True:
        page = sfn.list_executions(**kwargs)
        for ex in page["executions"]:
            if name is None or ex["name"] == name:
                return dict(ex)
        if name is None or not page.get("nextToken"):
            return None
        kwargs["nextToken"] = page["nextToken"]


class NoSuchExecution(LookupError):
    pass


def execution_history(
    settings: Settings, pipeline: str, name: str
) -> tuple[str, list[dict[str, Any]]]:
    """(status, GetExecutionHistory events) of the execution ``name`` of a pipeline."""
    from mlpipe.runs import history

    sfn = client(settings, "stepfunctions")
    arn = execution_arn(settings, pipeline, name)
    try:
        status = sfn.describe_execution(executionArn=arn)["status"]
    except sfn.exceptions.ExecutionDoesNotExist:
        raise NoSuchExecution(f"no execution {name!r} of {pipeline}") from None
    return status, history(sfn, arn)
