"""Finders for Step Functions (state machines and their running executions) and EventBridge."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

from mlpipe.cleanup.model import Resource, Scope, pages


def _execution_ended(sfn: Any, arn: str) -> bool:
    return bool(sfn.describe_execution(executionArn=arn)["status"] != "RUNNING")


def find_stepfunctions(scope: Scope) -> Iterator[Resource]:
    sfn = scope.client("stepfunctions")
    for sm in pages(sfn.list_state_machines, "stateMachines", "nextToken", "nextToken"):
        arn = sm["stateMachineArn"]
        if not scope.ours(sfn.list_tags_for_resource(resourceArn=arn)["tags"]):
            continue
        for ex in pages(
            sfn.list_executions,
            "executions",
            "nextToken",
            "nextToken",
            stateMachineArn=arn,
            statusFilter="RUNNING",
        ):
            yield Resource(
                "sfn execution",
                ex["name"],
                "RUNNING",
                delete=partial(
                    sfn.stop_execution,
                    executionArn=ex["executionArn"],
                    error="mlpipe.cleanup",
                    cause="stopped by invoke cleanup",
                ),
                settled=partial(_execution_ended, sfn, ex["executionArn"]),
            )
        yield Resource(
            "state machine",
            sm["name"],
            delete=partial(sfn.delete_state_machine, stateMachineArn=arn),
        )


def find_events(scope: Scope) -> Iterator[Resource]:
    ev = scope.client("events")
    for rule in pages(ev.list_rules, "Rules"):
        if not scope.ours(ev.list_tags_for_resource(ResourceARN=rule["Arn"]).get("Tags", [])):
            continue

        def delete(name: str = rule["Name"]) -> None:
            ids = [t["Id"] for t in ev.list_targets_by_rule(Rule=name).get("Targets", [])]
            if ids:
                ev.remove_targets(Rule=name, Ids=ids)
            ev.delete_rule(Name=name)

        yield Resource("eventbridge rule", rule["Name"], rule.get("State", ""), delete=delete)
