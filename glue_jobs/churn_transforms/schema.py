"""Column names and explicit output schemas (never inferred)."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import types as T

# Lab-1 header name -> canonical snake_case name. Header matching is case-insensitive
# with surrounding whitespace (and a UTF-8 BOM) ignored.
INPUT_COLUMNS: dict[str, str] = {
    "CustomerID": "customer_id",
    "Name": "name",
    "Age": "age",
    "Gender": "gender",
    "Country": "country",
    "SignupDate": "signup_date",
    "LastPurchaseDate": "last_purchase_date",
    "TotalPurchases": "total_purchases",
    "TotalSpent": "total_spent",
    "Churned": "churned",
}


def src(header: str) -> str:
    """Internal name of a raw (untrimmed, as-in-file) input field. Spark resolves names
    case-insensitively, so raw ``Country`` must not share a name with clean ``country``."""
    return f"src_{INPUT_COLUMNS[header]}"


REASONS: tuple[str, ...] = (
    "bad_customer_id",
    "missing_country",
    "bad_signup_date",
    "bad_last_purchase_date",
    "purchase_before_signup",
    "date_after_run_date",
    "bad_total_purchases",
    "bad_total_spent",
    "bad_churned",
    "malformed_row",
    "bad_encoding",
    "duplicate",
)

CLEAN_SCHEMA = T.StructType(
    [
        T.StructField("customer_id", T.LongType(), False),
        T.StructField("name", T.StringType(), True),
        T.StructField("age", T.IntegerType(), True),
        T.StructField("age_imputed", T.BooleanType(), False),
        T.StructField("gender", T.StringType(), False),
        T.StructField("country", T.StringType(), False),
        T.StructField("signup_date", T.DateType(), False),
        T.StructField("last_purchase_date", T.DateType(), True),
        T.StructField("total_purchases", T.IntegerType(), False),
        T.StructField("total_spent", T.DoubleType(), False),
        T.StructField("churned", T.BooleanType(), False),
    ]
)

QUARANTINE_SCHEMA = T.StructType(
    [T.StructField(header, T.StringType(), True) for header in INPUT_COLUMNS]
    + [
        T.StructField("raw_record", T.StringType(), True),
        T.StructField("reasons", T.ArrayType(T.StringType(), True), False),
        T.StructField("source_file", T.StringType(), True),
    ]
)

COUNTRY_FEATURES_SCHEMA = T.StructType(
    [
        T.StructField("country", T.StringType(), False),
        T.StructField("customers", T.LongType(), False),
        T.StructField("avg_total_spent", T.DoubleType(), True),
        T.StructField("churn_rate", T.DoubleType(), True),
        T.StructField("avg_age", T.DoubleType(), True),
        T.StructField("avg_purchases", T.DoubleType(), True),
    ]
)

CUSTOMER_FEATURES_SCHEMA = T.StructType(
    [
        T.StructField("customer_id", T.LongType(), False),
        T.StructField("country", T.StringType(), False),
        T.StructField("gender", T.StringType(), False),
        T.StructField("age", T.IntegerType(), True),
        T.StructField("age_imputed", T.BooleanType(), False),
        T.StructField("tenure_days", T.IntegerType(), False),
        T.StructField("recency_days", T.IntegerType(), True),
        T.StructField("last_purchase_missing", T.BooleanType(), False),
        T.StructField("total_purchases", T.IntegerType(), False),
        T.StructField("total_spent", T.DoubleType(), False),
        T.StructField("avg_order_value", T.DoubleType(), False),
        T.StructField("country_customers", T.LongType(), False),
        T.StructField("country_avg_total_spent", T.DoubleType(), True),
        T.StructField("country_churn_rate", T.DoubleType(), True),
        T.StructField("spent_vs_country_avg", T.DoubleType(), True),
        T.StructField("churned", T.IntegerType(), False),
    ]
)


def raw_schema(n_fields: int) -> T.StructType:
    """All-string positional schema for a CSV with ``n_fields`` header fields."""
    return T.StructType(
        [T.StructField(f"_c{i}", T.StringType(), True) for i in range(n_fields)]
        + [T.StructField("_corrupt_record", T.StringType(), True)]
    )


def conform(df: DataFrame, schema: T.StructType) -> DataFrame:
    """Select the explicit schema's columns, in its order, cast to its types.

    Written as SQL (one call into the JVM for the whole select, where building a Column per
    field took about a dozen): the same casts as ``Column.cast``."""
    return df.selectExpr(
        *[f"CAST(`{f.name}` AS {f.dataType.simpleString()}) AS `{f.name}`" for f in schema]
    )
