"""The two jobs' bodies: read, transform, write, publish, manifest.

Entrypoints (``glue_jobs/*.py``) only parse arguments and call these, so the same code runs on
AWS Glue, under spark-submit, in the local cloud and in tests.

Each run writes under its own prefix ``<base>/run_date=<d>/run_id=<r>/`` and publishes one
manifest ``<base>/run_date=<d>/_manifest.json`` naming it, then ``_SUCCESS`` (``io``). The clean
job's manifest names its clean and quarantine prefixes; the features job reads the clean rows of
the run that manifest names, and its own manifest names that clean run too.

How the clean job spends its Spark actions (the CSV is scanned once):
1. read + parse + reason codes into a local checkpoint (``_stage``: the parsed rows kept by
   Spark's block manager, memory then disk, with their lineage cut), and the ids held by more
   than one valid row (one aggregate over those rows as they are stored);
2. the dedupe window over just those rows, and the per-age counts of clean rows (the exact
   median is computed on the driver from at most 121 counts);
3. the clean write and 4. the quarantine write, both from the stored rows, with every manifest count
   observed on the rows as they are written (no re-reads).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from pyspark import StorageLevel
from pyspark.sql import DataFrame, Observation, SparkSession
from pyspark.sql import functions as F

from churn_transforms.args import parse_run_date
from churn_transforms.clean import (
    CleanParams,
    clean_age_histogram,
    clean_metrics,
    counts_from_metrics,
    deduped,
    find_repeated_ids,
    id_counts,
    median_from_histogram,
    quarantine_candidates,
    quarantine_metrics,
    quarantine_output,
    transform_clean_rows,
    transform_dedupe,
    transform_parse,
    transform_quarantine_rows,
)
from churn_transforms.errors import InputError
from churn_transforms.features import transform_country_features, transform_customer_features
from churn_transforms.io import (
    RunOutputs,
    check_run_id,
    csv_parse_errors,
    new_run_id,
    read_manifest,
    read_raw_csv,
    resolve_published,
)
from churn_transforms.layout import run_prefix
from churn_transforms.schema import CLEAN_SCHEMA

CLEAN_REQUIRED = ["input", "output", "quarantine", "run_date"]
# --source_uri: the s3:// URI the input was staged from (named in the manifest and in each
#   quarantined row's source_file instead of the local path read);
# --run_id: the run's id (its output prefix); default Glue's --JOB_RUN_ID, else a fresh UUID.
CLEAN_OPTIONAL = {"date_formats": "", "source_uri": "", "run_id": "", "JOB_RUN_ID": ""}
FEATURES_REQUIRED = ["clean", "features", "run_date"]
FEATURES_OPTIONAL = {"run_id": "", "JOB_RUN_ID": ""}


class ReconciliationError(RuntimeError):
    """Written row counts do not add up to the input lines: nothing is published."""


def _run_id(args: dict) -> str:
    if args.get("run_id"):
        return check_run_id(args["run_id"])
    return new_run_id(args.get("JOB_RUN_ID"))


class _Clock:
    """Seconds per phase for the manifest's ``timings`` (the profile in RESULTS.md)."""

    def __init__(self):
        self.started = self.last = time.perf_counter()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self.last, 3)
        self.laps["total_s"] = round(now - self.started, 3)
        self.last = now


@dataclass
class CleanHandoff:
    """The clean rows of a finished clean run, still in this session's memory: the features
    job uses them instead of re-reading Parquet when both jobs run in one session."""

    output: str
    run_date: str
    run_id: str
    clean_rows: DataFrame
    cached: list[DataFrame]

    def release(self) -> None:
        for df in self.cached:
            _unpersist(df)
        self.cached = []


def run_clean(spark: SparkSession, args: dict) -> dict:
    manifest, handoff = clean_job(spark, args)
    handoff.release()
    return manifest


def clean_job(spark: SparkSession, args: dict) -> tuple[dict, CleanHandoff]:
    """The clean job; returns its manifest and the clean rows still cached (call ``release``)."""
    clock = _Clock()
    run_date = parse_run_date(args["run_date"])
    day = run_date.isoformat()
    params = CleanParams.from_args(run_date, args.get("date_formats"))
    run_id = _run_id(args)
    source = args.get("source_uri") or args["input"]
    raw = read_raw_csv(spark, args["input"], args.get("source_uri") or None)
    prefixes = {
        "clean": run_prefix(args["output"], day, run_id),
        "quarantine": run_prefix(args["quarantine"], day, run_id),
    }
    outputs = RunOutputs(
        spark,
        args["output"],
        day,
        run_id,
        prefixes,
        bases={"clean": args["output"], "quarantine": args["quarantine"]},
    )
    outputs.prepare()
    clock.lap("header_s")
    parsed = _stage(transform_parse(raw.rows, params))
    cached = [parsed]
    try:
        lines = raw.line_counts()  # the input's lines, counted without the CSV parser
        clock.lap("line_count_s")
        counts_by_id = id_counts(parsed).persist(StorageLevel.MEMORY_AND_DISK)
        cached.append(counts_by_id)
        with csv_parse_errors(source):
            counts_by_id.count()  # action 1: the one scan of the CSV fills the cache
        clock.lap("parse_cache_id_counts_s")
        repeated = find_repeated_ids(counts_by_id)
        rest, ranked = transform_dedupe(parsed, repeated)
        ranked = ranked.persist(StorageLevel.MEMORY_AND_DISK)
        cached.append(ranked)
        rows = deduped((rest, ranked))
        median = median_from_histogram(clean_age_histogram(counts_by_id, ranked))  # action 2
        clock.lap("dedupe_median_s")

        clean_obs, quarantine_obs = Observation("clean"), Observation("quarantine")
        clean_rows = transform_clean_rows(rows, median)
        clean_rows.observe(clean_obs, *clean_metrics()).write.parquet(prefixes["clean"])
        clock.lap("write_clean_s")
        rejected = quarantine_candidates(parsed, ranked)
        quarantine = transform_quarantine_rows(rejected, raw.source_file).observe(
            quarantine_obs, *quarantine_metrics()
        )
        quarantine_output(quarantine).write.parquet(prefixes["quarantine"])
        clock.lap("write_quarantine_s")
        counts = counts_from_metrics(clean_obs.get, quarantine_obs.get, median)
        _reconcile(counts, lines)
        manifest = {
            "job": "clean_customers",
            "run_date": day,
            "run_id": run_id,
            "input": source,
            **lines,
            **counts,
            "reconciled": True,
            "warnings": _warnings(raw.empty, lines),
            "args": dict(args),
            "outputs": prefixes,
            "outputs_relative": outputs.relative(),
            "timings": clock.laps,
        }
        outputs.publish(manifest)
        clock.lap("publish_s")
    except BaseException:
        for df in cached:
            _unpersist(df)
        _discard(outputs)
        raise
    handoff = CleanHandoff(args["output"], day, run_id, clean_rows, cached)
    return manifest, handoff


def _stage(df: DataFrame) -> DataFrame:
    """The parsed rows, stored once and read by every later step: a *local checkpoint* (rows in
    the block manager, memory then disk, lineage cut) rather than a cache. Measured at 2M rows
    (``python -m benchmarks.spark_run``), clean + features took 38.6 and 39.3 s against 48.5 and
    45.4 s with an uncompressed in-memory cache: no columnar batches are built, and every later
    query plans over a short plan instead of the whole parse. The checkpoint is not rebuilt if
    an executor holding it is lost: the run then fails before anything is published (and is
    retried) instead of recomputing; locally there is one executor. Lazy: the first action
    (the per-id counts) fills it in the one scan of the CSV."""
    return df.localCheckpoint(eager=False)


def _unpersist(df: DataFrame) -> None:
    """Free ``df``'s stored rows: a cache, or the blocks of a local checkpoint (which
    ``DataFrame.unpersist`` leaves to the garbage collector; a warm driver runs many jobs)."""
    df.unpersist()
    try:
        plan = df._jdf.queryExecution().logical()
        if plan.getClass().getSimpleName() == "LogicalRDD":
            plan.rdd().unpersist(False)
    except Exception:  # noqa: BLE001 - freeing memory early is an optimisation
        pass


def _discard(outputs: RunOutputs) -> None:
    try:
        outputs.discard()
    except Exception:  # noqa: BLE001 - the run's own failure is the error to report
        pass


def _warnings(empty: bool, lines: dict) -> list[str]:
    warnings = []
    if empty:
        warnings.append(
            f"input has no header: {lines['physical_lines']} line(s), all blank; 0 rows"
        )
    elif lines["blank_lines"]:
        warnings.append(f"{lines['blank_lines']} blank line(s) skipped")
    if lines["header_lines"] > 1:
        warnings.append(f"{lines['header_lines'] - 1} repeated header line(s) skipped")
    return warnings


def _reconcile(counts: dict, lines: dict) -> None:
    """Data lines counted by the line reader (not the CSV parser) must equal the rows written:
    clean + quarantined (duplicates included)."""
    data_lines = lines["physical_lines"] - lines["blank_lines"] - lines["header_lines"]
    dups = counts["duplicates"]["exact"] + counts["duplicates"]["conflicting"]
    if data_lines != counts["clean_rows"] + counts["quarantined_rows"] or dups != counts[
        "quarantined_by_reason"
    ].get("duplicate", 0):
        raise ReconciliationError(
            f"reconciliation failed: {data_lines} data lines "
            f"({lines['physical_lines']} physical, {lines['blank_lines']} blank, "
            f"{lines['header_lines']} header) but wrote clean={counts['clean_rows']} "
            f"quarantine={counts['quarantined_rows']} (duplicates {dups})"
        )


def run_features(spark: SparkSession, args: dict, handoff: CleanHandoff | None = None) -> dict:
    """Features of the clean run published for ``--run_date`` (through its manifest). With a
    ``handoff`` of that same run (both jobs in one session), its cached rows are used."""
    clock = _Clock()
    run_date = parse_run_date(args["run_date"])
    day = run_date.isoformat()
    run_id = _run_id(args)
    clean_manifest = read_manifest(spark, args["clean"], day)
    source = resolve_published(spark, args["clean"], day, "clean")
    if (
        handoff is not None
        and handoff.run_id == clean_manifest.get("run_id")
        and handoff.output.rstrip("/") == args["clean"].rstrip("/")
        and handoff.run_date == day
    ):
        clean = handoff.clean_rows
    else:
        clean = spark.read.schema(CLEAN_SCHEMA).parquet(source)
    base = args["features"]
    prefixes = {
        "by_country": f"{run_prefix(base, day, run_id)}/by_country",
        "by_customer": f"{run_prefix(base, day, run_id)}/by_customer",
    }
    outputs = RunOutputs(spark, base, day, run_id, prefixes)
    outputs.prepare()
    by_country = transform_country_features(clean).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        country_obs, customer_obs = Observation("by_country"), Observation("by_customer")
        by_country.observe(country_obs, F.count(F.lit(1)).alias("n")).write.parquet(
            prefixes["by_country"]
        )
        clock.lap("by_country_s")
        by_customer = transform_customer_features(clean, by_country, run_date)
        by_customer.observe(customer_obs, F.count(F.lit(1)).alias("n")).write.parquet(
            prefixes["by_customer"]
        )
        clock.lap("by_customer_s")
        written = {"by_country": country_obs.get["n"], "by_customer": customer_obs.get["n"]}
        clean_rows = clean_manifest["clean_rows"]
        if written["by_customer"] != clean_rows:
            raise ReconciliationError(
                f"reconciliation failed: {clean_rows} clean rows but "
                f"{written['by_customer']} customer feature rows"
            )
        manifest = {
            "job": "build_features",
            "run_date": day,
            "run_id": run_id,
            "input": source,
            "clean_run_id": clean_manifest["run_id"],
            "clean_rows": clean_rows,
            "countries": written["by_country"],
            "customer_rows": written["by_customer"],
            "reconciled": True,
            "args": dict(args),
            "outputs": prefixes,
            "outputs_relative": outputs.relative(),
            "timings": clock.laps,
        }
        outputs.publish(manifest)
    except BaseException:
        _discard(outputs)
        raise
    finally:
        by_country.unpersist()
    return manifest


def run_clean_and_features(
    spark: SparkSession, clean_args: dict, features_args: dict
) -> tuple[dict, dict]:
    """Both jobs in one session: features from the clean rows still in memory."""
    clean_manifest, handoff = clean_job(spark, clean_args)
    try:
        return clean_manifest, run_features(spark, features_args, handoff)
    finally:
        handoff.release()


__all__ = ["InputError", "run_clean", "run_features", "run_clean_and_features"]
