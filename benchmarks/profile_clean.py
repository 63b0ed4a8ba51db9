"""Profile the churn jobs on local Spark in one session (the numbers in RESULTS.md's profile).

    python -m benchmarks.profile_clean benchmarks/data/churn_1000000.csv           # per phase
    python -m benchmarks.profile_clean --whole benchmarks/data/churn_1000000.csv   # run_clean + run_features

``--whole`` only uses the jobs' entry functions, so it also times older versions of
``churn_transforms`` put first on PYTHONPATH (see RESULTS.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import tempfile
import time


def session():
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
    builder.config("spark.sql.shuffle.partitions", "8").config(
        "spark.driver.memory", "4g"
    ).getOrCreate().sparkContext.setLogLevel("ERROR")
    from churn_transforms.io import get_spark

    return get_spark("profile")


def timed(label: str, fn):
    started = time.perf_counter()
    result = fn()
    print(f"{label:48s} {time.perf_counter() - started:7.2f} s", flush=True)
    return result


def whole(path: str) -> None:
    from churn_transforms.jobs import run_clean, run_features

    spark = timed("JVM + Spark session", session)
    out = tempfile.mkdtemp()
    try:
        timed(
            "run_clean",
            lambda: run_clean(
                spark,
                {
                    "input": path,
                    "output": f"{out}/c",
                    "quarantine": f"{out}/q",
                    "run_date": "2023-08-01",
                },
            ),
        )
        timed(
            "run_features",
            lambda: run_features(
                spark, {"clean": f"{out}/c", "features": f"{out}/f", "run_date": "2023-08-01"}
            ),
        )
    finally:
        shutil.rmtree(out, ignore_errors=True)


def phases(path: str) -> None:
    from churn_transforms.clean import (
        CleanParams,
        manifest_counts,
        transform_clean_rows,
        transform_dedupe,
        transform_parse,
        transform_quarantine_rows,
    )
    from churn_transforms.io import read_raw_csv

    spark = timed("JVM + Spark session", session)
    out = tempfile.mkdtemp()
    try:
        raw, _ = read_raw_csv(spark, path)
        params = CleanParams(run_date=dt.date(2023, 8, 1))
        timed(
            "read + parse + reasons -> Parquet stage",
            lambda: transform_parse(raw, params).write.parquet(f"{out}/stage"),
        )
        deduped = timed(
            "repeated-id aggregate (dedupe plan)",
            lambda: transform_dedupe(spark.read.parquet(f"{out}/stage")),
        )
        counts = timed("manifest counts + median (one pass)", lambda: manifest_counts(deduped))
        timed(
            "write clean",
            lambda: transform_clean_rows(deduped, counts["age_median"]).write.parquet(
                f"{out}/clean"
            ),
        )
        timed(
            "write quarantine",
            lambda: transform_quarantine_rows(deduped).write.parquet(f"{out}/quarantine"),
        )
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("csv")
    p.add_argument("--whole", action="store_true", help="time run_clean + run_features only")
    args = p.parse_args(argv)
    (whole if args.whole else phases)(args.csv)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
