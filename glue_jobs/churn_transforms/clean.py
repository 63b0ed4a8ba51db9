"""Cleaning rules for the churn CSV (lab 1, job 1), as pure DataFrame transforms.

Semantics (also in the README):

* Every input row ends up in exactly one place: the clean output, or the
  quarantine with one or more reason codes. ``input_rows = clean_rows + quarantined_rows``.
* Strings are trimmed of every character <= U+0020 (spaces, tabs, CR, other controls);
  an empty (or all-blank) field is missing.
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
  fields are unreliable, so no other field reason is given); a field holding U+FFFD (what
  invalid UTF-8 decodes to) or a NUL character is ``bad_encoding`` (NULs are what a UTF-16 file
  read as UTF-8 shows, and never belong in clean output).
* Gender: male/m -> Male, female/f -> Female, empty -> Unknown, anything else -> Other.
* Age: an empty, non-numeric, non-integral or outside-0..120 age is imputed with the
  **global** median of the valid ages of the deduplicated clean rows, rounded half up
  (per-country medians are too thin: most countries hold a handful of customers). It is
  exact: computed on the driver from the per-age counts (at most 121 rows).
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


# Expressions built many times per run are written as SQL: one call into the JVM each, where
# composing Column objects through py4j took about a dozen (and as many again to free them).


# What a field is trimmed of: every character <= U+0020 (Java's String.trim set, the same the
# CSV reader uses for blank lines: tabs, CR, vertical tab, form feed and other controls), not
# just the space Spark's trim() strips. NUL is left out: a field holding one is bad_encoding.
TRIM_CHARS = "".join(chr(i) for i in range(1, 0x21))
_TRIM_SQL = "'" + "".join(f"\\u{ord(c):04x}" for c in TRIM_CHARS) + "'"


def _trimmed_sql(name: str) -> str:
    return f"nullif(btrim(`{name}`, {_TRIM_SQL}), '')"


def _trimmed(name: str) -> Column:
    """The field trimmed, with empty meaning missing (null)."""
    return F.expr(_trimmed_sql(name))


def _number(name: str) -> Column:
    """The trimmed field as a double, null if it is not a number. Spark's cast takes Java's
    float syntax, so a type suffix (``30d``, ``10f``) is refused first; no regex per row."""
    t = _trimmed_sql(name)
    return F.expr(
        f"CASE WHEN substring({t}, -1, 1) IN ('d', 'D', 'f', 'F') THEN NULL "
        f"ELSE CAST({t} AS DOUBLE) END"
    )


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
    return _case_country(F.regexp_replace(col, r"\s+", " "))


def _case_country(collapsed: Column) -> Column:
    """Codes of up to 3 letters upper-cased, longer names title-cased (inner spaces collapsed)."""
    return F.when(F.length(collapsed) <= 3, F.upper(collapsed)).otherwise(F.initcap(collapsed))


def _reason(condition: Column, code: str) -> Column:
    return F.when(condition, F.lit(code))


# --------------------------------------------------------------------------- transforms


def transform_parse(raw: DataFrame, params: CleanParams) -> DataFrame:
    """Typed, normalised columns plus ``_reasons`` (codes joined by ``,``; ``duplicate`` excluded)
    and ``_valid`` (no reason). ``raw`` is ``io.read_raw_csv``'s rows."""
    # Trim (and cast the numbers) once per field in a first projection, then type: the typed
    # expressions below use each of these several times, and Spark keeps a non-trivial
    # expression used more than once in its own projection instead of recomputing it.
    trimmed = raw.select(
        "*",
        *[_trimmed(src(h)).alias(f"_t_{canon}") for h, canon in INPUT_COLUMNS.items()],
        F.regexp_replace(_trimmed(src("Country")), r"\s+", " ").alias("_country_c"),
        _number(src("Age")).alias("_age_d"),
        _number(src("TotalSpent")).alias("_spent_d"),
    )
    t = {canon: F.col(f"_t_{canon}") for canon in INPUT_COLUMNS.values()}
    customer_id = F.when(t["customer_id"].rlike(r"^[0-9]+$"), t["customer_id"].cast("long"))
    signup = parse_date(t["signup_date"], params.date_formats)
    last = parse_date(t["last_purchase_date"], params.date_formats)
    purchases = F.when(t["total_purchases"].rlike(r"^[0-9]+$"), t["total_purchases"].cast("int"))
    spent_d = F.col("_spent_d")
    spent = F.when(spent_d == 0, F.lit(0.0)).when(  # -0 is 0
        ~F.isnan(spent_d) & (F.abs(spent_d) < float("inf")), spent_d
    )
    churn_key = F.lower(t["churned"])
    churned = F.when(churn_key.isin(*[k for k, v in CHURN_VALUES.items() if v]), True).when(
        churn_key.isin(*[k for k, v in CHURN_VALUES.items() if not v]), False
    )
    age_d = F.col("_age_d")
    age_valid = F.when(
        ~F.isnan(age_d) & (age_d >= 0) & (age_d <= MAX_AGE) & (age_d == F.floor(age_d)),
        age_d.cast("int"),
    )
    run_date = F.lit(params.run_date)

    df = trimmed.select(
        *[F.col(src(h)) for h in INPUT_COLUMNS],
        "raw_record",
        "source_file",
        "_row_id",
        customer_id.alias("customer_id"),
        t["name"].alias("name"),
        age_valid.alias("_age_valid"),
        normalise_gender(t["gender"]).alias("gender"),
        _case_country(F.col("_country_c")).alias("country"),
        signup.alias("signup_date"),
        last.alias("last_purchase_date"),
        purchases.alias("total_purchases"),
        spent.alias("total_spent"),
        churned.alias("churned"),
        F.col("_bad_encoding"),
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
    # Reason codes joined by "," (concat_ws skips the nulls of codes that do not apply): a
    # string stays in Spark's generated code (array_compact is a lambda) and caches cheaply.
    encoding = _reason(c("_bad_encoding"), "bad_encoding")
    joined = F.when(c("_malformed"), F.concat_ws(",", F.lit("malformed_row"), encoding)).otherwise(
        F.concat_ws(",", *field_reasons, encoding)
    )
    kept = [x for x in df.columns if x not in ("_bad_encoding", "_malformed", "_has_last")]
    return df.withColumn("_reasons", joined).select(
        *kept, "_reasons", (c("_reasons") == "").alias("_valid")
    )


def reasons_array(joined: Column) -> Column:
    """The ``,``-joined reason codes as an array (empty for a valid row)."""
    return F.when(joined == "", F.array().cast("array<string>")).otherwise(F.split(joined, ","))


def id_counts(parsed: DataFrame) -> DataFrame:
    """Per customer id of the valid rows: ``n`` rows and ``age`` (the valid age of the row when
    ``n`` is 1). One aggregate gives both the repeated ids and most of the age histogram."""
    return (
        parsed.filter("_valid")
        .groupBy("customer_id")
        .agg(F.count(F.lit(1)).alias("n"), F.max("_age_valid").alias("age"))
    )


def find_repeated_ids(parsed_or_counts: DataFrame) -> DataFrame:
    """Customer ids held by more than one valid row (one column ``customer_id``), from the
    parsed rows or from their ``id_counts``."""
    counts = parsed_or_counts if "n" in parsed_or_counts.columns else id_counts(parsed_or_counts)
    return counts.filter(F.col("n") > 1).select("customer_id")


def clean_age_histogram(counts: DataFrame, ranked: DataFrame) -> dict[int, int]:
    """``{age: rows}`` over the valid ages of the clean rows: ids held by one valid row (from
    ``id_counts``) plus the kept row of each repeated id (from ``transform_dedupe``'s ranked
    part). One small action: at most 121 rows come back to the driver."""
    singles = counts.filter((F.col("n") == 1) & F.col("age").isNotNull()).select("age")
    kept = ranked.filter(F.col("_valid") & F.col("_age_valid").isNotNull()).select(
        F.col("_age_valid").alias("age")
    )
    rows = singles.unionAll(kept).groupBy("age").count().collect()
    return {row["age"]: row["count"] for row in rows}


def _filled() -> Column:
    """How many of the original fields are filled (not blank)."""
    return F.expr(
        " + ".join(f"CAST({_trimmed_sql(src(h))} IS NOT NULL AS INT)" for h in INPUT_COLUMNS)
    )


def transform_dedupe(
    parsed: DataFrame, repeated: DataFrame | None = None, broadcast: bool = True
) -> tuple[DataFrame, DataFrame]:
    """Among valid rows, keep one row per customer_id; mark the rest ``duplicate``.

    Returns ``(rest, ranked)``: ``ranked`` holds the *contested* rows (valid rows whose id is
    repeated: a few percent), each with ``_reasons`` (``duplicate`` for dropped copies) and
    ``_dup_kind`` (``exact``/``conflicting`` for dropped copies, else null); ``rest`` is every
    other row, passed through without a shuffle. Their union is every input row once. Only
    ``ranked`` is shuffled (a window by customer_id); ``repeated`` (``find_repeated_ids``) is
    broadcast. An exact duplicate has the same 64-bit hash of the ten original fields as the
    kept row.
    """
    repeated = find_repeated_ids(parsed) if repeated is None else repeated
    flagged = repeated.withColumn("_repeated", F.lit(True))
    marked = parsed.join(F.broadcast(flagged) if broadcast else flagged, "customer_id", "left")
    contested = F.col("_valid") & F.col("_repeated").isNotNull()
    order = Window.partitionBy("customer_id").orderBy(
        F.col("last_purchase_date").desc_nulls_last(),
        F.col("signup_date").desc_nulls_last(),
        F.col("_filled").desc(),
        F.col("_row_id").asc(),
    )
    # a missing field hashes as a NUL character (chr(0))
    original = F.expr(
        "xxhash64(" + ", ".join(f"coalesce(`{src(h)}`, chr(0))" for h in INPUT_COLUMNS) + ")"
    )
    ranked = (
        marked.filter(contested)
        .withColumn("_filled", _filled())
        .withColumn("_hash", original)
        .withColumn("_rank", F.row_number().over(order))
        .withColumn("_kept_hash", F.first("_hash").over(order))
    )
    dropped = F.col("_rank") > 1
    columns = [c for c in parsed.columns if c not in ("_reasons", "_valid")]
    ranked = ranked.select(
        *columns,
        F.when(dropped, F.lit("duplicate")).otherwise(F.col("_reasons")).alias("_reasons"),
        (~dropped).alias("_valid"),
        F.when(dropped & (F.col("_hash") == F.col("_kept_hash")), "exact")
        .when(dropped, "conflicting")
        .alias("_dup_kind"),
    )
    rest = marked.filter(~contested).select(
        *columns, "_reasons", "_valid", F.lit(None).cast("string").alias("_dup_kind")
    )
    return rest, ranked


def deduped(parts: tuple[DataFrame, DataFrame]) -> DataFrame:
    """The union of ``transform_dedupe``'s two parts: every input row once."""
    rest, ranked = parts
    return rest.unionByName(ranked)


def age_histogram(deduped_rows: DataFrame) -> DataFrame:
    """``(age, n)`` of the valid ages of clean rows: at most ``MAX_AGE + 1`` rows."""
    return (
        deduped_rows.filter(F.col("_valid") & F.col("_age_valid").isNotNull())
        .groupBy(F.col("_age_valid").alias("age"))
        .count()
    )


def median_from_histogram(counts: dict[int, int]) -> int | None:
    """Exact median of the values counted in ``{value: n}``, rounded half up (None if empty)."""
    total = sum(counts.values())
    if total == 0:
        return None
    lo_rank, hi_rank = (total - 1) // 2, total // 2  # 0-based ranks of the middle value(s)
    lo = hi = None
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        if lo is None and seen > lo_rank:
            lo = value
        if seen > hi_rank:
            hi = value
            break
    return (lo + hi + 1) // 2  # (lo + hi) / 2 rounded half up; ages are non-negative


def quarantine_candidates(parsed: DataFrame, ranked: DataFrame) -> DataFrame:
    """The rows ``transform_quarantine_rows`` keeps, without the dedupe join over every row: a
    rejected row is either invalid as parsed (never contested) or a dropped copy (in ``ranked``)."""
    invalid = parsed.filter(~F.col("_valid")).withColumn("_dup_kind", F.lit(None).cast("string"))
    return invalid.unionByName(ranked.filter(~F.col("_valid")))


def transform_clean_rows(deduped_rows: DataFrame, median: int | None) -> DataFrame:
    """Clean output rows, with the explicit output schema."""
    imputed = F.col("_age_valid").isNull()
    clean = deduped_rows.filter("_valid").select(
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


def transform_quarantine_rows(deduped_rows: DataFrame, source_file: str | None = None) -> DataFrame:
    """Rejected rows with their original fields and reason codes (and ``_dup_kind``, which
    ``quarantine_output`` drops; the job counts it on the way out). ``source_file`` fills the
    column where the reader left it null (a single input file)."""
    rejected = deduped_rows.filter(~F.col("_valid"))
    renamed = rejected.select(
        *[F.col(src(h)).alias(h) for h in INPUT_COLUMNS],
        "raw_record",
        reasons_array(F.col("_reasons")).alias("reasons"),
        F.coalesce(F.col("source_file"), F.lit(source_file)).alias("source_file"),
        "_dup_kind",
    )
    return renamed


def quarantine_output(quarantine_rows: DataFrame) -> DataFrame:
    """``transform_quarantine_rows`` in the explicit quarantine schema (``_dup_kind`` dropped)."""
    return conform(quarantine_rows, QUARANTINE_SCHEMA)


def quarantine_metrics() -> list[Column]:
    """Aggregates observed on the quarantine write: rows, per reason, duplicate kinds."""
    c = F.col
    return [
        F.count(F.lit(1)).alias("quarantined_rows"),
        F.sum((c("_dup_kind") == "exact").cast("long")).alias("dup_exact"),
        F.sum((c("_dup_kind") == "conflicting").cast("long")).alias("dup_conflicting"),
    ] + [F.sum(F.array_contains("reasons", r).cast("long")).alias(f"r_{r}") for r in REASONS]


def clean_metrics() -> list[Column]:
    """Aggregates observed on the clean write."""
    return [
        F.count(F.lit(1)).alias("clean_rows"),
        F.sum(F.col("age_imputed").cast("long")).alias("age_imputed"),
    ]


def counts_from_metrics(clean: dict, quarantine: dict, median: int | None) -> dict:
    """The manifest's counts from the observed metrics of both writes."""
    n = {k: int(v or 0) for k, v in {**clean, **quarantine}.items()}
    return {
        "input_rows": n["clean_rows"] + n["quarantined_rows"],
        "clean_rows": n["clean_rows"],
        "quarantined_rows": n["quarantined_rows"],
        "quarantined_by_reason": {r: n[f"r_{r}"] for r in REASONS if n.get(f"r_{r}")},
        "duplicates": {"exact": n["dup_exact"], "conflicting": n["dup_conflicting"]},
        "age_imputed": n["age_imputed"],
        "age_median": median,
    }


def manifest_counts(deduped_rows: DataFrame) -> dict:
    """Every manifest count and the exact age median, by plain actions (tests, profiling).
    The job gets the same numbers from observations on its writes."""
    hist = {r["age"]: r["count"] for r in age_histogram(deduped_rows).collect()}
    median = median_from_histogram(hist)
    clean = transform_clean_rows(deduped_rows, median).agg(*clean_metrics()).first().asDict()
    quarantine = transform_quarantine_rows(deduped_rows).agg(*quarantine_metrics()).first()
    quarantine = quarantine.asDict()
    return counts_from_metrics(clean, quarantine, median)
