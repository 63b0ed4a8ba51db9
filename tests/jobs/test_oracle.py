"""Oracle tests for the headline numbers (issue 16.1): several customers per country, with every
feature and the exact median computed by hand; and the DuckDB reference on a generated dirty
file, every count and per-country feature equal (the differential check, small enough for CI)."""

import datetime as dt

import pytest

from benchmarks.bench import disagreements
from benchmarks.duckdb_reference import run as duckdb_run
from churn_transforms.clean import median_from_histogram
from churn_transforms.jobs import run_clean_and_features
from mlpipe.datagen import DEFAULT_RATES, generate_churn_csv
from tests.jobs.helpers import HEADER, clean, features, read_output, write_csv

RUN = "2023-08-01"
ROWS = b"""1,Ann,30,F,USA,2021-01-01,2023-01-01,10,100.00,No
2,Bob,40,M,usa,2021-01-01,2023-02-01,5,300.00,Yes
3,Cat,,F,USA,2021-01-01,,0,50.00,No
4,Dan,50,M,UK,2021-01-01,2023-03-01,4,80.00,Yes
5,Eve,20,F,uk,2021-01-01,2023-03-01,6,20.00,Yes
6,Fay,60,F,Japan,2021-01-01,2023-03-01,2,500.00,No
2,Bob,40,M,usa,2021-01-01,2022-01-01,5,999.00,Yes
7,Gus,33,M,USA,2021-01-01,2023-01-01,-1,10,No
"""
# By hand. Clean rows: 1..6 (Bob's older copy is a conflicting duplicate; Gus has -1 purchases).
# Valid ages of clean rows: 20 30 40 50 60 -> median 40, imputed for Cat.
EXPECTED_COUNTRY = {
    # country: (customers, avg_total_spent, churn_rate, avg_age, avg_purchases)
    "USA": (3, (100 + 300 + 50) / 3, 1 / 3, (30 + 40 + 40) / 3, (10 + 5 + 0) / 3),
    "UK": (2, (80 + 20) / 2, 1.0, (50 + 20) / 2, (4 + 6) / 2),
    "Japan": (1, 500.0, 0.0, 60.0, 2.0),
}


@pytest.fixture(scope="module")
def oracle(module_spark, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("oracle")
    manifest = clean(module_spark, tmp, write_csv(tmp, HEADER + ROWS), RUN)
    features(module_spark, tmp, RUN)
    return tmp, manifest


@pytest.mark.spark
@pytest.mark.timeout(120)
def test_counts_and_exact_median(oracle):
    _, m = oracle
    assert (m["input_rows"], m["clean_rows"], m["quarantined_rows"]) == (8, 6, 2)
    assert m["quarantined_by_reason"] == {"duplicate": 1, "bad_total_purchases": 1}
    assert m["duplicates"] == {"exact": 0, "conflicting": 1}
    assert (m["age_median"], m["age_imputed"]) == (40, 1)


@pytest.mark.spark
@pytest.mark.timeout(120)
def test_country_features_by_hand(spark, oracle):
    tmp, _ = oracle
    got = {
        r["country"]: (
            r["customers"],
            r["avg_total_spent"],
            r["churn_rate"],
            r["avg_age"],
            r["avg_purchases"],
        )
        for r in read_output(spark, tmp, "by_country", RUN)
    }
    assert set(got) == set(EXPECTED_COUNTRY)
    for country, expected in EXPECTED_COUNTRY.items():
        assert got[country] == pytest.approx(expected, rel=1e-12), country


@pytest.mark.spark
@pytest.mark.timeout(120)
def test_customer_features_by_hand(spark, oracle):
    tmp, _ = oracle
    rows = {r["customer_id"]: r for r in read_output(spark, tmp, "by_customer", RUN)}
    assert sorted(rows) == [1, 2, 3, 4, 5, 6]
    cat = rows[3]
    assert (cat["age"], cat["age_imputed"], cat["avg_order_value"]) == (40, True, 0.0)
    assert cat["tenure_days"] == (dt.date(2023, 8, 1) - dt.date(2021, 1, 1)).days == 942
    assert cat["recency_days"] is None and cat["last_purchase_missing"] is True
    assert cat["spent_vs_country_avg"] == pytest.approx(50 / 150)
    assert (cat["country_customers"], cat["country_churn_rate"]) == (3, pytest.approx(1 / 3))
    bob = rows[2]  # the kept copy: the later purchase
    assert bob["total_spent"] == 300.0 and bob["recency_days"] == 181 and bob["churned"] == 1
    assert bob["avg_order_value"] == 60.0 and bob["spent_vs_country_avg"] == pytest.approx(2.0)
    eve = rows[5]
    assert eve["country_avg_total_spent"] == 50.0 and eve["spent_vs_country_avg"] == 0.4


@pytest.mark.parametrize(
    "hist, median",
    [
        ({}, None),
        ({7: 1}, 7),
        ({20: 1, 30: 1, 40: 1, 50: 1, 60: 1}, 40),
        ({20: 1, 31: 1}, 26),  # 25.5 rounds half up
        ({10: 1, 11: 1}, 11),
        ({10: 2, 20: 2}, 15),
        ({10: 3, 90: 1}, 10),
        ({0: 1, 120: 1}, 60),
        ({5: 2, 6: 1, 99: 1}, 6),  # 5 5 6 99 -> 5.5 -> 6
    ],
)
def test_median_from_per_age_counts(hist, median):
    assert median_from_histogram(hist) == median


@pytest.mark.spark
@pytest.mark.timeout(180)
def test_spark_equals_duckdb_reference_on_dirty_data(spark, tmp_path):
    """Every count, the median and every per-country feature: Spark == DuckDB."""
    path = tmp_path / "dirty.csv"
    rates = {k: min(1.0, v * 4) for k, v in DEFAULT_RATES.items()}  # ~30% of rows dirty
    generate_churn_csv(path, 3000, seed=16, rates=rates, run_date=dt.date(2023, 8, 1))
    m, _ = run_clean_and_features(
        spark,
        {
            "input": str(path),
            "output": str(tmp_path / "out" / "clean"),
            "quarantine": str(tmp_path / "out" / "quarantine"),
            "run_date": RUN,
        },
        {
            "clean": str(tmp_path / "out" / "clean"),
            "features": str(tmp_path / "out" / "features"),
            "run_date": RUN,
        },
    )
    by_country = {
        r["country"]: {
            k: r[k]
            for k in ("customers", "avg_total_spent", "churn_rate", "avg_age", "avg_purchases")
        }
        for r in read_output(spark, tmp_path, "by_country", RUN)
    }
    spark_result = {**m, "by_country": by_country}
    duck = duckdb_run(str(path), dt.date(2023, 8, 1))
    assert disagreements(spark_result, duck) == []
    assert m["duplicates"]["exact"] > 0 and m["duplicates"]["conflicting"] > 0
    assert len(by_country) > 10 and m["quarantined_rows"] > 300  # the check has teeth


@pytest.mark.spark
@pytest.mark.timeout(120)
def test_age_bounds_and_dedupe_tie_break_by_hand(spark, tmp_path):
    """Ages 0 and 120 are valid, 121 / -1 / 30.5 are imputed (median of 0, 50, 120 = 50); among
    copies with equal dates the one with more non-empty fields is kept, even when it is later."""
    rows = b"""1,Ann,0,F,USA,2021-01-01,2023-01-01,1,10,No
2,Bob,120,M,USA,2021-01-01,2023-01-01,1,10,No
3,Cat,121,F,USA,2021-01-01,2023-01-01,1,10,No
4,Dan,-1,M,USA,2021-01-01,2023-01-01,1,10,No
5,Eve,30.5,F,USA,2021-01-01,2023-01-01,1,10,No
9,,50,M,USA,2021-01-01,2023-01-01,1,10,No
9,Ian,50,M,USA,2021-01-01,2023-01-01,1,10,No
"""
    m = clean(spark, tmp_path, write_csv(tmp_path, HEADER + rows), RUN)
    assert (m["age_median"], m["age_imputed"]) == (50, 3)
    assert m["duplicates"] == {"exact": 0, "conflicting": 1}
    got = {r["customer_id"]: r for r in read_output(spark, tmp_path, "clean", RUN)}
    assert {k: (r["age"], r["age_imputed"]) for k, r in got.items()} == {
        1: (0, False),
        2: (120, False),
        3: (50, True),
        4: (50, True),
        5: (50, True),
        9: (50, False),
    }
    assert got[9]["name"] == "Ian"
    (dup,) = read_output(spark, tmp_path, "quarantine", RUN)
    assert (dup["Name"], dup["reasons"]) == (None, ["duplicate"])
