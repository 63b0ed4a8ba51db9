"""ML-ready features from the clean customers (lab 1, job 2), as pure transforms.

* Per country: ``customers`` = COUNT(customer_id), ``avg_total_spent`` = AVG(total_spent),
  ``churn_rate``, ``avg_age``, ``avg_purchases``.
* Per customer: ``tenure_days`` and ``recency_days`` relative to ``--run_date`` (never the
  wall clock; ``recency_days`` is null and ``last_purchase_missing`` true when there was no
  purchase), ``avg_order_value`` (0 when there were no purchases), the country aggregates,
  ``spent_vs_country_avg`` (null when the country average is 0), and ``churned`` as 0/1.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from churn_transforms.schema import COUNTRY_FEATURES_SCHEMA, CUSTOMER_FEATURES_SCHEMA, conform


def transform_country_features(clean: DataFrame) -> DataFrame:
    agg = clean.groupBy("country").agg(
        F.count("customer_id").alias("customers"),
        F.avg("total_spent").alias("avg_total_spent"),
        F.avg(F.col("churned").cast("double")).alias("churn_rate"),
        F.avg("age").alias("avg_age"),
        F.avg("total_purchases").alias("avg_purchases"),
    )
    return conform(agg, COUNTRY_FEATURES_SCHEMA)


def transform_customer_features(
    clean: DataFrame, by_country: DataFrame, run_date: dt.date
) -> DataFrame:
    rd = F.lit(run_date)
    country = by_country.select(
        "country",
        F.col("customers").alias("country_customers"),
        F.col("avg_total_spent").alias("country_avg_total_spent"),
        F.col("churn_rate").alias("country_churn_rate"),
    )
    df = clean.join(F.broadcast(country), "country", "left").select(
        "customer_id",
        "country",
        "gender",
        "age",
        "age_imputed",
        F.datediff(rd, "signup_date").alias("tenure_days"),
        F.datediff(rd, "last_purchase_date").alias("recency_days"),
        F.col("last_purchase_date").isNull().alias("last_purchase_missing"),
        "total_purchases",
        "total_spent",
        F.when(F.col("total_purchases") > 0, F.col("total_spent") / F.col("total_purchases"))
        .otherwise(F.lit(0.0))
        .alias("avg_order_value"),
        "country_customers",
        "country_avg_total_spent",
        "country_churn_rate",
        F.when(
            F.col("country_avg_total_spent") > 0,
            F.col("total_spent") / F.col("country_avg_total_spent"),
        ).alias("spent_vs_country_avg"),
        F.col("churned").cast("int").alias("churned"),
    )
    return conform(df, CUSTOMER_FEATURES_SCHEMA)
