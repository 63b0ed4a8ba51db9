"""Run a pipeline on a deployed target and show what happened."""

from __future__ import annotations

import time

from invoke import task
from rich.console import Console

from mlpipe import pipelines, runs
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


def _summary_churn(console, settings, run_date, name, context):
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


def _summary_emr(console, settings, run_date, name, expected):
    column = settings.emr_cluster["partition_by"]
    written = pipelines.emr_partitions(settings, run_date, column)
    rows = [
        {column: k, "rows": v, "expected": (expected or {}).get(k, "")}
        for k, v in sorted(written.items())
    ]
    print_tables(
        rows_table(
            f"Parquet partitions in {settings.paths['telemetry_partitioned']}run_date={run_date}/",
            rows,
        )
    )
    states = [
        (c["Name"], c["Status"]["State"])
        for c in pipelines.clusters(settings, f"{settings.prefix}-emr-{name}")
    ]
    console.print("clusters: " + ", ".join(f"{n} {st}" for n, st in states))


def _summary_inference(console, settings, run_date, name, labels):
    rows = pipelines.inference_output(settings, name)
    from abalone_model.data import FEATURES

    header = [*FEATURES, "prediction"]
    sample = [dict(zip(header, r, strict=False)) for r in rows[:5]]
    print_tables(
        rows_table(
            f"{len(rows)} scored rows (first 5) in {settings.paths['abalone_predictions']}{name}/",
            sample,
            header,
        )
    )
    if labels:
        console.print(
            f"RMSE against the batch's hidden labels: {pipelines.rmse(labels, [float(r[-1]) for r in rows]):.3f} rings"
        )


SUMMARIES = {"churn": _summary_churn, "emr": _summary_emr, "inference": _summary_inference}


@task(
    positional=["pipeline"],
    help={
        "pipeline": "churn (default), emr or inference",
        "input": "file to upload as this run's input (default: the lab sample / generated demo data)",
        "run-date": "YYYY-MM-DD (default: mlpipe.run_date; churn and emr)",
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
    settings = settings_for(c, target, env)
    run_date = setting(c, "run_date", run_date)
    input_path = (
        repo_path(input)
        if input
        else (repo_path(setting(c, "sample_input")) if pipeline == "churn" else None)
    )
    if input_path and not input_path.exists():
        fail(f"input not found: {input_path}")
    console = Console()
    from botocore.exceptions import ClientError, EndpointConnectionError

    try:
        if pipeline == "churn":
            uri, context = pipelines.prepare_churn(settings, input_path, run_date), None
        elif pipeline == "emr":
            uri, context = pipelines.prepare_emr(settings, run_date, input_path)
        else:
            uri, context = pipelines.prepare_inference(settings, input_path)
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
    SUMMARIES[pipeline](console, settings, run_date, name, context)
