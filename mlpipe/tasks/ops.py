"""Operations: tag-scoped cleanup, teardown, and seeing what ran."""

from __future__ import annotations

from typing import Any

from invoke import Context, task
from rich.console import Console

from mlpipe import cleanup as sweeper
from mlpipe import runs
from mlpipe.config import PIPELINES, Settings
from mlpipe.report import print_tables, rows_table
from mlpipe.targets import shown
from mlpipe.tasks._common import (
    aws_calls,
    check_pipeline,
    fail,
    int_option,
    settings_for,
    writing,
)

TARGET_HELP = {
    "target": "local | localstack | aws (default: mlpipe.target)",
    "env": "environment (default: mlpipe.env)",
}


def _plan_rows(resources: list[sweeper.Resource]) -> list[dict[str, Any]]:
    return [
        {"kind": r.kind, "resource": r.name, "state": r.state, "cost": r.cost} for r in resources
    ]


def _sweep(settings: Settings, apply: bool, include_data: bool, what: str) -> None:
    """Plan, print, and with ``apply`` stop + delete; exits non-zero when anything failed."""
    with aws_calls(settings):
        resources = sweeper.plan(settings, include_data=include_data)
    scope = f"Project={settings.project}, Environment={settings.env}"
    if not resources:
        print(f"nothing to {what}: no resources tagged {scope}")
        return
    print_tables(
        rows_table(
            f"{what} plan for {scope} ({len(resources)} resources)",
            _plan_rows(resources),
            ["kind", "resource", "state", "cost"],
        )
    )
    if not apply:
        print(
            f"dry run: nothing changed. Re-run with --apply to {what} these {len(resources)} resources."
        )
        return
    report = sweeper.apply(resources)
    for res, message in report.failed:
        print(f"  failed  {res.kind} {res.name}: {message}")
    remaining = sweeper.plan(settings, include_data=include_data)
    print(
        f"deleted {len(report.deleted)}, failed {len(report.failed)}; re-plan finds {len(remaining)} remaining"
    )
    if remaining:
        print_tables(
            rows_table("still there", _plan_rows(remaining), ["kind", "resource", "state", "cost"])
        )
        fail(f"{len(remaining)} resource(s) tagged {scope} remain", code=1)
    if report.failed:
        fail(f"{len(report.failed)} resource(s) failed to {what}", code=1)


@task(
    help={
        **TARGET_HELP,
        "apply": "really delete (default: dry run, print the plan)",
        "include-data": "also delete raw data and the buckets",
    }
)
def cleanup(
    c: Context,
    target: str | None = None,
    env: str | None = None,
    apply: bool = False,
    include_data: bool = False,
) -> None:
    """Find everything tagged for this env (dry run), or stop and delete it with --apply."""
    _sweep(settings_for(c, target, env), apply, include_data, "cleanup")


@task(
    help={
        **TARGET_HELP,
        "pipeline": "churn, emr or inference (default: all)",
        "limit": "executions per pipeline, 1 to 1000 (default: 10)",
    },
)
def status(
    c: Context,
    pipeline: str | None = None,
    target: str | None = None,
    env: str | None = None,
    limit: str = "10",
) -> None:
    """Recent executions: status, duration and the failing state."""
    from mlpipe.status import recent_executions

    if pipeline:
        check_pipeline(pipeline)
    count = int_option("limit", limit, 1, 1000)
    settings = settings_for(c, target, env)
    with aws_calls(settings):
        rows = recent_executions(settings, [pipeline] if pipeline else PIPELINES, count)
    if not rows:
        print("no executions yet")
        return
    print_tables(rows_table("recent executions", rows))


@task(
    positional=["pipeline"],
    help={
        **TARGET_HELP,
        "pipeline": "churn, emr or inference",
        "execution": "execution name (default: the latest)",
    },
)
def logs(
    c: Context,
    pipeline: str | None = None,
    execution: str | None = None,
    target: str | None = None,
    env: str | None = None,
) -> None:
    """Print the Glue/EMR/SageMaker logs of an execution's tasks."""
    from mlpipe.aws import client
    from mlpipe.logs import execution_logs
    from mlpipe.status import find_execution

    if pipeline is None or pipeline not in PIPELINES:
        fail(f"name a pipeline: {', '.join(PIPELINES)}", code=2)
    settings = settings_for(c, target, env)
    sfn, console = client(settings, "stepfunctions"), Console()
    with aws_calls(settings):
        chosen = find_execution(sfn, settings.state_machine_arn(pipeline), execution)
        if not chosen:
            name = shown(execution, 80, plain=True) if execution else ""
            fail(f"no execution {name} for {pipeline}".replace("  ", " "), code=2)
        found = execution_logs(settings, runs.history(sfn, chosen["executionArn"]))
    console.print(f"[bold]{pipeline} execution {chosen['name']}[/bold] {chosen['status']}")
    for log in found:
        console.print(f"[bold]{log.heading}[/bold]")
        for line in log.lines:
            console.print(f"  {line}", markup=False)


@task(
    positional=["pipeline"],
    help={
        **TARGET_HELP,
        "pipeline": "churn, emr or inference",
        "execution": "colour the path of this execution (name)",
        "format": "mermaid (default), dot, png or svg",
        "out": "output file (default: build/graph/<pipeline>.<ext>)",
    },
)
def graph(
    c: Context,
    pipeline: str | None = None,
    execution: str | None = None,
    format: str = "mermaid",
    target: str | None = None,
    env: str | None = None,
    out: str | None = None,
) -> None:
    """Draw a state machine; with --execution, colour the states it passed by outcome."""
    from mlpipe.asl import render
    from mlpipe.graph import EXTENSIONS, GraphError, outcomes, write
    from mlpipe.status import NoSuchExecution, execution_history
    from mlpipe.tasks._common import repo_path, setting

    if pipeline is None or pipeline not in PIPELINES:
        fail(f"name a pipeline: {', '.join(PIPELINES)}", code=2)
    if format not in EXTENSIONS:
        fail(f"unknown format {format!r}: mermaid, dot, png or svg", code=2)
    settings = settings_for(c, target, env)
    definition = render(pipeline, settings)
    result, title = None, pipeline
    if execution:
        try:
            with aws_calls(settings):
                status, events = execution_history(settings, pipeline, execution)
        except NoSuchExecution as exc:
            fail(f"{exc}: see `invoke status {pipeline}`", code=2)
        result, title = outcomes(definition, events), f"{pipeline} {execution} {status}"
    path = repo_path(out or f"{setting(c, 'build_dir')}/graph/{pipeline}.{EXTENSIONS[format]}")
    try:
        with writing(path, "graph"):
            text = write(definition, path, format, result, title)
    except GraphError as exc:
        fail(str(exc), code=2)
    if format == "mermaid":
        print(text)
    print(f"wrote {path}")
