"""Operations: tag-scoped cleanup, teardown, and seeing what ran."""

from __future__ import annotations

import gzip
import json

from invoke import task
from rich.console import Console

from mlpipe import cleanup as sweeper
from mlpipe import runs
from mlpipe.config import PIPELINES
from mlpipe.report import print_tables, rows_table
from mlpipe.tasks._common import fail, settings_for

TARGET_HELP = {
    "target": "local | localstack | aws (default: mlpipe.target)",
    "env": "environment (default: mlpipe.env)",
}


def _plan_rows(resources) -> list[dict]:
    return [
        {"kind": r.kind, "resource": r.name, "state": r.state, "cost": r.cost} for r in resources
    ]


def _sweep(settings, apply: bool, include_data: bool, what: str) -> None:
    from botocore.exceptions import EndpointConnectionError

    try:
        resources = sweeper.plan(settings, include_data=include_data)
    except EndpointConnectionError:
        fail(f"nothing is listening at {settings.endpoint}: run `invoke local.up`", code=3)
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


@task(
    help={
        **TARGET_HELP,
        "apply": "really delete (default: dry run, print the plan)",
        "include-data": "also delete raw data and the buckets",
    }
)
def cleanup(c, target=None, env=None, apply=False, include_data=False):
    """Find everything tagged for this env (dry run), or stop and delete it with --apply."""
    _sweep(settings_for(c, target, env), apply, include_data, "cleanup")


@task(help={**TARGET_HELP, "apply": "really destroy (default: dry run, print the plan)"})
def destroy(c, target=None, env=None, apply=False):
    """Tear down a deployment: every resource of the env, data included (dry run by default)."""
    settings = settings_for(c, target, env)
    if settings.target != "local":
        fail(
            f"destroy --target {settings.target} runs `terraform destroy`, which needs the hashicorp/aws provider (not available here); `invoke cleanup --target {settings.target}` sweeps runtime resources",
            code=2,
        )
    _sweep(settings, apply, True, "destroy")


@task(
    positional=["pipeline"],
    help={
        **TARGET_HELP,
        "pipeline": "churn, emr or inference (default: all)",
        "limit": "executions per pipeline",
    },
)
def status(c, pipeline=None, target=None, env=None, limit=10):
    """Recent executions: status, duration and the failing state."""
    from mlpipe.aws import client

    settings = settings_for(c, target, env)
    sfn = client(settings, "stepfunctions")
    rows = []
    for name in [pipeline] if pipeline else PIPELINES:
        try:
            executions = sfn.list_executions(
                stateMachineArn=settings.state_machine_arn(name), maxResults=int(limit)
            )["executions"]
        except sfn.exceptions.StateMachineDoesNotExist:
            continue
        for ex in executions:
            desc = sfn.describe_execution(executionArn=ex["executionArn"])
            end = desc.get("stopDate")
            cause = desc.get("cause") or ""
            rows.append(
                {
                    "pipeline": name,
                    "execution": ex["name"],
                    "status": ex["status"],
                    "started": ex["startDate"].strftime("%Y-%m-%d %H:%M:%S"),
                    "seconds": round((end - ex["startDate"]).total_seconds(), 1) if end else "",
                    "failing state": cause.split(" failed: ", 1)[0] if " failed: " in cause else "",
                }
            )
    if not rows:
        print("no executions yet")
        return
    print_tables(rows_table("recent executions", rows))


def _task_resources(events) -> list[tuple[str, dict]]:
    """(resource type, task output or failure cause) for every finished task of an execution."""
    out = []
    for e in events:
        if e["type"] == "TaskSucceeded":
            d = e["taskSucceededEventDetails"]
            out.append((d["resourceType"], json.loads(d.get("output") or "{}")))
        elif e["type"] == "TaskFailed":
            d = e["taskFailedEventDetails"]
            try:
                out.append((d.get("resourceType", ""), json.loads(d.get("cause") or "{}")))
            except json.JSONDecodeError:
                continue
    return out


@task(
    positional=["pipeline"],
    help={
        **TARGET_HELP,
        "pipeline": "churn, emr or inference",
        "execution": "execution name (default: the latest)",
    },
)
def logs(c, pipeline=None, execution=None, target=None, env=None):
    """Print the Glue/EMR/SageMaker logs of an execution's tasks."""
    from mlpipe.aws import client, split_s3
    from mlpipe.local_cloud.glue import LOG_GROUPS

    if pipeline not in PIPELINES:
        fail(f"name a pipeline: {', '.join(PIPELINES)}", code=2)
    settings = settings_for(c, target, env)
    sfn, console = client(settings, "stepfunctions"), Console()
    machine = settings.state_machine_arn(pipeline)
    executions = sfn.list_executions(stateMachineArn=machine)["executions"]
    chosen = (
        next((e for e in executions if e["name"] == execution), None)
        if execution
        else (executions[0] if executions else None)
    )
    if not chosen:
        fail(f"no execution {execution or ''} for {pipeline}".replace("  ", " "), code=2)
    console.print(f"[bold]{pipeline} execution {chosen['name']}[/bold] {chosen['status']}")
    for kind, payload in _task_resources(runs.history(sfn, chosen["executionArn"])):
        if kind == "glue" and payload.get("Id"):
            console.print(
                f"[bold]glue {payload.get('JobName')} run {payload['Id']} {payload.get('JobRunState')}[/bold]"
            )
            for group in LOG_GROUPS.values():
                try:
                    events = client(settings, "logs").get_log_events(
                        logGroupName=group, logStreamName=payload["Id"]
                    )["events"]
                except Exception:
                    events = []
                for ev in events:
                    console.print(f"  {group.rsplit('/', 1)[-1]}: {ev['message']}", markup=False)
        elif kind == "elasticmapreduce" and "Step" in payload:
            step = payload["Step"]
            console.print(
                f"[bold]emr step {step.get('Id')} {step.get('Status', {}).get('State')}[/bold]"
            )
            clusters = [
                cl
                for cl in client(settings, "emr").list_clusters()["Clusters"]
                if cl["Name"].endswith(chosen["name"])
            ]
            for cl in clusters:
                bucket, key = split_s3(
                    f"{settings.paths['emr_logs']}{cl['Id']}/steps/{step.get('Id')}/"
                )
                for name in ("stdout.gz", "stderr.gz"):
                    try:
                        body = (
                            client(settings, "s3")
                            .get_object(Bucket=bucket, Key=key + name)["Body"]
                            .read()
                        )
                        console.print(gzip.decompress(body).decode(errors="replace"), markup=False)
                    except Exception:
                        continue
        elif kind == "sagemaker" and payload.get("TransformJobName"):
            console.print(
                f"[bold]transform {payload['TransformJobName']} {payload.get('TransformJobStatus')}[/bold] {payload.get('FailureReason', '')}"
            )


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
def graph(c, pipeline=None, execution=None, format="mermaid", target=None, env=None, out=None):
    """Draw a state machine; with --execution, colour the states it passed by outcome."""
    from mlpipe.asl import render
    from mlpipe.aws import client
    from mlpipe.graph import GraphError, dot, mermaid, outcomes, render_image
    from mlpipe.tasks._common import repo_path, setting

    if pipeline not in PIPELINES:
        fail(f"name a pipeline: {', '.join(PIPELINES)}", code=2)
    if format not in ("mermaid", "dot", "png", "svg"):
        fail(f"unknown format {format!r}: mermaid, dot, png or svg", code=2)
    settings = settings_for(c, target, env)
    definition = render(pipeline, settings)
    result, title = None, pipeline
    if execution:
        sfn = client(settings, "stepfunctions")
        arn = settings.arn(
            "states", f"execution:{settings.name(pipeline + '_state_machine')}:{execution}"
        )
        try:
            status = sfn.describe_execution(executionArn=arn)["status"]
        except sfn.exceptions.ExecutionDoesNotExist:
            fail(
                f"no execution {execution!r} of {pipeline}: see `invoke status {pipeline}`", code=2
            )
        result, title = (
            outcomes(definition, runs.history(sfn, arn)),
            f"{pipeline} {execution} {status}",
        )
    ext = {"mermaid": "mmd"}.get(format, format)
    path = repo_path(out or f"{setting(c, 'build_dir')}/graph/{pipeline}.{ext}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if format == "mermaid":
        text = mermaid(definition, result)
        path.write_text(text)
        print(text)
    elif format == "dot":
        path.write_text(dot(definition, result, title))
    else:
        try:
            render_image(dot(definition, result, title), path, format)
        except GraphError as exc:
            fail(str(exc), code=2)
    print(f"wrote {path}")
