"""Shared fixtures. Spark tests share one local JVM per session (a new one costs ~2.5 s)."""

from __future__ import annotations

import os
import sys

import pytest

os.environ.setdefault("PYSPARK_PYTHON", os.sys.executable)
# The suite starts a dozen short-lived Spark JVMs (sessions, spark-submit, the local clouds'
# warm drivers) on two cores: C1-only JIT and the serial GC cut each one's CPU by ~40% (a cold
# session + three tiny clean runs: `python -m benchmarks.jvm_options`). Subprocesses inherit it.
os.environ.setdefault("MLPIPE_SPARK_JAVA_OPTIONS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
# No warm-up run when a local cloud's warm driver starts (mlpipe.local_cloud.spark_worker): most
# of the suite's local clouds never run a Glue job, and the ones that do pay the same on their
# first run. tests/jobs/test_warm_spark.py turns it on for its driver.
os.environ.setdefault("MLPIPE_WARM_UP", "0")

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
    "local_cloud": 120,
    "cloud": 120,
    "_spark_session": 60,
    "cds_ready": 180,  # the archive's build under load (about 40 s alone)
}
TEARDOWN_BUDGET = {
    "session_stack": 300,
    "local_cloud": 60,
    "cloud": 30,
    "_spark_session": 30,
    "cds_ready": 0,
}


# CPU priority under pytest-xdist. The suite is CPU-bound on two cores, and its longest chain is
# the stack group (Terraform apply -> every pipeline on it -> destroy, one worker, mostly
# waiting on the provider and the local cloud). Every worker starts at nice WORKER_NICENESS; the
# stack worker (and the local cloud, Terraform and Spark processes it starts) goes back to 0 and
# the other local-cloud worker to CLOUD_NICENESS (tests/integration/conftest.py), so the chains
# that wait get the CPU when they need it and the rest fill the gaps. Lowering niceness needs
# CAP_SYS_NICE (root, as in CI); without it every worker stays at the same priority.
WORKER_NICENESS = 10
CLOUD_NICENESS = 4
STACK_NICENESS = 0


def _renice(niceness: int) -> None:
    """This thread (and the processes it starts from now on) at ``niceness``; silently kept
    as it is where the OS refuses."""
    try:
        os.setpriority(os.PRIO_PROCESS, 0, niceness)
    except OSError:
        pass


def raise_priority(niceness: int) -> None:
    """``_renice`` only if ``niceness`` is a higher priority than this thread's own."""
    if os.getpriority(os.PRIO_PROCESS, 0) > niceness:
        _renice(niceness)


def pytest_configure(config):
    if os.environ.get("PYTEST_XDIST_WORKER"):
        _renice(WORKER_NICENESS)
    else:
        # Bytecode caches (the gitignored __pycache__ dirs) even where PYTHONDONTWRITEBYTECODE
        # is set: four workers and dozens of subprocesses (local clouds, warm drivers, Spark's
        # Python workers, invoke, the AWS CLI) import the same project and test modules, and
        # compiling them again in each one cost about 1.5 CPU-s per process.
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
        sys.dont_write_bytecode = False
        # The Spark class-data archive (mlpipe.spark), when missing (a fresh clone, as in CI):
        # its builder starts now, at the controller's priority, while the workers start and
        # collect; the suite's Spark JVMs wait for it (``cds_ready``) instead of starting
        # without it, so all of them map it (about 4 CPU-s less each, for ~40 to build it).
        from mlpipe.spark import ensure_cds_archive

        ensure_cds_archive()


# Modules whose tests share a module-scoped fixture that runs real work (a Spark job, a moto
# server, a Terraform plan, a trained model): under pytest-xdist each such module runs on one
# worker, so the fixture runs once (spread over workers, it would run once per worker).
MODULE_GROUPED = ("tests/jobs/", "tests/asl/", "tests/unit/test_lab2_units.py")


# Under pytest-xdist, work is handed out in collection order: after the integration groups
# (tests/integration/conftest.py puts them first), the long units in this order (the benchmark
# smoke test, the longest, first; then the Spark job and ASL modules; then the unit modules
# that run Terraform, train or serve a model), so that the many short unit tests come last
# and fill the workers' gaps at the end instead of one long module running alone.
FIRST = (
    "tests/jobs/test_bench_smoke.py",
    "tests/jobs/",
    "tests/asl/",
    "tests/unit/test_terraform_plan.py",
    "tests/unit/test_terraform_module_tests.py",
    "tests/unit/test_lab2_units.py",
    "tests/unit/test_model_serving_compat.py",
)


def _hand_out_rank(nodeid: str) -> int:
    return next((i for i, prefix in enumerate(FIRST) if nodeid.startswith(prefix)), len(FIRST))


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's hook, which reads the groups
def pytest_collection_modifyitems(config, items):
    items.sort(key=lambda item: _hand_out_rank(getattr(item, "nodeid", "")))
    for item in items:
        module = getattr(item, "nodeid", "").split("::")[0]
        if module.startswith(MODULE_GROUPED) and not item.get_closest_marker("xdist_group"):
            item.add_marker(pytest.mark.xdist_group(module))
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


def _new_spark():
    from mlpipe.spark import local_session

    return local_session("mlpipe-tests", {"spark.sql.shuffle.partitions": "4"})


def _healthy(session) -> bool:
    """A cheap round trip to the JVM. A test stopped by pytest-timeout mid-call leaves py4j's
    socket half-read, and every later call on it fails (KeyError, Py4JError)."""
    try:
        return session.range(1).count() == 1
    except Exception:
        return False


def _discard_spark(session) -> None:
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    try:
        session.stop()
    except Exception:
        pass
    gateway = SparkContext._gateway
    try:
        if gateway is not None:
            gateway.shutdown()
            gateway.proc.kill()
    except Exception:
        pass
    SparkContext._gateway = SparkContext._jvm = SparkContext._active_spark_context = None
    SparkSession._instantiatedSession = SparkSession._activeSession = None


@pytest.fixture(scope="session")
def cds_ready():
    """Wait for the Spark class-data archive the controller started building (or build it):
    the JVMs started after this map it. None when it is disabled or cannot be built."""
    from mlpipe.spark import build_cds_archive

    return build_cds_archive()


@pytest.fixture(scope="session")
def _spark_session(cds_ready):
    holder = {"session": _new_spark()}
    yield holder
    _discard_spark(holder["session"])


def _ensure_spark(holder):
    if not _healthy(holder["session"]):
        _discard_spark(holder["session"])
        holder["session"] = _new_spark()
    return holder["session"]


@pytest.fixture
def spark(_spark_session):
    """One local Spark session per worker, shared by tests; checked before each test and
    replaced (new JVM) when an earlier test left it broken, so a timed-out test fails alone."""
    return _ensure_spark(_spark_session)


@pytest.fixture(scope="module")
def module_spark(_spark_session):
    """The same session, for module-scoped fixtures."""
    return _ensure_spark(_spark_session)
