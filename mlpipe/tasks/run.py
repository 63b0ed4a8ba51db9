"""Run a pipeline on a deployed target and show what happened."""

from __future__ import annotations

import time

from invoke import task
from rich.console import Console

from mlpipe import runs
from mlpipe.config import PIPELINES
from mlpipe.report import manifest_table, print_tables, rows_table
from mlpipe.tasks._common import fail, repo_path, setting, settings_for


def _progress(console: Console, started: float):
    def on_event(event):
        elapsed = time.monotonic() - started
        if "stateEnteredEventDetails" in event:
            console.print(
                f"[dim]{elapsed:6.1f}s[/dim] → {event['stateEnteredEventDetails']['name']}"
            )
        elif event["type"] == "TaskSubmitted":
            console.print(
                f"[dim]{elapsed:6.1f}s[/dim]   submitted {event['taskSubmittedEventDetails']['resourceType']}:{event['taskSubmittedEventDetails']['resource']}"
            )
        elif event["type"] == "TaskFailed":
            d = event["taskFailedEventDetails"]
            console.print(
                f"[dim]{elapsed:6.1f}s[/dim]   [red]task failed[/red] {d.get('error')}: {(d.get('cause') or '')[:200]}"
            )
        elif event["type"] == "TaskSucceeded":
            console.print(f"[dim]{elapsed:6.1f}s[/dim]   [green]task succeeded[/green]")

    return on_event


@task(
    positional=["pipeline"],
    help={
        "pipeline": "churn (default; emr and inference arrive with lab 2)",
        "input": "CSV to upload as this run's input (default: the lab sample)",
        "run-date": "YYYY-MM-DD (default: mlpipe.run_date)",
        "target": "target (default: mlpipe.target)",
        "env": "environment (default: mlpipe.env)",
    },
)
def run(c, pipeline=None, input=None, run_date=None, target=None, env=None):
    """Run a pipeline: upload input, start, follow live, print the results."""
    pipeline = (
        pipeline or "churn"
    )  # a positional with a non-None default is never consumed by invoke
    if pipeline not in PIPELINES:
        fail(f"unknown pipeline {pipeline!r}: choose one of {', '.join(PIPELINES)}", code=2)
    if pipeline != "churn":
        fail(f"`invoke run {pipeline}` is not available yet (lab 2 pipelines land later)", code=2)
    settings = settings_for(c, target, env)
    run_date = setting(c, "run_date", run_date)
    input_path = repo_path(setting(c, "sample_input", input))
    if not input_path.exists():
        fail(f"input not found: {input_path}")
    console = Console()
    from botocore.exceptions import ClientError, EndpointConnectionError

    try:
        uri = runs.upload_input(
            settings, input_path, f"{settings.paths['churn_raw']}run_date={run_date}/"
        )
        arn, name = runs.start(settings, pipeline, {"run_date": run_date})
    except EndpointConnectionError:
        fail(
            f"nothing is listening at {settings.endpoint}: run `invoke local.up` and `invoke deploy --target local`",
            code=3,
        )
    except ClientError as exc:
        fail(
            f"{exc.response['Error'].get('Message', exc)}: run `invoke deploy --target {settings.target}` first",
            code=3,
        )
    console.print(f"input {uri}\nexecution {name}")
    started = time.monotonic()
    result = runs.follow(settings, arn, _progress(console, started))
    wall = time.monotonic() - started
    durations = runs.state_durations(result.events)
    console.print(
        rows_table(
            f"{pipeline} {result.status} in {wall:.1f}s",
            [{"state": s, "seconds": round(d, 1)} for s, d in durations],
        )
    )
    if result.status != "SUCCEEDED":
        alerts = runs.read_alerts(settings, name)
        console.print(
            f"[red]FAILED[/red] in state {result.failed_state or '?'}: {result.describe.get('error')}"
        )
        console.print(f"cause: {result.describe.get('cause')}")
        for alert in alerts:
            console.print(f"[yellow]SNS alert:[/yellow] {alert}")
        fail(f"{pipeline} execution {name} {result.status}", code=1)
    clean = f"{settings.paths['churn_clean']}run_date={run_date}/"
    by_country = f"{settings.paths['churn_features']}by_country/run_date={run_date}/"
    print_tables(
        manifest_table(runs.read_json(settings, clean + "_manifest.json")),
        rows_table(
            "features by country (from S3)",
            sorted(runs.read_parquet_rows(settings, by_country), key=lambda r: r["country"]),
        ),
    )
    console.print(
        f"features: {settings.paths['churn_features']}by_country|by_customer/run_date={run_date}/"
    )
