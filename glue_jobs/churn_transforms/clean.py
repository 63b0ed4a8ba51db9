"""Cleaning rules for the churn CSV (lab 1, job 1), as pure DataFrame transforms.

Semantics (also in the README):

* Every input row ends up in exactly one place: the clean output, or the
  quarantine with one or more reason codes. ``input_rows = clean_rows + quarantined_rows``.
* Strings are trimmed; an empty (or all-blank) field is missing.
* ``customer_id``: a positive integer, else ``bad_customer_id``.
* ``country``: required (``missing_country``). Normalised so that case and spacing
  variants group together: inner whitespace collapsed, then codes of up to 3 letters
  upper-cased (``usa``/`` USA``/``Usa`` -> ``USA``) and longer names title-cased
  (``united kingdom`` -> ``United Kingdom``).
* Dates: ``yyyy-MM-dd``, ``yyyy/MM/dd``, ISO timestamps (the date as written is kept,
  no time-zone shift) and any extra java.time patterns given with ``--date_formats``.
  ``signup_date`` is required (``bad_signup_date``); an empty ``last_purchase_date``
  becomes null, an unparseable one is ``bad_last_purchase_date``. A purchase before
  signup is ``purchase_before_signup``; any date after ``--run_date`` is ``date_after_run_date``.
* ``total_purchases``: a non-negative integer (``bad_total_purchases``);
  ``total_spent``: a finite non-negative number (``bad_total_spent``);
  ``churned``: yes/no/true/false/1/0 in any case (``bad_churned``).
* A line whose field count differs from the header's is ``malformed_row`` (its other
  fields are unreliable, so no other field reason is given); a field holding U+FFFD
  (what invalid UTF-8 decodes to) is ``bad_encoding``.
* Gender: male/m -> Male, female/f -> Female, empty -> Unknown, anything else -> Other.
* Age: an empty, non-numeric, non-integral or outside-0..120 age is imputed with the
  **global** median of the valid ages of the deduplicated clean rows, rounded half up
  (per-country medians are too thin: most countries hold a handful of customers).
  ``age_imputed`` marks these rows.
* Dedupe by ``customer_id`` among otherwise valid rows: keep the latest
  last_purchase_date, then the latest signup_date, then the most non-empty fields, then
  the first in the file. Every other copy is quarantined as ``duplicate``; it is an
  *exact* duplicate when all ten original fields equal the kept row's, else *conflicting*.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from churn_transforms.schema import (
    CLEAN_SCHEMA,
    INPUT_COLUMNS,
    QUARANTINE_SCHEMA,
    REASONS,
    conform,
    src,
)

DEFAULT_DATE_FORMATS = ("yyyy-MM-dd", "yyyy/MM/dd")
ISO_TIMESTAMP_RE = (
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)?$"
)
MAX_AGE = 120
CHURN_VALUES = {"yes": True, "true": True, "1": True, "no": False, "false": False, "0": False}
REPLACEMENT_CHAR = "\ufffd"


@dataclass(frozen=True)
class CleanParams:
    run_date: dt.date
    date_formats: tuple[str, ...] = field(default=DEFAULT_DATE_FORMATS)

    @staticmethod
    def from_args(run_date: dt.date, date_formats: str | None) -> CleanParams:
        extra = tuple(f.strip() for f in (date_formats or "").split(",") if f.strip())
        return CleanParams(run_date=run_date, date_formats=DEFAULT_DATE_FORMATS + extra)


# --------------------------------------------------------------------------- helpers


def _trimmed(name: str) -> Column:
    """The field trimmed, with empty meaning missing (null)."""
    return F.nullif(F.trim(F.col(name)), F.lit(""))


def parse_date(col: Column, formats: tuple[str, ...]) -> Column:
    """First format that parses the whole string; ISO timestamps keep their written date.

    The two default formats are matched by a strict regex (two-digit month and day) and then
    cast, which validates the calendar date; a cast cannot throw, unlike a failing java.time
    pattern, which makes it several times faster. Extra ``--date_formats`` use ``to_date``.
    """
    iso_day = r"^\d{4}-\d{2}-\d{2}$"
    parsed = [
        F.when(col.rlike(iso_day), col.cast("date"))
        if fmt == "yyyy-MM-dd"
        else F.when(col.rlike(r"^\d{4}/\d{2}/\d{2}$"), F.translate(col, "/", "-").cast("date"))
        if fmt == "yyyy/MM/dd"
        else F.to_date(col, fmt)
        for fmt in formats
    ]
    iso = F.when(
        col.rlike(ISO_TIMESTAMP_RE) & col.cast("timestamp").isNotNull(),
        F.substring(col, 1, 10).cast("date"),
    )
    return F.coalesce(*parsed, iso)


def normalise_gender(col: Column) -> Column:
    g = F.lower(col)
    return (
        F.when(col.isNull(), "Unknown")
        .when(g.isin("male", "m"), "Male")
        .when(g.isin("female", "f"), "Female")
        .otherwise("Other")
    )


def normalise_country(col: Column) -> Column:
    collapsed = F.regexp_replace(col, r"\s+", " ")
    return F.when(F.length(collapsed) <= 3, F.upper(collapsed)).otherwise(F.initcap(collapsed))


def _reason(condition: Column, code: str) -> Column:
    return F.when(condition, F.lit(code))


# --------------------------------------------------------------------------- transforms


def transform_parse(raw: DataFrame, params: CleanParams) -> DataFrame:
    """Typed, normalised columns plus ``reasons`` (array of codes, ``duplicate`` excluded)."""
    t = {canon: _trimmed(src(header)) for header, canon in INPUT_COLUMNS.items()}
    customer_id = F.when(t["customer_id"].rlike(r"^[0-9]+$"), t["customer_id"].cast("long"))
    signup = parse_date(t["signup_date"], params.date_formats)
    last = parse_date(t["last_purchase_date"], params.date_formats)
    purchases = F.when(t["total_purchases"].rlike(r"^[0-9]+$"), t["total_purchases"].cast("int"))
    spent_d = t["total_spent"].cast("double")
    spent = F.when(~F.isnan(spent_d) & (F.abs(spent_d) < float("inf")), spent_d)
    churn_key = F.lower(t["churned"])
    churned = F.when(churn_key.isin(*[k for k, v in CHURN_VALUES.items() if v]), True).when(
        churn_key.isin(*[k for k, v in CHURN_VALUES.items() if not v]), False
    )
    age_d = t["age"].cast("double")
    age_valid = F.when(
        ~F.isnan(age_d) & (age_d >= 0) & (age_d <= MAX_AGE) & (age_d == F.floor(age_d)),
        age_d.cast("int"),
    )
    all_fields = [F.col(src(h)) for h in INPUT_COLUMNS] + [F.col("_extra"), F.col("raw_record")]
    bad_encoding = F.concat_ws("", *all_fields).contains(REPLACEMENT_CHAR)
    run_date = F.lit(params.run_date)

    df = raw.select(
        *[F.col(src(h)) for h in INPUT_COLUMNS],
        "raw_record",
        "source_file",
        "_row_id",
        customer_id.alias("customer_id"),
        t["name"].alias("name"),
        age_valid.alias("_age_valid"),
        normalise_gender(t["gender"]).alias("gender"),
        normalise_country(t["country"]).alias("country"),
        signup.alias("signup_date"),
        last.alias("last_purchase_date"),
        purchases.alias("total_purchases"),
        spent.alias("total_spent"),
        churned.alias("churned"),
        bad_encoding.alias("_bad_encoding"),
        sum((_trimmed(src(h)).isNotNull()).cast("int") for h in INPUT_COLUMNS).alias("_filled"),
        F.col("raw_record").isNotNull().alias("_malformed"),
        t["last_purchase_date"].isNotNull().alias("_has_last"),
    )
    c = F.col
    field_reasons = [
        _reason(c("customer_id").isNull() | (c("customer_id") <= 0), "bad_customer_id"),
        _reason(c("country").isNull(), "missing_country"),
        _reason(c("signup_date").isNull(), "bad_signup_date"),
        _reason(c("_has_last") & c("last_purchase_date").isNull(), "bad_last_purchase_date"),
        _reason(c("last_purchase_date") < c("signup_date"), "purchase_before_signup"),
        _reason(
            (c("signup_date") > run_date) | (c("last_purchase_date") > run_date),
            "date_after_run_date",
        ),
        _reason(c("total_purchases").isNull() | (c("total_purchases") < 0), "bad_total_purchases"),
        _reason(c("total_spent").isNull() | (c("total_spent") < 0), "bad_total_spent"),
        _reason(c("churned").isNull(), "bad_churned"),
    ]
    malformed_reasons = [F.lit("malformed_row")]
    encoding = [_reason(c("_bad_encoding"), "bad_encoding")]
    reasons = F.when(c("_malformed"), F.array(*malformed_reasons, *encoding)).otherwise(
        F.array(*field_reasons, *encoding)
    )
    return df.withColumn("reasons", F.array_compact(reasons)).drop(
        "_bad_encoding", "_malformed", "_has_last"
    )


def transform_dedupe(parsed: DataFrame, broadcast_limit: int = 2_000_000) -> DataFrame:
    """Among rows with no reason, keep one row per customer_id; mark the rest ``duplicate``.

    Adds ``_dup_kind``: null for kept/invalid rows, ``exact`` or ``conflicting`` for dropped ones.
    Only customer ids that occur more than once among valid rows are ranked (by a window over
    just those rows); every other row passes through without a shuffle. The repeated ids are
    found by a narrow aggregate and broadcast (up to ``broadcast_limit`` ids). ``parsed`` is
    read more than once: callers cache it. An exact duplicate has the same 64-bit hash of the
    ten original fields as the kept row.
    """
    valid = F.size("reasons") == 0
    repeated = (
        parsed.filter(valid)
        .groupBy("customer_id")
        .count()
        .filter(F.col("count") > 1)
        .select("customer_id", F.lit(True).alias("_repeated"))
    )
    if repeated.count() <= broadcast_limit:
        repeated = F.broadcast(repeated)
    marked = parsed.join(repeated, "customer_id", "left")
    contested = valid & F.col("_repeated").isNotNull()
    order = Window.partitionBy("customer_id").orderBy(
        F.col("last_purchase_date").desc_nulls_last(),
        F.col("signup_date").desc_nulls_last(),
        F.col("_filled").desc(),
        F.col("_row_id").asc(),
    )
    original = F.xxhash64(*[F.coalesce(F.col(src(h)), F.lit("\u0000")) for h in INPUT_COLUMNS])
    ranked = (
        marked.filter(contested)
        .withColumn("_hash", original)
        .withColumn("_rank", F.row_number().over(order))
        .withColumn("_kept_hash", F.first("_hash").over(order))
    )
    dropped = F.col("_rank") > 1
    columns = [c for c in parsed.columns if c != "reasons"]
    ranked = ranked.select(
        *columns,
        F.when(dropped, F.array(F.lit("duplicate"))).otherwise(F.col("reasons")).alias("reasons"),
        F.when(dropped & (F.col("_hash") == F.col("_kept_hash")), "exact")
        .when(dropped, "conflicting")
        .alias("_dup_kind"),
    )
    rest = marked.filter(~contested).select(
        *columns, "reasons", F.lit(None).cast("string").alias("_dup_kind")
    )
    return ranked.unionByName(rest)


def transform_clean_rows(deduped: DataFrame, median: int | None) -> DataFrame:
    """Clean output rows, with the explicit output schema."""
    imputed = F.col("_age_valid").isNull()
    clean = deduped.filter(F.size("reasons") == 0).select(
        F.col("customer_id"),
        F.col("name"),
        F.coalesce(F.col("_age_valid"), F.lit(median).cast("int")).alias("age"),
        imputed.alias("age_imputed"),
        "gender",
        "country",
        "signup_date",
        "last_purchase_date",
        "total_purchases",
        "total_spent",
        "churned",
    )
    return conform(clean, CLEAN_SCHEMA)


def transform_quarantine_rows(deduped: DataFrame) -> DataFrame:
    """Rejected rows with their original fields and reason codes."""
    rejected = deduped.filter(F.size("reasons") > 0)
    renamed = rejected.select(
        *[F.col(src(h)).alias(h) for h in INPUT_COLUMNS], "raw_record", "reasons", "source_file"
    )
    return conform(renamed, QUARANTINE_SCHEMA)


def manifest_counts(deduped: DataFrame) -> dict:
    """All counts the manifest needs and the age median, in one aggregation pass.

    ``age_median``: the global median of the valid ages of clean rows, rounded half up
    (None when there is none).
    """
    c = F.col
    clean = F.size("reasons") == 0
    aggs = [
        F.count(F.lit(1)).alias("input_rows"),
        F.sum(clean.cast("long")).alias("clean_rows"),
        F.sum((~clean).cast("long")).alias("quarantined_rows"),
        F.sum((clean & c("_age_valid").isNull()).cast("long")).alias("age_imputed"),
        F.sum((c("_dup_kind") == "exact").cast("long")).alias("dup_exact"),
        F.sum((c("_dup_kind") == "conflicting").cast("long")).alias("dup_conflicting"),
        F.percentile(F.when(clean, c("_age_valid")), 0.5).alias("median"),
    ] + [F.sum(F.array_contains("reasons", r).cast("long")).alias(f"r_{r}") for r in REASONS]
    row = deduped.agg(*aggs).first().asDict()
    median = row.pop("median")
    n = {k: int(v or 0) for k, v in row.items()}
    return {
        "input_rows": n["input_rows"],
        "clean_rows": n["clean_rows"],
        "quarantined_rows": n["quarantined_rows"],
        "quarantined_by_reason": {r: n[f"r_{r}"] for r in REASONS if n[f"r_{r}"]},
        "duplicates": {"exact": n["dup_exact"], "conflicting": n["dup_conflicting"]},
        "age_imputed": n["age_imputed"],
        "age_median": None if median is None else int(median + 0.5),  # rounded half up
    }
