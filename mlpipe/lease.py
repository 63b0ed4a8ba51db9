"""One run per pipeline and run date at a time: a lease object in the data bucket.

``acquire(settings, pipeline, run_date)`` writes ``locks/<pipeline>/run_date=<d>.json`` with a
conditional put (``If-None-Match: *``: S3 creates it only if it does not exist, atomically on
AWS). The lease names the run id and the execution that will run under it. When the object
already exists, its holder is looked up: a RUNNING execution (or one not started yet, within
``grace`` seconds of the lease) refuses the new run at once with ``RunRefused`` naming it; a
finished or vanished holder's lease is stale and is taken over. ``release`` deletes the lease
if it is still ours. Nothing of a refused run (its raw input included) is ever written.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from mlpipe.aws import client, split_s3
from mlpipe.config import Settings

LOCK_PREFIX = "locks/"
GRACE_SECONDS = 120.0  # a lease whose execution has not started yet is held this long


class RunRefused(RuntimeError):
    """Another run holds the lease for this pipeline and run date (one line)."""


def new_run_id(now: dt.datetime | None = None) -> str:
    """Sortable and unique: ``20230801T101500-1a2b3c``."""
    now = now or dt.datetime.now(dt.UTC)
    return f"{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


def execution_name(pipeline: str, run_date: str, run_id: str) -> str:
    """The Step Functions execution name of a run (unique per account and machine)."""
    return f"{pipeline}-{run_date}-{run_id}"[:80]


@dataclass(frozen=True)
class Lease:
    pipeline: str
    run_date: str
    run_id: str
    execution: str
    execution_arn: str
    bucket: str
    key: str


def lease_location(settings: Settings, pipeline: str, run_date: str) -> tuple[str, str]:
    bucket, _ = split_s3(settings.s3("data"))
    return bucket, f"{LOCK_PREFIX}{pipeline}/run_date={run_date}.json"


def _holder_status(sfn: Any, arn: str) -> str | None:
    try:
        return str(sfn.describe_execution(executionArn=arn)["status"])
    except ClientError as exc:
        if exc.response["Error"].get("Code") in ("ExecutionDoesNotExist", "ResourceNotFound"):
            return None
        raise


def acquire(
    settings: Settings, pipeline: str, run_date: str, grace: float = GRACE_SECONDS
) -> Lease:
    """Take the lease for ``pipeline`` + ``run_date`` or raise ``RunRefused``."""
    s3, sfn = client(settings, "s3"), client(settings, "stepfunctions")
    bucket, key = lease_location(settings, pipeline, run_date)
    run_id = new_run_id()
    name = execution_name(pipeline, run_date, run_id)
    arn = settings.arn("states", f"execution:{settings.name(pipeline + '_state_machine')}:{name}")
    lease = Lease(pipeline, run_date, run_id, name, arn, bucket, key)
    body = json.dumps({"run_id": run_id, "execution": name, "execution_arn": arn}).encode()
    for _ in range(3):
        try:
            s3.put_object(Bucket=bucket, Key=key, Body=body, IfNoneMatch="*")
            return lease
        except ClientError as exc:
            if exc.response["Error"].get("Code") not in ("PreconditionFailed", "412"):
                raise
        try:
            obj = s3.get_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if exc.response["Error"].get("Code") in ("NoSuchKey", "404"):
                continue  # released meanwhile: try again
            raise
        holder = json.loads(obj["Body"].read() or b"{}")
        status = _holder_status(sfn, holder.get("execution_arn", ""))
        age = (dt.datetime.now(dt.UTC) - obj["LastModified"]).total_seconds()
        if status == "RUNNING" or (status is None and age < grace):
            state = "running" if status == "RUNNING" else "starting"
            raise RunRefused(
                f"{pipeline} for run date {run_date} is already {state} as execution "
                f"{holder.get('execution')}: wait for it to end (invoke status {pipeline}) "
                f"or stop it"
            )
        s3.delete_object(Bucket=bucket, Key=key)  # stale: its holder ended
    raise RunRefused(f"could not take the lease s3://{bucket}/{key}: it keeps changing")


def release(settings: Settings, lease: Lease) -> bool:
    """Delete the lease if it still names this run; True if deleted."""
    s3 = client(settings, "s3")
    try:
        current = json.loads(s3.get_object(Bucket=lease.bucket, Key=lease.key)["Body"].read())
    except ClientError:
        return False
    if current.get("run_id") != lease.run_id:
        return False
    s3.delete_object(Bucket=lease.bucket, Key=lease.key)
    return True
