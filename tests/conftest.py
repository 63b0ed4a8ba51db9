"""Shared fixtures. Spark tests share one local JVM per session (a new one costs ~2.5 s)."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("PYSPARK_PYTHON", os.sys.executable)

# Per-test time limits (pytest-timeout). The default, 90 s, is `timeout` in pyproject.toml and
# covers fixture setup and teardown too, so a hung local cloud or deploy fails instead of
# hanging CI. Tests marked `slow` (> ~20 s: spark-submit subprocesses, local-cloud pipelines,
# schedules) get SLOW_TIMEOUT. A session fixture's setup is paid by the first test that uses it
# (+ SETUP_BUDGET), its teardown by the session's last test (+ TEARDOWN_BUDGET). An explicit
# @pytest.mark.timeout(N) wins.
# Measured with `pytest --durations` on 2 cores shared with three other workloads (load 3-9):
# slowest calls 71 s (rate rule fires on its own), 67 s (cleanup after every pipeline), 56 s
# (clean+features via spark-submit), 45 s (end to end lab sample), 44 s (bench --quick); other
# fast tests under 15 s; local cloud start 20 s, Spark session 9 s; Terraform stack apply
# 82-230 s, its destroy 65 s.
SLOW_TIMEOUT = 300
SETUP_BUDGET = {
    "session_stack": 600,
    "fresh_stack": 600,
    "local_cloud": 120,
    "cloud": 120,
    "spark": 60,
}
TEARDOWN_BUDGET = {
    "session_stack": 300,
    "fresh_stack": 300,
    "local_cloud": 60,
    "cloud": 30,
    "spark": 30,
}


@pytest.hookimpl(trylast=True)  # after conftests that reorder items
def pytest_collection_modifyitems(config, items):
    default = float(config.getini("timeout") or 0)
    limits = []
    # Under pytest-xdist each worker sets up its own session fixtures in whichever of its tests
    # comes first and tears them down after its last: every test using one gets both budgets.
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        limit = SLOW_TIMEOUT if item.get_closest_marker("slow") else default
        limit += sum(
            SETUP_BUDGET[name] + TEARDOWN_BUDGET[name] for name in SETUP_BUDGET.keys() & fixtures
        )
        limits.append(limit)
    for item, limit in zip(items, limits, strict=True):
        if limit != default and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(limit))


@pytest.fixture(scope="session")
def spark():
    from mlpipe.spark import local_session

    session = local_session("mlpipe-tests", {"spark.sql.shuffle.partitions": "4"})
    yield session
    session.stop()
