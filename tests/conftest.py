"""Shared fixtures. Spark tests share one local JVM per session (a new one costs ~2.5 s)."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("PYSPARK_PYTHON", os.sys.executable)


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
