"""The clean + features rules in DuckDB SQL: a reference for benchmarks, never shipped as a job.

Same semantics as glue_jobs/churn_transforms (see its docstrings); `invoke bench` checks both
produce the same clean customers and per-country features. Lines whose field count differs from
the header's, or that hold invalid UTF-8, are rejected by DuckDB's reader (store_rejects) and
counted as quarantined, as Spark quarantines them as malformed_row / bad_encoding.
"""

from __future__ import annotations

import datetime as dt

from churn_transforms.clean import TRIM_CHARS

COLUMNS = [
    "CustomerID",
    "Name",
    "Age",
    "Gender",
    "Country",
    "SignupDate",
    "LastPurchaseDate",
    "TotalPurchases",
    "TotalSpent",
    "Churned",
]
ISO_RE = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)?"


# The characters the Spark job trims (TRIM_CHARS, a contiguous range) as an RE2 class: DuckDB's
# TRIM(x, chars) with a 32-character set is about ten times slower than this regex.
_CLASS = f"[\\x{ord(TRIM_CHARS[0]):02x}-\\x{ord(TRIM_CHARS[-1]):02x}]"
_EDGES = f"'^{_CLASS}+|{_CLASS}+$'"


def _trimmed(col: str) -> str:
    """The field trimmed as the Spark job trims it, empty = NULL."""
    return f"NULLIF(regexp_replace({col}, {_EDGES}, '', 'g'), '')"


def _date(col: str) -> str:
    t = _trimmed(col)
    return f"""COALESCE(
        CASE WHEN regexp_full_match({t}, '\\d{{4}}-\\d{{2}}-\\d{{2}}') THEN TRY_STRPTIME({t}, '%Y-%m-%d')::DATE END,
        CASE WHEN regexp_full_match({t}, '\\d{{4}}/\\d{{2}}/\\d{{2}}') THEN TRY_STRPTIME({t}, '%Y/%m/%d')::DATE END,
        CASE WHEN regexp_full_match({t}, '{ISO_RE}') AND TRY_CAST({t} AS TIMESTAMPTZ) IS NOT NULL THEN TRY_STRPTIME(substr({t}, 1, 10), '%Y-%m-%d')::DATE END)"""


def run(path: str, run_date: dt.date, threads: int = 2) -> dict:
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    cols = ", ".join(f"'{c}': 'VARCHAR'" for c in COLUMNS)
    con.execute(f"""
        CREATE TABLE raw AS SELECT row_number() OVER () AS row_id, * FROM read_csv('{path}', header = true, columns = {{{cols}}},
            auto_detect = false, quote = '"', escape = '"', store_rejects = true, null_padding = false, strict_mode = true)
    """)
    rejected = con.execute("SELECT count(DISTINCT (file_id, line)) FROM reject_errors").fetchone()[
        0
    ]
    t = {c: _trimmed(c) for c in COLUMNS}
    rd = f"DATE '{run_date.isoformat()}'"
    con.execute(f"""
        CREATE TABLE parsed AS SELECT row_id,
            CASE WHEN regexp_full_match({t["CustomerID"]}, '[0-9]+') THEN TRY_CAST({t["CustomerID"]} AS BIGINT) END AS customer_id,
            regexp_replace({t["Country"]}, '\\s+', ' ', 'g') AS country_raw,
            {_date("SignupDate")} AS signup_date,
            {_date("LastPurchaseDate")} AS last_purchase_date,
            {t["LastPurchaseDate"]} IS NOT NULL AS has_last,
            CASE WHEN regexp_full_match({t["TotalPurchases"]}, '[0-9]+') THEN TRY_CAST({t["TotalPurchases"]} AS INTEGER) END AS total_purchases,
            TRY_CAST({t["TotalSpent"]} AS DOUBLE) AS spent_d,
            lower({t["Churned"]}) AS churn_key,
            TRY_CAST({t["Age"]} AS DOUBLE) AS age_d,
            ({" + ".join(f"({t[c]} IS NOT NULL)::INT" for c in COLUMNS)}) AS filled
        FROM raw
    """)
    con.execute(f"""
        CREATE TABLE valid AS SELECT *,
            CASE WHEN length(country_raw) <= 3 THEN upper(country_raw)
                 ELSE array_to_string(list_transform(string_split(country_raw, ' '), lambda w: upper(w[1]) || lower(w[2:])), ' ') END AS country,
            CASE WHEN spent_d IS NOT NULL AND NOT isnan(spent_d) AND NOT isinf(spent_d) THEN spent_d END AS total_spent,
            CASE WHEN churn_key IN ('yes', 'true', '1') THEN true WHEN churn_key IN ('no', 'false', '0') THEN false END AS churned,
            CASE WHEN age_d BETWEEN 0 AND 120 AND NOT isnan(age_d) AND age_d = floor(age_d) THEN age_d::INTEGER END AS age_valid
        FROM parsed
        WHERE customer_id IS NOT NULL AND customer_id > 0 AND country_raw IS NOT NULL AND signup_date IS NOT NULL
          AND NOT (has_last AND last_purchase_date IS NULL)
          AND NOT coalesce(last_purchase_date < signup_date, false)
          AND NOT (signup_date > {rd} OR coalesce(last_purchase_date > {rd}, false))
          AND total_purchases IS NOT NULL AND total_purchases >= 0
          AND spent_d IS NOT NULL AND NOT isnan(spent_d) AND NOT isinf(spent_d) AND spent_d >= 0
          AND churn_key IN ('yes', 'true', '1', 'no', 'false', '0')
    """)
    con.execute("""
        CREATE TABLE clean AS SELECT * FROM (
            SELECT *, row_number() OVER (PARTITION BY customer_id ORDER BY last_purchase_date DESC NULLS LAST,
                signup_date DESC NULLS LAST, filled DESC, row_id ASC) AS rnk FROM valid) WHERE rnk = 1
    """)
    median = con.execute("SELECT quantile_cont(age_valid, 0.5) FROM clean").fetchone()[0]
    median_int = None if median is None else int(median + 0.5)
    by_country = con.execute(f"""
        SELECT country, count(customer_id), avg(total_spent), avg(churned::DOUBLE),
               avg(coalesce(age_valid, {median_int if median_int is not None else "NULL"})), avg(total_purchases)
        FROM clean GROUP BY country ORDER BY country
    """).fetchall()
    input_rows = con.execute("SELECT count(*) FROM raw").fetchone()[0] + rejected
    clean_rows = con.execute("SELECT count(*) FROM clean").fetchone()[0]
    return {
        "input_rows": input_rows,
        "clean_rows": clean_rows,
        "quarantined_rows": input_rows - clean_rows,
        "age_median": median_int,
        "by_country": {
            r[0]: {
                "customers": r[1],
                "avg_total_spent": r[2],
                "churn_rate": r[3],
                "avg_age": r[4],
                "avg_purchases": r[5],
            }
            for r in by_country
        },
    }
