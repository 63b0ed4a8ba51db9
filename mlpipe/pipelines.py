"""Per-pipeline inputs and results: what `invoke run <pipeline>` uploads and reports.

``launch`` is a run's safe start: the run date is checked (a real ``YYYY-MM-DD``) before
anything is written; the run-date lease (``lease.py``) is taken, so a second run for the same
pipeline and date is refused before its input is uploaded; the input goes under the run's own
``run_id=<id>/`` prefix; the execution is named ``<pipeline>-<run date>-<run id>`` and gets
``{"run_date", "run_id", "input"}``. Generic execution handling lives in ``runs.py``.
"""

from __future__ import annotations

import csv
import io
import stat
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlpipe import lease as leases
from mlpipe import runs
from mlpipe.aws import client, split_s3
from mlpipe.config import Settings
from mlpipe.datagen import generate_telemetry_csv
from mlpipe.local_cloud.staging import valid_run_date
from mlpipe.targets import shown

EMR_DEMO_ROWS, EMR_DEMO_SEED = 2000, 7
INFERENCE_DEMO_ROWS, INFERENCE_DEMO_SEED = 500, 99


class RunInputError(ValueError):
    """A bad run argument (date, input file): one line."""


def check_run_date(run_date: str) -> str:
    try:
        return valid_run_date(run_date)
    except ValueError as exc:
        raise RunInputError(str(exc)) from None


def check_input_file(path: Path, directory_ok: bool = False) -> Path:
    """``path`` if it is a readable input: a regular file (or, with ``directory_ok``, a
    directory of them); else ``RunInputError`` naming it in one line."""
    name = shown(path, 120, plain=True)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise RunInputError(f"input not found: {name}") from None
    except OSError as exc:  # e.g. a name longer than the filesystem allows
        raise RunInputError(f"cannot read input {name}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(mode) and not directory_ok:
        raise RunInputError(f"input must be a file, {name} is a directory")
    if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        raise RunInputError(f"input must be a regular file, {name} is a device, pipe or socket")
    return path


def raw_prefix(settings: Settings, pipeline: str, run_date: str) -> str:
    """Where a run date's raw input lives (each run under ``run_id=<id>/`` below it)."""
    if pipeline == "churn":
        return f"{settings.paths['churn_raw']}run_date={run_date}/"
    if pipeline == "emr":
        return f"{settings.paths['telemetry_raw']}run_date={run_date}/"
    return settings.paths["abalone_batch"]


def reads_run_input(settings: Settings, pipeline: str) -> bool:
    """True when the deployed state machine takes the run's own input (``$.input``/``$.run_id``);
    False for one that reads the whole run-date prefix."""
    definition = client(settings, "stepfunctions").describe_state_machine(
        stateMachineArn=settings.state_machine_arn(pipeline)
    )["definition"]
    return "$.input" in definition or "$.run_id" in definition


def retire_other_runs(settings: Settings, date_prefix: str, keep_prefix: str) -> int:
    """Delete the raw objects under ``date_prefix`` outside ``keep_prefix``. Only for a state
    machine that reads the whole date prefix, and only under the run-date lease (so no run of
    that date is reading them)."""
    s3 = client(settings, "s3")
    bucket, prefix = split_s3(date_prefix)
    _, keep = split_s3(keep_prefix)
    old = [
        {"Key": o["Key"]}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for o in page.get("Contents", [])
        if not o["Key"].startswith(keep)
    ]
    for start in range(0, len(old), 1000):
        s3.delete_objects(Bucket=bucket, Delete={"Objects": old[start : start + 1000]})
    return len(old)


@dataclass
class Launch:
    lease: leases.Lease
    input_uri: str
    context: object  # what the summary compares against (expected rows, hidden labels)
    execution_arn: str

    @property
    def execution(self) -> str:
        return self.lease.execution


def launch(
    settings: Settings, pipeline: str, run_date: str, input_path: Path | None = None
) -> Launch:
    """Check, lease, upload under the run id, start. Raises ``RunInputError`` or
    ``lease.RunRefused`` before anything is written."""
    run_date = check_run_date(run_date)
    if input_path is not None:
        check_input_file(input_path)
    lease = leases.acquire(settings, pipeline, run_date)
    try:
        date_prefix = raw_prefix(settings, pipeline, run_date)
        prefix = f"{date_prefix}run_id={lease.run_id}/"
        context: object = None
        if pipeline == "churn":
            if input_path is None:
                raise RunInputError("churn needs an input file")
            uri = prepare_churn(settings, input_path, run_date, prefix=prefix)
        elif pipeline == "emr":
            uri, context = prepare_emr(settings, run_date, input_path, prefix=prefix)
        else:
            uri, context = prepare_inference(settings, input_path, prefix=prefix)
        if not reads_run_input(settings, pipeline):
            retire_other_runs(settings, date_prefix, prefix)
        payload = {"run_date": run_date, "run_id": lease.run_id, "input": prefix}
        arn, _ = runs.start(settings, pipeline, payload, name=lease.execution)
    except BaseException:
        leases.release(settings, lease)
        raise
    return Launch(lease, uri, context, arn)


def prepare_churn(
    settings: Settings, input_path: Path, run_date: str, prefix: str | None = None
) -> str:
    return runs.upload_input(
        settings, input_path, prefix or raw_prefix(settings, "churn", run_date)
    )


def prepare_emr(
    settings: Settings, run_date: str, input_path: Path | None = None, prefix: str | None = None
) -> tuple[str, dict[str, int] | None]:
    """Upload the telemetry input (default: a generated demo set); returns (uri, rows per class if known)."""
    prefix = prefix or raw_prefix(settings, "emr", run_date)
    if input_path:
        return runs.upload_input(settings, input_path, prefix), None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "telemetry.csv"
        expected = generate_telemetry_csv(path, EMR_DEMO_ROWS, EMR_DEMO_SEED)
        return runs.upload_input(settings, path, prefix), expected


def emr_partitions(settings: Settings, run_date: str, column: str) -> dict[str, int]:
    """Rows per ``column=<value>`` partition written by the EMR step."""
    import pyarrow.parquet as pq

    s3 = client(settings, "s3")
    bucket, prefix = split_s3(f"{settings.paths['telemetry_partitioned']}run_date={run_date}/")
    counts: Counter[str] = Counter()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            key = obj["Key"]
            part = next(
                (
                    seg.split("=", 1)[1]
                    for seg in key[len(prefix) :].split("/")
                    if seg.startswith(f"{column}=")
                ),
                None,
            )
            if part is None or not key.endswith(".parquet"):
                continue
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            counts[part] += pq.ParquetFile(io.BytesIO(body)).metadata.num_rows
    return dict(counts)


def clusters(settings: Settings, name_prefix: str) -> list[dict[str, Any]]:
    """Every EMR cluster whose name starts with ``name_prefix`` (with its state)."""
    emr = client(settings, "emr")
    return [
        c
        for page in emr.get_paginator("list_clusters").paginate()
        for c in page["Clusters"]
        if c["Name"].startswith(name_prefix)
    ]


def prepare_inference(
    settings: Settings, input_path: Path | None = None, prefix: str | None = None
) -> tuple[str, list[float] | None]:
    """Upload the unlabeled batch (default: a generated one); returns (uri, hidden labels if known)."""
    from abalone_model.data import generate, to_csv

    prefix = prefix or settings.paths["abalone_batch"]
    if input_path:
        return runs.upload_input(settings, input_path, prefix), None
    rows = generate(INFERENCE_DEMO_ROWS, INFERENCE_DEMO_SEED)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "batch.csv"
        path.write_text(to_csv(rows, with_label=False))
        return runs.upload_input(settings, path, prefix), [float(r[-1]) for r in rows]


def inference_output(settings: Settings, execution_name: str) -> list[list[str]]:
    """Rows of ``<predictions>/<execution>/batch.csv.out``: the input fields plus the prediction."""
    s3 = client(settings, "s3")
    bucket, prefix = split_s3(f"{settings.paths['abalone_predictions']}{execution_name}/")
    rows: list[list[str]] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in sorted(page.get("Contents", []), key=lambda o: o["Key"]):
            text = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read().decode()
            rows += [r for r in csv.reader(io.StringIO(text)) if r]
    return rows


def rmse(labels: list[float], predictions: list[float]) -> float:
    """The model's own metric (``abalone_model.train.rmse``), imported when needed."""
    from abalone_model.train import rmse as model_rmse

    if len(labels) != len(predictions):
        raise ValueError(f"{len(labels)} labels but {len(predictions)} predictions")
    return float(model_rmse(labels, predictions))
