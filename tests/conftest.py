"""Shared fixtures. Spark tests share one local JVM per session (a new one costs ~2.5 s)."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("PYSPARK_PYTHON", os.sys.executable)

# Per-test time limits (pytest-timeout). The default, 90 s, is `timeout` in pyproject.toml and
# covers fixture setup too. Tests marked `slow` (> ~20 s: spark-submit subprocesses, local-cloud
# pipelines, schedules) get SLOW_TIMEOUT. Measured once with `pytest --durations=0` on 2 cores
# shared with three other workloads (load 3-9): slowest calls 71 s (rate rule fires on its own),
# 67 s (cleanup after every pipeline), 56 s (clean+features via spark-submit), 45 s (end to end
# lab sample), 44 s (bench --quick); fast tests stay under 15 s, session fixture setup under 21 s.
SLOW_TIMEOUT = 300


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("slow") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(SLOW_TIMEOUT))


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
