"""Tag-scoped cost cleanup: ``plan(settings)`` finds, ``apply(plan)`` stops and deletes.

Only resources tagged ``Project=<project>`` **and** ``Environment=<env>`` are ever planned.
Things that cannot be tagged (executions, job runs, log streams, S3 objects) are found through
their tagged parents: executions of our state machines, runs of our Glue jobs (and their log
streams in Glue's shared log groups), objects in our buckets. Raw data (``raw/``) and the
buckets themselves are kept unless ``include_data``. Every listing paginates.

Layout: ``model.py`` (Resource, Report, Scope, order), one finder per service family
(``workflows.py``, ``jobs.py``, ``messaging.py``, ``storage.py``), and planning/applying here.

``apply`` first stops what runs (executions, Glue job runs, EMR clusters, transform jobs) and
waits, bounded, until each has really stopped, so that nothing commits outputs after the
sweep; only then does it delete, in dependency order. It is idempotent (a resource already
gone counts as done) and keeps going past failures, which it reports (``Report.ok``).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from botocore.exceptions import ClientError

from mlpipe.cleanup.jobs import find_emr, find_glue, find_sagemaker
from mlpipe.cleanup.messaging import find_cloudwatch, find_logs, find_sns_sqs
from mlpipe.cleanup.model import ORDER, RUNNING_KINDS, Finder, Report, Resource, Scope, gone
from mlpipe.cleanup.storage import OUTPUT_PREFIXES, find_iam, find_s3
from mlpipe.cleanup.workflows import find_events, find_stepfunctions
from mlpipe.config import Settings

__all__ = [
    "FINDERS",
    "ORDER",
    "OUTPUT_PREFIXES",
    "RUNNING_KINDS",
    "Report",
    "Resource",
    "apply",
    "plan",
    "stop_running",
]

FINDERS: tuple[Finder, ...] = (
    find_stepfunctions,
    find_glue,
    find_emr,
    find_sagemaker,
    find_events,
    find_cloudwatch,
    find_logs,
    find_sns_sqs,
    find_s3,
    find_iam,
)
STOP_TIMEOUT = 120.0


def plan(settings: Settings, include_data: bool = False) -> list[Resource]:
    """Everything of the env, from every service at once (one thread per finder: the listing
    is round trips, and the services answer independently)."""
    scope = Scope(settings, include_data)
    with ThreadPoolExecutor(max_workers=len(FINDERS), thread_name_prefix="cleanup-plan") as pool:
        per_finder = list(pool.map(lambda finder: list(finder(scope)), FINDERS))
    found = [resource for resources in per_finder for resource in resources]
    return sorted(found, key=lambda r: (r.rank, r.name))


def _one_line(message: str) -> str:
    lines = [ln.strip() for ln in str(message).splitlines() if ln.strip()]
    text = lines[0] if lines else "failed"
    return text if len(text) <= 200 else text[:197] + "..."


def _act(res: Resource, report: Report) -> bool:
    """Run ``res.delete``; True if it worked or the resource was already gone."""
    try:
        if res.delete is not None:
            res.delete()
        return True
    except ClientError as exc:
        if gone(exc):
            return True
        report.failed.append((res, _one_line(exc.response["Error"].get("Message") or exc)))
    except Exception as exc:  # keep going: report it
        report.failed.append((res, _one_line(f"{type(exc).__name__}: {exc}")))
    return False


def _wait_settled(pending: list[Resource], report: Report, timeout: float, poll: float) -> None:
    deadline = time.monotonic() + timeout
    while pending:
        still = []
        for res in pending:
            try:
                done = res.settled is None or res.settled()
            except ClientError as exc:
                done = gone(exc)
            (report.deleted.append(res) if done else still.append(res))
        pending = still
        if not pending:
            return
        if time.monotonic() > deadline:
            for res in pending:
                report.failed.append((res, f"still running {timeout:.0f}s after the stop request"))
            return
        time.sleep(poll)


def apply(
    resources: list[Resource], stop_timeout: float = STOP_TIMEOUT, poll: float = 0.5
) -> Report:
    """Stop running work and wait for it; then delete the rest in dependency order."""
    report = Report()
    ordered = sorted(resources, key=lambda r: r.rank)
    running = [r for r in ordered if r.kind in RUNNING_KINDS]
    stopping = [r for r in running if _act(r, report)]
    _wait_settled(stopping, report, stop_timeout, poll)
    for res in ordered:
        if res.kind not in RUNNING_KINDS and _act(res, report):
            report.deleted.append(res)
    return report


def stop_running(settings: Settings, stop_timeout: float = STOP_TIMEOUT) -> Report:
    """Stop and wait for every running execution, job run, cluster and transform of the env
    (what ``terraform destroy`` must do first: it deletes definitions, not running work)."""
    running = [r for r in plan(settings) if r.kind in RUNNING_KINDS]
    return apply(running, stop_timeout=stop_timeout)
