"""The two jobs' bodies: read, transform, write, commit, manifest.

Entrypoints (``glue_jobs/*.py``) only parse arguments and call these, so the same
code runs on AWS Glue, under spark-submit, in the local cloud and in tests.
"""

from __future__ import annotations

import time

from pyspark import StorageLevel
from pyspark.sql import SparkSession

from churn_transforms.args import parse_run_date
from churn_transforms.clean import (
    CleanParams,
    manifest_counts,
    transform_clean_rows,
    transform_dedupe,
    transform_parse,
    transform_quarantine_rows,
)
from churn_transforms.errors import InputError
from churn_transforms.features import transform_country_features, transform_customer_features
from churn_transforms.io import (
    commit_outputs,
    count_parquet,
    is_committed,
    partition_path,
    read_raw_csv,
    staged_outputs,
)
from churn_transforms.schema import CLEAN_SCHEMA

CLEAN_REQUIRED = ["input", "output", "quarantine", "run_date"]
CLEAN_OPTIONAL = {"date_formats": ""}
FEATURES_REQUIRED = ["clean", "features", "run_date"]


class ReconciliationError(RuntimeError):
    """Written row counts do not add up to the input: nothing is committed."""


def run_clean(spark: SparkSession, args: dict) -> dict:
    """Parse the CSV once into a scratch Parquet stage (cheaper than caching wide string rows,
    and it pins ``_row_id``); dedupe, the manifest and both outputs read the stage."""
    started = time.perf_counter()
    run_date = parse_run_date(args["run_date"])
    params = CleanParams.from_args(run_date, args.get("date_formats"))
    raw, empty = read_raw_csv(spark, args["input"])
    finals = {
        "clean": partition_path(args["output"], run_date.isoformat()),
        "quarantine": partition_path(args["quarantine"], run_date.isoformat()),
    }
    with staged_outputs(spark, finals, scratch=("stage",)) as tmps:
        transform_parse(raw, params).write.parquet(tmps["stage"])
        deduped = transform_dedupe(spark.read.parquet(tmps["stage"]))
        counts = manifest_counts(deduped)
        analysed = time.perf_counter()
        transform_clean_rows(deduped, counts["age_median"]).write.parquet(tmps["clean"])
        transform_quarantine_rows(deduped).write.parquet(tmps["quarantine"])
        written = {name: count_parquet(spark, tmps[name]) for name in finals}
        _reconcile(counts, written)
        manifest = {
            "job": "clean_customers",
            "run_date": run_date.isoformat(),
            "input": args["input"],
            **counts,
            "reconciled": True,
            "warnings": ["input is empty (no header): 0 rows"] if empty else [],
            "args": dict(args),
            "outputs": finals,
            "timings": {
                "analyse_s": round(analysed - started, 3),
                "write_s": round(time.perf_counter() - analysed, 3),
                "total_s": round(time.perf_counter() - started, 3),
            },
        }
        commit_outputs(spark, {k: tmps[k] for k in finals}, finals, manifest)
    return manifest


def _reconcile(counts: dict, written: dict) -> None:
    if (
        written["clean"] != counts["clean_rows"]
        or written["quarantine"] != counts["quarantined_rows"]
        or counts["input_rows"] != written["clean"] + written["quarantine"]
    ):
        raise ReconciliationError(
            f"reconciliation failed: input_rows={counts['input_rows']} but wrote "
            f"clean={written['clean']} quarantine={written['quarantine']}"
        )


def run_features(spark: SparkSession, args: dict) -> dict:
    started = time.perf_counter()
    run_date = parse_run_date(args["run_date"])
    source = partition_path(args["clean"], run_date.isoformat())
    if not is_committed(spark, source):
        raise InputError(f"clean output not committed (no _SUCCESS) in {source}")
    clean = spark.read.schema(CLEAN_SCHEMA).parquet(source)
    by_country = transform_country_features(clean).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        by_customer = transform_customer_features(clean, by_country, run_date)
        base = args["features"].rstrip("/")
        finals = {
            "by_country": partition_path(f"{base}/by_country", run_date.isoformat()),
            "by_customer": partition_path(f"{base}/by_customer", run_date.isoformat()),
        }
        with staged_outputs(spark, finals) as tmps:
            by_country.write.parquet(tmps["by_country"])
            by_customer.write.parquet(tmps["by_customer"])
            written = {name: count_parquet(spark, path) for name, path in tmps.items()}
            clean_rows = count_parquet(spark, source)
            if written["by_customer"] != clean_rows:
                raise ReconciliationError(
                    f"reconciliation failed: {clean_rows} clean rows but "
                    f"{written['by_customer']} customer feature rows"
                )
            manifest = {
                "job": "build_features",
                "run_date": run_date.isoformat(),
                "input": source,
                "clean_rows": clean_rows,
                "countries": written["by_country"],
                "customer_rows": written["by_customer"],
                "reconciled": True,
                "args": dict(args),
                "outputs": finals,
                "timings": {"total_s": round(time.perf_counter() - started, 3)},
            }
            commit_outputs(spark, tmps, finals, manifest)
    finally:
        by_country.unpersist()
    return manifest
