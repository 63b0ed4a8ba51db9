"""Shared fixtures. Spark tests share one local JVM per session (a new one costs ~2.5 s)."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("PYSPARK_PYTHON", os.sys.executable)

# Per-test time limits (pytest-timeout). The default, 90 s, is `timeout` in pyproject.toml and
# covers fixture setup too, so a hung local cloud or deploy fails instead of hanging CI. Tests
# marked `slow` (> ~20 s: spark-submit subprocesses, local-cloud pipelines, schedules) get
# SLOW_TIMEOUT. A session fixture's setup is paid by the first test that uses it, so that test
# gets the fixture's SETUP_BUDGET on top. An explicit @pytest.mark.timeout(N) wins.
# Measured with `pytest --durations=0` on 2 cores shared with three other workloads (load 3-9):
# slowest calls 71 s (rate rule fires on its own), 67 s (cleanup after every pipeline), 56 s
# (clean+features via spark-submit), 45 s (end to end lab sample), 44 s (bench --quick); other
# fast tests under 15 s; local cloud start 20 s, Spark session 9 s; the first test on the
# Terraform-applied stack 249 s in all.
SLOW_TIMEOUT = 300
SETUP_BUDGET = {"stack": 600, "local_cloud": 120, "cloud": 120, "spark": 60}


@pytest.hookimpl(trylast=True)  # after conftests that reorder items
def pytest_collection_modifyitems(config, items):
    default = float(config.getini("timeout") or 0)
    paid: set[str] = set()
    for item in items:
        if item.get_closest_marker("timeout"):
            continue
        budget = SLOW_TIMEOUT if item.get_closest_marker("slow") else default
        for name in SETUP_BUDGET.keys() & set(getattr(item, "fixturenames", ())) - paid:
            paid.add(name)
            budget += SETUP_BUDGET[name]
        if budget != default:
            item.add_marker(pytest.mark.timeout(budget))


@pytest.fixture(scope="session")
def spark():
    from pyspark.sql import SparkSession

    from churn_transforms.io import get_spark

    SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false").config(
        "spark.sql.shuffle.partitions", "4"
    ).config("spark.driver.memory", "2g").getOrCreate().sparkContext.setLogLevel("ERROR")
    session = get_spark("mlpipe-tests")
    yield session
    session.stop()
