"""Run a pipeline on a deployed target and show what happened."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from invoke import Context, task
from rich.console import Console

from churn_transforms.layout import manifest_uri, published_prefix
from mlpipe import pipelines, runs
from mlpipe.config import Settings
from mlpipe.report import manifest_table, print_tables, rows_table
from mlpipe.tasks._common import (
    aws_calls,
    check_pipeline,
    fail,
    repo_path,
    setting,
    settings_for,
    unreachable,
)


def _progress(console: Console, started: float) -> Callable[[runs.Event], None]:
    def on_event(event: runs.Event) -> None:
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


def _summary_churn(
    console: Console, settings: Settings, run_date: str, name: str, context: object
) -> None:
    # resolve the published run through its manifests (churn_transforms.layout)
    features_base = settings.paths["churn_features"]
    features = runs.read_json(settings, manifest_uri(features_base, run_date))
    by_country = published_prefix(features, "by_country", features_base) + "/"
    print_tables(
        manifest_table(
            runs.read_json(settings, manifest_uri(settings.paths["churn_clean"], run_date))
        ),
        rows_table(
            "features by country (from S3)",
            sorted(runs.read_parquet_rows(settings, by_country), key=lambda r: r["country"]),
        ),
    )
    console.print(
        f"features: {published_prefix(features, 'by_customer', features_base)}/ (run "
        f"{features['run_id']}, from clean run {features['clean_run_id']})"
    )


def _summary_emr(
    console: Console, settings: Settings, run_date: str, name: str, expected: Any
) -> None:
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


def _summary_inference(
    console: Console, settings: Settings, run_date: str, name: str, labels: Any
) -> None:
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


SUMMARIES: dict[str, Callable[[Console, Settings, str, str, Any], None]] = {
    "churn": _summary_churn,
    "emr": _summary_emr,
    "inference": _summary_inference,
}


def _launch(
    settings: Settings, pipeline: str, run_date: str, input_path: Path | None
) -> pipelines.Launch:
    """pipelines.launch with every refusal as one line."""
    from botocore.exceptions import ClientError

    from mlpipe.lease import RunRefused

    try:
        with aws_calls(settings):  # unreachable, or a name the env makes invalid for AWS
            return pipelines.launch(settings, pipeline, run_date, input_path)
    except pipelines.RunInputError as exc:
        fail(str(exc), code=2)
    except RunRefused as exc:
        fail(str(exc), code=4)
    except ClientError as exc:
        fail(
            f"{exc.response['Error'].get('Message') or exc}: run `invoke deploy --target {settings.target}` first",
            code=3,
        )


@task(
    positional=["pipeline"],
    help={
        "pipeline": "churn (default), emr or inference",
        "input": "file to upload as this run's input (default: the lab sample / generated demo data)",
        "run-date": "YYYY-MM-DD (default: mlpipe.run_date; churn and emr)",
        "target": "target (default: mlpipe.target)",
        "env": "environment (default: mlpipe.env)",
        "verbose": "on failure, also print the execution's full error and cause (JSON)",
    },
)
def run(
    c: Context,
    pipeline: str | None = None,
    input: str | None = None,
    run_date: str | None = None,
    target: str | None = None,
    env: str | None = None,
    verbose: bool = False,
) -> None:
    """Run a pipeline: upload input, start, follow live, print the results."""
    from botocore.exceptions import BotoCoreError, ClientError

    from mlpipe import lease as leases

    pipeline = (
        pipeline or "churn"
    )  # a positional with a non-None default is never consumed by invoke
    check_pipeline(pipeline)
    run_date = setting(c, "run_date", run_date)
    try:
        pipelines.check_run_date(run_date)
        input_path = (
            repo_path(input)
            if input
            else (repo_path(setting(c, "sample_input")) if pipeline == "churn" else None)
        )
        if input_path is not None:
            pipelines.check_input_file(input_path)
    except pipelines.RunInputError as exc:
        fail(str(exc), code=2)
    settings = settings_for(c, target, env)
    console = Console()
    launched = _launch(settings, pipeline, run_date, input_path)
    console.print(f"input {launched.input_uri}\nexecution {launched.execution}")
    started = time.monotonic()
    # The run lock is released only once the execution has ended: while it may still run, a
    # second run for the same date must be refused (the lock goes stale when it ends).
    still_running = (
        f"it may still be running and keeps the run lock: see `invoke status --pipeline {pipeline}`"
    )
    try:
        result = runs.follow(settings, launched.execution_arn, _progress(console, started))
    except TimeoutError as exc:
        fail(f"{exc}; {still_running}", code=1)
    except KeyboardInterrupt:
        fail(f"stopped following {launched.execution}; {still_running}", code=130)
    except ClientError as exc:
        fail(f"lost {launched.execution}: {exc.response['Error'].get('Message') or exc}", code=1)
    except BotoCoreError as exc:
        fail(
            f"lost the local cloud while following {launched.execution}: {unreachable(settings, exc)}",
            code=3,
        )
    try:
        leases.release(settings, launched.lease)
    except (ClientError, BotoCoreError):
        pass  # a lease whose execution has ended is stale: the next run takes it over
    wall = time.monotonic() - started
    durations = runs.state_durations(result.events)
    console.print(
        rows_table(
            f"{pipeline} {result.status} in {wall:.1f}s",
            [{"state": s, "seconds": round(d, 1)} for s, d in durations],
        )
    )
    if result.status != "SUCCEEDED":
        if verbose:
            console.print(f"error: {result.describe.get('error')}", markup=False)
            console.print(f"cause: {result.describe.get('cause')}", markup=False)
        try:  # best effort: the inbox may be gone (a cleanup stopped this run)
            alerts = runs.read_alerts(settings, launched.execution)
        except (ClientError, BotoCoreError):
            alerts = []
        for alert in alerts if verbose else []:
            console.print(f"SNS alert: {alert}", markup=False)
        if alerts and not verbose:
            console.print(f"{len(alerts)} SNS alert(s) sent (--verbose shows them)")
        fail(runs.failure_line(pipeline, result), code=1)
    SUMMARIES[pipeline](console, settings, run_date, launched.execution, launched.context)
