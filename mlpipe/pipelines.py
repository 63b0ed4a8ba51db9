"""Per-pipeline inputs and results: what `invoke run <pipeline>` uploads and reports.

Generic execution handling (start, follow, history) lives in ``runs.py``.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections import Counter
from pathlib import Path

from mlpipe import runs
from mlpipe.aws import client, split_s3
from mlpipe.config import Settings
from mlpipe.datagen import generate_telemetry_csv

EMR_DEMO_ROWS, EMR_DEMO_SEED = 2000, 7
INFERENCE_DEMO_ROWS, INFERENCE_DEMO_SEED = 500, 99


def prepare_churn(settings: Settings, input_path: Path, run_date: str) -> str:
    return runs.upload_input(
        settings, input_path, f"{settings.paths['churn_raw']}run_date={run_date}/"
    )


def prepare_emr(
    settings: Settings, run_date: str, input_path: Path | None = None
) -> tuple[str, dict[str, int] | None]:
    """Upload the telemetry input (default: a generated demo set); returns (uri, rows per class if known)."""
    prefix = f"{settings.paths['telemetry_raw']}run_date={run_date}/"
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
    counts: Counter = Counter()
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


def clusters(settings: Settings, name_prefix: str) -> list[dict]:
    """Every EMR cluster whose name starts with ``name_prefix`` (with its state)."""
    emr = client(settings, "emr")
    return [
        c
        for page in emr.get_paginator("list_clusters").paginate()
        for c in page["Clusters"]
        if c["Name"].startswith(name_prefix)
    ]


def prepare_inference(
    settings: Settings, input_path: Path | None = None
) -> tuple[str, list[float] | None]:
    """Upload the unlabeled batch (default: a generated one); returns (uri, hidden labels if known)."""
    from abalone_model.data import generate, to_csv

    prefix = settings.paths["abalone_batch"]
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
    return model_rmse(labels, predictions)
