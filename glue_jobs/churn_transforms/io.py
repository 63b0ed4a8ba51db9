"""Job I/O: the Spark session, reading the raw CSV, and publishing a run's outputs.

Works on any Hadoop filesystem (``file://`` locally, ``s3://`` on Glue) through the JVM's
FileSystem API.

**Publication** (a rename on S3 is copy + delete, never atomic, so none is relied on): a run
writes every output under its own immutable prefix ``<base>/run_date=<d>/run_id=<r>/``, then
publishes one manifest ``<base>/run_date=<d>/_manifest.json`` naming those prefixes (a single
object PUT on S3; write-aside + rename(2) on a local disk), and ``_SUCCESS`` last. Readers
resolve a run date through its manifest (``resolve_published``), never by listing. A run that
fails before publishing leaves the previous manifest, and so the previous run, untouched.
"""

from __future__ import annotations

import csv
import json
import os
import uuid
from contextlib import contextmanager
from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from churn_transforms.errors import InputError, shortened
from churn_transforms.layout import (
    MANIFEST,
    RUN_ID_RE,
    SUCCESS,
    date_dir,
    published_prefix,
)
from churn_transforms.schema import INPUT_COLUMNS, raw_schema, src

SESSION_CONF = {
    # Reproducible parsing: strict java.time patterns, no ANSI exceptions on bad casts, UTC.
    "spark.sql.legacy.timeParserPolicy": "CORRECTED",
    "spark.sql.ansi.enabled": "false",
    "spark.sql.session.timeZone": "UTC",
    # A date before 1582-10-15 (a valid, if odd, signup date) is written and read as java.time
    # parsed it (proleptic Gregorian). Spark 3's default for Parquet fails the whole write
    # (INCONSISTENT_BEHAVIOR_CROSS_VERSION.WRITE_ANCIENT_DATETIME) on one such row.
    "spark.sql.parquet.datetimeRebaseModeInWrite": "CORRECTED",
    "spark.sql.parquet.datetimeRebaseModeInRead": "CORRECTED",
}
# The CSV parser's limit on fields per line (its default, 20480, makes a longer line of commas
# fail the whole job); a line with more fields than the header is quarantined as malformed_row,
# and one with more than this many refuses the input with one line (``csv_parse_errors``).
MAX_COLUMNS = 1_000_000


def get_spark(app_name: str, shuffle_partitions: str | None = None) -> SparkSession:
    spark = SparkSession.builder.appName(app_name).getOrCreate()
    for key, value in SESSION_CONF.items():
        spark.conf.set(key, value)
    if shuffle_partitions:
        spark.conf.set("spark.sql.shuffle.partitions", str(shuffle_partitions))
    # Publication is ours (manifest, then _SUCCESS); Spark's own marker would come too early.
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
    """Lab header name -> position; raises ``InputError`` naming every missing column, or any
    name that appears twice (which copy would be meant is unknowable)."""
    positions = {name.lower(): i for i, name in enumerate(names)}
    missing = [col for col in INPUT_COLUMNS if col.lower() not in positions]
    if len(missing) == len(INPUT_COLUMNS):
        shown = shortened(",".join(names))
        raise InputError(
            f"no recognisable header in {path}: the first non-blank line ({shown!r}) "
            f"names none of the required columns {', '.join(INPUT_COLUMNS)}"
        )
    seen: dict[str, int] = {}
    for name in names:
        if name:
            seen[name.lower()] = seen.get(name.lower(), 0) + 1
    dups = [n for n in dict.fromkeys(x for x in names if x and seen[x.lower()] > 1)]
    if dups:
        raise InputError(f"duplicate column name(s) in header: {', '.join(dups)} in {path}")
    if missing:
        raise InputError(f"missing required column(s): {', '.join(missing)} in {path}")
    return {col: positions[col.lower()] for col in INPUT_COLUMNS}


@dataclass
class RawInput:
    """The raw CSV, one row per data line, and the line counts of the same input taken by the
    plain line reader, independently of the CSV parser (``line_counts``)."""

    rows: DataFrame
    lines: DataFrame  # one row per input file: physical and blank lines
    empty: bool  # no non-blank line at all
    source_file: str | None = None  # every row's source_file when the input is a single file

    def line_counts(self) -> dict[str, int]:
        """``physical_lines``, ``blank_lines`` and ``header_lines`` (one per file that holds a
        non-blank line): one action over the text of the input, no CSV parsing."""
        per_file = self.lines.collect()
        physical = sum(r["physical"] for r in per_file)
        blank = sum(r["blank"] or 0 for r in per_file)
        headers = sum(1 for r in per_file if r["physical"] > (r["blank"] or 0))
        return {"physical_lines": physical, "blank_lines": blank, "header_lines": headers}


# The CSV reader skips a line whose characters are all <= U+0020 (Java's String.trim set) and
# takes the first other line of each file as its header; blank lines are counted the same way.
_BLANK_SET = "".join(chr(i) for i in range(0x21))


def _is_blank(value):
    # the cheap comparison first: only a line starting with a character <= U+0020 can be blank
    return (value < F.lit("!")) & (F.btrim(value, F.lit(_BLANK_SET)) == F.lit(""))


def read_raw_csv(spark: SparkSession, path: str, source_uri: str | None = None) -> RawInput:
    """Read the churn CSV as strings, one row per data line, nothing dropped silently.

    Blank lines are skipped (and counted by ``RawInput.line_counts``); the header is the first
    non-blank line. Columns: the 10 lab columns as ``src_<name>`` (untrimmed, as in the file),
    ``raw_record`` (the line when its field count differs from the header's),
    ``_bad_encoding`` (a field holds U+FFFD, what invalid UTF-8 decodes to, or NUL),
    ``source_file`` (null for a single file: ``RawInput.source_file`` names it; under
    ``source_uri`` when given) and ``_row_id`` (file order).
    """
    text = spark.read.text(path)
    blank = _is_blank(F.col("value"))
    counts = [F.count(F.lit(1)).alias("physical"), F.sum("_blank").alias("blank")]
    flagged = text.select(blank.cast("long").alias("_blank"))
    if not _is_file(spark, path):  # per file: each non-blank file has its own header line
        flagged = text.select(blank.cast("long").alias("_blank"), F.input_file_name().alias("_f"))
    lines = flagged.groupBy(*(["_f"] if "_f" in flagged.columns else [])).agg(*counts)
    first = text.filter(~blank).limit(1).collect()
    if not first:
        return RawInput(_empty_raw(spark), lines, True, source_uri or path)
    names = parse_header(first[0]["value"])
    positions = map_header(names, source_uri or path)
    if "_f" in flagged.columns:
        _check_file_headers(spark, path, names)
    source_col, source = _source_file(spark, path, source_uri)
    df = spark.read.csv(
        path,
        schema=raw_schema(len(names)),
        header=True,
        mode="PERMISSIVE",
        columnNameOfCorruptRecord="_corrupt_record",
        # RFC 4180, as the header is parsed and as spreadsheets write CSV: a quote inside a
        # quoted field is doubled (""), and a backslash is an ordinary character (Spark's
        # default escape, \, read "C:\dir\" as an unterminated field and kept "O""Brien" whole)
        quote='"',
        escape='"',
        encoding="UTF-8",
        multiLine=False,
        maxColumns=MAX_COLUMNS,
    )
    # one flat expression over every field (an OR chain per field overflowed the JVM's stack
    # at a few hundred columns), built as SQL in one call rather than a Column per field
    every = F.expr(
        "concat_ws(chr(1), "
        + ", ".join([f"_c{i}" for i in range(len(names))] + ["_corrupt_record"])
        + ")"
    )
    bad = (F.instr(every, "\ufffd") > 0) | (F.instr(every, "\u0000") > 0)
    df = df.select(
        *[F.col(f"_c{positions[col]}").alias(src(col)) for col in INPUT_COLUMNS],
        F.col("_corrupt_record").alias("raw_record"),
        F.coalesce(bad, F.lit(False)).alias("_bad_encoding"),
        source_col.alias("source_file"),
        F.monotonically_increasing_id().alias("_row_id"),
    )
    return RawInput(df, lines, False, source)


def _check_file_headers(spark: SparkSession, path: str, names: list[str]) -> None:
    """Every file of a directory input must start (after blank lines) with the same header:
    Spark's reader skips each file's first line and reads the rest by the first file's column
    positions, so a file with its columns in another order would be read into the wrong fields,
    and a file without a header would lose its first row. Raises ``InputError`` naming the file."""
    fs = _FS(spark, path)
    wanted = [n.lower() for n in names]
    root = fs.fs.makeQualified(fs.path(path)).toUri().getPath().rstrip("/")
    files = fs.fs.listFiles(fs.path(path), True)  # with key=value subdirectories, as Spark reads
    while files.hasNext():
        status = files.next()
        relative = status.getPath().toUri().getPath()[len(root) :].strip("/")
        if any(part.startswith(("_", ".")) for part in relative.split("/")):
            continue  # what Spark's reader skips
        line = fs.first_nonblank_line(status.getPath())
        if line is None:
            continue  # empty or blank: no rows, no header
        found = parse_header(line)
        if [n.lower() for n in found] != wanted:
            raise InputError(
                f"{relative} in {path} does not start with the same header as the other files "
                f"({','.join(names)}): its first line is {shortened(line)!r}; give each header layout "
                "its own input"
            )


@contextmanager
def csv_parse_errors(path: str):
    """The CSV parser's own limits as one-line ``InputError``s instead of a failed Spark job: a
    line with more than ``MAX_COLUMNS`` fields stops univocity (it is not a malformed row that
    PERMISSIVE mode could keep)."""
    try:
        yield
    except Exception as exc:
        text = str(exc)  # univocity states its settings in every error: match the overflow
        if "TextParsingException" in text and (
            f"Index {MAX_COLUMNS} out of bounds for length {MAX_COLUMNS}" in text
        ):
            raise InputError(
                f"a line of {path} has more than {MAX_COLUMNS:,} fields (the CSV parser's limit);"
                " nothing was written"
            ) from None
        raise


def _is_file(spark: SparkSession, path: str) -> bool:
    fs = _FS(spark, path)
    return bool(fs.fs.getFileStatus(fs.fs.makeQualified(fs.path(path))).isFile())


def _source_file(spark: SparkSession, path: str, source_uri: str | None) -> tuple:
    """``(column, constant)`` naming each row's input file: for a single file, a null column and
    the file's name as a constant (one string, not one per cached row); for a directory, the
    file of each row. ``source_uri`` (the s3:// object or prefix the local path was staged from)
    stands in for ``path``."""
    fs = _FS(spark, path)
    qualified = fs.fs.makeQualified(fs.path(path))
    if _is_file(spark, path):
        return F.lit(None).cast("string"), source_uri or qualified.toUri().toString()
    name = F.input_file_name()
    if not source_uri:
        return name, None
    return F.concat(F.lit(source_uri.rstrip("/") + "/"), F.substring_index(name, "/", -1)), None


def _empty_raw(spark: SparkSession) -> DataFrame:
    cols = ", ".join(f"CAST(NULL AS STRING) AS {src(c)}" for c in INPUT_COLUMNS)
    return spark.sql(
        f"SELECT {cols}, CAST(NULL AS STRING) AS raw_record, false AS _bad_encoding, "
        "CAST(NULL AS STRING) AS source_file, CAST(NULL AS BIGINT) AS _row_id WHERE false"
    )


# --------------------------------------------------------------------------- publishing


class _FS:
    """Minimal Hadoop FileSystem facade over py4j."""

    def __init__(self, spark: SparkSession, uri: str):
        self._jvm = spark.sparkContext._jvm
        self._Path = self._jvm.org.apache.hadoop.fs.Path
        self.fs = self._Path(uri).getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())

    def path(self, uri: str):
        return self._Path(uri)

    @property
    def local(self) -> bool:
        return self.fs.getScheme() == "file"

    def exists(self, uri: str) -> bool:
        return self.fs.exists(self.path(uri))

    def delete(self, uri: str) -> None:
        self.fs.delete(self.path(uri), True)

    def children(self, uri: str) -> list[str]:
        if not self.exists(uri):
            return []
        return [st.getPath().getName() for st in self.fs.listStatus(self.path(uri))]

    def first_nonblank_line(self, path, max_lines: int = 10_000) -> str | None:
        """The first line of the file at ``path`` (a Hadoop Path) that is not blank (all
        characters <= U+0020, as the CSV reader skips), UTF-8; None if there is none in its
        first ``max_lines`` lines."""
        jio = self._jvm.java.io
        reader = jio.BufferedReader(jio.InputStreamReader(self.fs.open(path), "UTF-8"))
        try:
            for _ in range(max_lines):
                line = reader.readLine()
                if line is None:
                    return None
                if line.strip(_BLANK_SET):
                    return str(line)
            return None
        finally:
            reader.close()

    def _local_path(self, uri: str) -> str:
        return self.fs.pathToFile(self.path(uri)).getPath()

    def write_text(self, uri: str, text: str) -> None:
        """Replace ``uri`` with ``text`` so that a reader sees the old or the new object, never
        a partial one: one PUT on an object store; write-aside + rename(2) on a local disk."""
        if self.local:
            target = self._local_path(uri)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            aside = f"{target}.{uuid.uuid4().hex}.tmp"
            with open(aside, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(aside, target)
            crc = os.path.join(os.path.dirname(target), f".{os.path.basename(target)}.crc")
            if os.path.exists(crc):  # a stale Hadoop checksum would fail the next read
                os.remove(crc)
            return
        out = self.fs.create(self.path(uri), True)
        try:
            out.write(bytearray(text.encode("utf-8")))
        finally:
            out.close()

    def read_text(self, uri: str) -> str:
        if self.local:
            with open(self._local_path(uri), encoding="utf-8") as f:
                return f.read()
        jio = self._jvm.java.io
        reader = jio.BufferedReader(jio.InputStreamReader(self.fs.open(self.path(uri)), "UTF-8"))
        try:
            return "\n".join(iter(reader.readLine, None))
        finally:
            reader.close()


def check_run_id(run_id: str) -> str:
    if not RUN_ID_RE.fullmatch(run_id or ""):
        raise InputError(
            f"--run_id must be 1-128 letters, digits, '.', '_' or '-' (starting with a letter "
            f"or digit), got {run_id!r}"
        )
    return run_id


def new_run_id(job_run_id: str | None = None) -> str:
    """The caller's run id (Glue's ``--JOB_RUN_ID``) when it is a valid one, else a fresh UUID."""
    if job_run_id and RUN_ID_RE.fullmatch(job_run_id):
        return job_run_id
    return uuid.uuid4().hex


def read_manifest(spark: SparkSession, base: str, run_date: str) -> dict | None:
    """The published manifest of ``base`` for ``run_date``, or None when none is published."""
    fs = _FS(spark, base)
    uri = f"{date_dir(base, run_date)}/{MANIFEST}"
    if not fs.exists(uri):
        return None
    return json.loads(fs.read_text(uri))


def resolve_published(
    spark: SparkSession, base: str, run_date: str, output: str, output_base: str | None = None
) -> str:
    """The prefix holding ``output`` of the run published for ``run_date`` under ``base``
    (``output_base``: where that output lives when it is not under ``base``, e.g. the clean
    job's quarantine)."""
    manifest = read_manifest(spark, base, run_date)
    if manifest is None or not _FS(spark, base).exists(f"{date_dir(base, run_date)}/{SUCCESS}"):
        raise InputError(
            f"no published run (no {MANIFEST} + {SUCCESS}) in {date_dir(base, run_date)}"
        )
    return published_prefix(manifest, output, output_base or base)


class RunOutputs:
    """The prefixes of one run: ``prepare`` them, write there, then ``publish`` the manifest
    (and ``_SUCCESS``) under ``base``. ``discard`` removes this run's prefixes after a failure
    before publication (no manifest names them, so no reader ever saw them); once the manifest is
    written the run is published and ``discard`` does nothing."""

    def __init__(
        self,
        spark: SparkSession,
        base: str,
        run_date: str,
        run_id: str,
        prefixes: dict,
        bases: dict | None = None,
    ):
        self.spark, self.base, self.run_date, self.run_id = spark, base, run_date, run_id
        self.prefixes = prefixes
        self.bases = bases or {name: base for name in prefixes}
        self.published = False

    def relative(self) -> dict[str, str]:
        """Each output's prefix relative to its own base (what the manifest records)."""
        return {
            name: prefix[len(self.bases[name].rstrip("/")) + 1 :]
            for name, prefix in self.prefixes.items()
        }

    def prepare(self) -> None:
        """Refuse to reuse the published run's id; clear leftovers of a failed attempt."""
        published = read_manifest(self.spark, self.base, self.run_date)
        if published and published.get("run_id") == self.run_id:
            raise InputError(
                f"run_id {self.run_id!r} is already published in "
                f"{date_dir(self.base, self.run_date)}; a new run needs a new run id"
            )
        self.discard()

    def _roots(self) -> list[str]:
        return sorted(
            {p.rsplit("/run_id=", 1)[0] + f"/run_id={self.run_id}" for p in self.prefixes.values()}
        )

    def discard(self) -> None:
        if self.published:
            return
        for root in self._roots():
            fs = _FS(self.spark, root)
            if fs.exists(root):
                fs.delete(root)

    def publish(self, manifest: dict) -> None:
        """The commit point is the manifest (one atomic object); then ``_SUCCESS``; then runs
        older than the previous one are pruned (a reader that resolved the previous manifest
        just before may still be reading it)."""
        directory = date_dir(self.base, self.run_date)
        fs = _FS(self.spark, self.base)
        previous = read_manifest(self.spark, self.base, self.run_date)
        text = json.dumps(manifest, indent=2, sort_keys=True, default=str)
        fs.write_text(f"{directory}/{MANIFEST}", text)
        self.published = True
        fs.write_text(f"{directory}/{SUCCESS}", "")
        keep = {self.run_id, (previous or {}).get("run_id")}
        try:
            for root in self._roots():
                parent = root.rsplit("/run_id=", 1)[0]
                pfs = _FS(self.spark, parent)
                for name in pfs.children(parent):
                    if name.startswith("run_id=") and name[len("run_id=") :] not in keep:
                        pfs.delete(f"{parent}/{name}")
        except Exception:  # noqa: BLE001 - pruning is housekeeping; the run is published
            pass
