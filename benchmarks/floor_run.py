"""Spark's single-pass floor for the churn jobs: one CSV read + one Parquet write of the same
file, in a fresh JVM with the same session settings as ``benchmarks.spark_run``. No cleaner can
be cheaper. Prints a JSON line (JVM start included).

    python -m benchmarks.floor_run INPUT.csv OUT_DIR [SHUFFLE_PARTITIONS] [--parse]

``--parse`` (not part of ``invoke bench``): the job's own reader and parse (``read_raw_csv`` +
``transform_parse``: trims, dates, casts, reason codes) written once as Parquet, with no dedupe,
median, quarantine or features: what parsing alone costs over the floor.
"""

import json
import shutil
import sys
import time

from benchmarks.spark_run import BENCH_CONF, jvm_cost


def main(argv):
    started = time.perf_counter()
    parse = "--parse" in argv
    argv = [a for a in argv if a != "--parse"]
    source, out = argv[0], argv[1]
    partitions = argv[2] if len(argv) > 2 else "8"
    from mlpipe.spark import local_session

    spark = local_session("floor", {**BENCH_CONF, "spark.sql.shuffle.partitions": partitions})
    session = time.perf_counter()
    shutil.rmtree(out, ignore_errors=True)
    (parse_once if parse else read_and_write_once)(spark, source, out)
    done = time.perf_counter()
    timings = {"session_s": session - started, "total_s": done - started}
    print("BENCH " + json.dumps({**timings, **jvm_cost(spark)}))


def read_and_write_once(spark, source: str, out: str) -> None:
    """The floor: one CSV read (every column a string) and one Parquet write."""
    from churn_transforms.io import parse_header
    from churn_transforms.schema import raw_schema

    with open(source, encoding="utf-8", errors="replace") as f:
        names = parse_header(f.readline())
    spark.read.csv(
        source,
        schema=raw_schema(len(names)),  # every column a string
        header=True,
        mode="PERMISSIVE",
        columnNameOfCorruptRecord="_corrupt_record",
        encoding="UTF-8",
        multiLine=False,
    ).write.parquet(f"{out}/floor")


def parse_once(spark, source: str, out: str) -> None:
    """``--parse``: the jobs' reader and parse, written once."""
    import datetime as dt

    from churn_transforms.clean import CleanParams, transform_parse
    from churn_transforms.io import read_raw_csv

    params = CleanParams.from_args(dt.date(2023, 8, 1), None)
    transform_parse(read_raw_csv(spark, source).rows, params).write.parquet(f"{out}/parsed")


if __name__ == "__main__":
    main(sys.argv[1:])
