"""Start, watch and summarise Step Functions executions (any endpoint: local cloud,
LocalStack, AWS). The history helpers are pure functions over ``GetExecutionHistory`` events."""

from __future__ import annotations

import time
from collections.abc import Callable

TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}


def history(sfn, execution_arn: str) -> list[dict]:
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


def states_entered(events: list[dict]) -> list[str]:
    return [
        e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e
    ]


def task_attempts(events: list[dict]) -> dict[str, int]:
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


def state_durations(events: list[dict]) -> list[tuple[str, float]]:
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
    sfn,
    execution_arn: str,
    timeout: float = 120.0,
    poll: float = 0.25,
    on_poll: Callable | None = None,
) -> dict:
    """Poll until the execution ends (bounded); returns DescribeExecution."""
    deadline = time.monotonic() + timeout
    while True:
        desc = sfn.describe_execution(executionArn=execution_arn)
        if on_poll:
            on_poll(desc)
        if desc["status"] in TERMINAL:
            return desc
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"execution {execution_arn} still {desc['status']} after {timeout:.0f}s"
            )
        time.sleep(poll)
