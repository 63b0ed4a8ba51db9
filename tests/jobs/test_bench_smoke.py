"""`invoke bench --quick` as a smoke test: the table appears and Spark agrees with DuckDB.
It asserts no timing (performance lives in benchmarks/RESULTS.md)."""

import pytest
from invoke import Config, Context

from benchmarks import bench as b
from benchmarks.spark_run import jvm_cost
from mlpipe import ROOT
from mlpipe.tasks import bench

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def test_bench_quick_prints_table_and_agrees(capsys, monkeypatch, cds_ready):
    monkeypatch.setenv("COLUMNS", "300")  # rich folds narrow tables: keep each header on one line
    config = Config(project_location=str(ROOT))
    config.load_project()
    bench.bench(Context(config=config), quick=True)
    out = capsys.readouterr().out
    assert "clean + features: Spark (JVM start included) vs Spark floor and DuckDB" in out
    assert "spark/floor" in out and "floor_s" in out and "cpu_s (jit) floor; spark" in out
    assert "10000" in out and "yes" in out and "NO:" not in out


def test_jvm_cost_counts_the_drivers_cpu_and_its_jit_share(spark):
    spark.range(1000).selectExpr("sum(id)").collect()
    cost = jvm_cost(spark)
    assert 0 < cost["jit_s"] <= cost["jvm_cpu_s"]


def test_disagreements_are_reported():
    same = {
        "input_rows": 3,
        "clean_rows": 2,
        "quarantined_rows": 1,
        "age_median": 30,
        "by_country": {"USA": {"customers": 2, "avg_total_spent": 10.0}},
    }
    assert b.disagreements(same, same) == []
    other = {
        **same,
        "clean_rows": 1,
        "by_country": {"USA": {"customers": 2, "avg_total_spent": 10.5}},
    }
    assert b.disagreements(same, other) == [
        "clean_rows: spark 2 duckdb 1",
        "USA.avg_total_spent: spark 10.0 duckdb 10.5",
    ]
