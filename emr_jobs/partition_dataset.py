"""EMR step (lab 2): partition a CSV dataset by a column and write it as Parquet.

    spark-submit partition_dataset.py --input s3://.../raw/telemetry/ --partition-by class \\
        --output s3://.../curated/telemetry/run_date=D/ [--format parquet] [--schema "a STRING, b INT"]

Runs under local spark-submit and as an EMR ``command-runner.jar`` step. No schema inference:
``--schema`` (a DDL string) or, without it, every header column as STRING. A missing partition
column is a one-line error (exit 2) and nothing is written. Output is overwritten, so reruns are
idempotent, and ends with Spark's ``_SUCCESS``.
"""

from __future__ import annotations

import argparse
import json
import sys

EXIT_BAD_INPUT = 2
FORMATS = ("parquet", "orc", "json", "csv")


class InputError(Exception):
    pass


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="partition_dataset", description=__doc__.splitlines()[0])
    p.add_argument("--input", required=True, help="CSV file or prefix (with a header)")
    p.add_argument("--partition-by", required=True, help="column to partition by")
    p.add_argument("--output", required=True, help="output prefix")
    p.add_argument("--format", default="parquet", choices=FORMATS)
    p.add_argument(
        "--schema", default=None, help='DDL, e.g. "player_id STRING, class STRING, level INT"'
    )
    p.add_argument("--delimiter", default=",")
    return p.parse_args(argv)


def header_schema(spark, path: str, delimiter: str):
    """All header columns as STRING: explicit, never inferred."""
    from pyspark.sql import types as T

    first = spark.read.text(path).first()
    if first is None:
        raise InputError(f"input is empty: {path}")
    names = [n.strip().lstrip("\ufeff") for n in first.value.split(delimiter)]
    return T.StructType([T.StructField(n, T.StringType(), True) for n in names])


def transform_partition(df, column: str):
    """Check the column exists (case-sensitive) and order rows so each partition is one write."""
    if column not in df.columns:
        raise InputError(
            f"partition column {column!r} not found (columns: {', '.join(df.columns)})"
        )
    return df.repartition(column)


def run(spark, args: argparse.Namespace) -> dict:
    schema = args.schema or header_schema(spark, args.input, args.delimiter)
    df = spark.read.csv(
        args.input, schema=schema, header=True, sep=args.delimiter, mode="PERMISSIVE"
    )
    try:
        out = transform_partition(df, args.partition_by)
    except InputError as exc:
        raise InputError(f"{exc} in {args.input}") from None
    out.write.mode("overwrite").partitionBy(args.partition_by).format(args.format).save(args.output)
    counts = (
        {
            r[0]: r[1]
            for r in spark.read.format(args.format)
            .load(args.output)
            .groupBy(args.partition_by)
            .count()
            .collect()
        }
        if args.format == "parquet"
        else {}
    )
    return {
        "input": args.input,
        "output": args.output,
        "partition_by": args.partition_by,
        "partitions": {str(k): v for k, v in counts.items()},
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.appName("partition_dataset").getOrCreate()
    try:
        summary = run(spark, args)
    except InputError as exc:
        print(f"ERROR: {exc}", file=sys.stderr, flush=True)
        return EXIT_BAD_INPUT
    print("SUMMARY " + json.dumps(summary, sort_keys=True), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
