"""Job I/O: the Spark session, reading the raw CSV, and committed writes.

Works on any Hadoop filesystem (``file://`` locally, ``s3://`` on Glue) through
the JVM's FileSystem API. Outputs are written to ``<base>/_tmp/<uuid>/`` first and
only then moved to ``<base>/run_date=<d>/``; ``_manifest.json`` and, last of all,
``_SUCCESS`` mark a committed partition. Readers skip ``_``-prefixed paths, so a
crashed job leaves nothing that looks like output.
"""

from __future__ import annotations

import csv
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from churn_transforms.errors import InputError
from churn_transforms.schema import INPUT_COLUMNS, raw_schema, src

SESSION_CONF = {
    # Reproducible parsing: strict java.time patterns, no ANSI exceptions on bad casts, UTC.
    "spark.sql.legacy.timeParserPolicy": "CORRECTED",
    "spark.sql.ansi.enabled": "false",
    "spark.sql.session.timeZone": "UTC",
}


def get_spark(app_name: str, shuffle_partitions: str | None = None) -> SparkSession:
    spark = SparkSession.builder.appName(app_name).getOrCreate()
    for key, value in SESSION_CONF.items():
        spark.conf.set(key, value)
    if shuffle_partitions:
        spark.conf.set("spark.sql.shuffle.partitions", str(shuffle_partitions))
    # We write our own _SUCCESS after the manifest; Spark's would be renamed in too early.
    spark.sparkContext._jsc.hadoopConfiguration().set(
        "mapreduce.fileoutputcommitter.marksuccessfuljobs", "false"
    )
    return spark


# --------------------------------------------------------------------------- reading


def parse_header(line: str | None) -> list[str]:
    """Split a header line (RFC 4180) into names, dropping a BOM and surrounding whitespace."""
    if line is None:
        return []
    line = line.lstrip("\ufeff").rstrip("\r\n")
    if not line.strip():
        return []
    return [
        name.strip().lstrip("\ufeff").strip()
        for name in next(csv.reader([line], skipinitialspace=True))
    ]


def map_header(names: list[str], path: str) -> dict[str, int]:
    """Lab header name -> position; raises ``InputError`` naming every missing column."""
    positions = {name.lower(): i for i, name in reversed(list(enumerate(names)))}
    missing = [col for col in INPUT_COLUMNS if col.lower() not in positions]
    if missing:
        raise InputError(f"missing required column(s): {', '.join(missing)} in {path}")
    return {col: positions[col.lower()] for col in INPUT_COLUMNS}


def read_raw_csv(spark: SparkSession, path: str) -> tuple[DataFrame, bool]:
    """Read the churn CSV as strings, one row per data line, nothing dropped.

    Returns ``(df, empty)`` where ``df`` has the 10 lab columns as ``src_<name>``
    (untrimmed, as in the file), ``_extra`` fields joined for the encoding check,
    ``raw_record`` (the line when its field count differs from the header's),
    ``source_file`` and ``_row_id`` (file order). ``empty`` is True for a file with
    no header at all.
    """
    first = spark.read.text(path).first()
    names = parse_header(first.value if first else None)
    if not names:
        return _empty_raw(spark), True
    positions = map_header(names, path)
    df = spark.read.csv(
        path,
        schema=raw_schema(len(names)),
        header=True,
        mode="PERMISSIVE",
        columnNameOfCorruptRecord="_corrupt_record",
        encoding="UTF-8",
        multiLine=False,
    )
    lab = [F.col(f"_c{positions[col]}").alias(src(col)) for col in INPUT_COLUMNS]
    extra_idx = sorted(set(range(len(names))) - set(positions.values()))
    extra = (
        F.concat_ws("\u0001", *[F.col(f"_c{i}") for i in extra_idx]) if extra_idx else F.lit(None)
    )
    df = df.select(
        *lab,
        extra.cast("string").alias("_extra"),
        F.col("_corrupt_record").alias("raw_record"),
        F.input_file_name().alias("source_file"),
        F.monotonically_increasing_id().alias("_row_id"),
    )
    return df, False


def _empty_raw(spark: SparkSession) -> DataFrame:
    cols = ", ".join(f"CAST(NULL AS STRING) AS {src(c)}" for c in INPUT_COLUMNS)
    return spark.sql(
        f"SELECT {cols}, CAST(NULL AS STRING) AS _extra, CAST(NULL AS STRING) AS raw_record, "
        "CAST(NULL AS STRING) AS source_file, CAST(NULL AS BIGINT) AS _row_id WHERE false"
    )


# --------------------------------------------------------------------------- writing


class _FS:
    """Minimal Hadoop FileSystem facade over py4j."""

    def __init__(self, spark: SparkSession, uri: str):
        self._jvm = spark.sparkContext._jvm
        self._Path = self._jvm.org.apache.hadoop.fs.Path
        self.fs = self._Path(uri).getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())

    def path(self, uri: str):
        return self._Path(uri)

    def exists(self, uri: str) -> bool:
        return self.fs.exists(self.path(uri))

    def delete(self, uri: str) -> None:
        self.fs.delete(self.path(uri), True)

    def move(self, src: str, dst: str) -> None:
        self.fs.mkdirs(self.path(dst).getParent())
        if not self.fs.rename(self.path(src), self.path(dst)):
            raise OSError(f"could not move {src} to {dst}")

    def write_text(self, uri: str, text: str) -> None:
        out = self.fs.create(self.path(uri), True)
        try:
            out.write(bytearray(text.encode("utf-8")))
        finally:
            out.close()

    def read_text(self, uri: str) -> str:
        jio = self._jvm.java.io
        reader = jio.BufferedReader(jio.InputStreamReader(self.fs.open(self.path(uri)), "UTF-8"))
        try:
            return "\n".join(iter(reader.readLine, None))
        finally:
            reader.close()


def partition_path(base: str, run_date: str) -> str:
    return f"{base.rstrip('/')}/run_date={run_date}"


def is_committed(spark: SparkSession, path: str) -> bool:
    return _FS(spark, path).exists(f"{path}/_SUCCESS")


@contextmanager
def staged_outputs(
    spark: SparkSession, finals: dict[str, str], scratch: tuple[str, ...] = ()
) -> Iterator[dict[str, str]]:
    """Yield a temporary path per output name (and per ``scratch`` name); the caller writes
    there and then calls ``commit_outputs``. Every temporary path is removed on exit."""
    base = next(iter(finals.values())).rsplit("/run_date=", 1)[0]
    tmps = {
        name: f"{final.rsplit('/run_date=', 1)[0]}/_tmp/{uuid.uuid4().hex}"
        for name, final in finals.items()
    }
    tmps.update({name: f"{base}/_tmp/{uuid.uuid4().hex}-{name}" for name in scratch})
    try:
        yield tmps
    finally:
        for tmp in tmps.values():
            fs = _FS(spark, tmp)
            if fs.exists(tmp):
                fs.delete(tmp)


def commit_outputs(
    spark: SparkSession, tmps: dict[str, str], finals: dict[str, str], manifest: dict
) -> None:
    """Replace each final partition with its staged copy, then write the manifest
    into each and ``_SUCCESS`` last. Re-running for the same run_date is idempotent."""
    text = json.dumps(manifest, indent=2, sort_keys=True, default=str)
    for name, final in finals.items():
        fs = _FS(spark, final)
        if fs.exists(final):
            fs.delete(final)
        fs.move(tmps[name], final)
        fs.write_text(f"{final}/_manifest.json", text)
        fs.write_text(f"{final}/_SUCCESS", "")


def count_parquet(spark: SparkSession, path: str) -> int:
    """Rows in a written Parquet dataset (from file footers, no data scan)."""
    return spark.read.parquet(path).count()
