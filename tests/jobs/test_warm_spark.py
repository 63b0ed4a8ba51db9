"""The local cloud's warm Spark driver: runs stay isolated from each other."""

import zipfile

import pytest

from mlpipe.local_cloud.process import WarmSpark
from mlpipe.local_cloud.spark_worker import WARM_UP_ENV

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def make_run(tmp_path, name: str, version: str, body: str):
    """A work dir with a job script and a py-files dir holding module ``jobmod`` at ``version``."""
    workdir = tmp_path / name
    (workdir / "lib").mkdir(parents=True)
    (workdir / "lib" / "jobmod.py").write_text(f"VERSION = {version!r}\n")
    script = workdir / "job.py"
    script.write_text("import sys\nimport jobmod\n" + body)
    return str(script), [str(workdir / "lib")], workdir


@pytest.fixture(scope="module")
def warm(tmp_path_factory, cds_ready):
    """A driver prestarted as the local cloud does: on a thread that ends once it is up, with
    warm-ups on as for a user (the suite turns them off for its other local clouds)."""
    driver = WarmSpark(tmp_path_factory.mktemp("warm") / "driver.log")
    with pytest.MonkeyPatch.context() as env:
        env.setenv(WARM_UP_ENV, "1")
        try:
            driver.prestart().join(timeout=180)
            yield driver
        finally:
            driver.stop()


def test_the_prestarted_driver_warmed_up_with_a_real_clean_and_features_run(warm):
    assert "warm_up_error" not in warm.ready_reply, warm.ready_reply
    assert warm.ready_reply.get("warm_up_s", 0) > 0


def test_a_run_shipping_churn_transforms_imports_its_own_copy(warm, tmp_path):
    """The driver imported the installed churn_transforms (session settings, warm-up); a run
    whose --py-files ship the package must get the shipped copy, submodules included."""
    workdir = tmp_path / "shipped"
    package = workdir / "lib" / "churn_transforms"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("SHIPPED = True\n")
    (package / "io.py").write_text("WHICH = 'shipped io'\n")
    script = workdir / "job.py"
    script.write_text(
        "import churn_transforms, churn_transforms.io as cio\n"
        "print(getattr(churn_transforms, 'SHIPPED', False), cio.WHICH)\n"
    )
    zipped = tmp_path / "ct.zip"
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.writestr("churn_transforms/__init__.py", "SHIPPED = 'zip'\n")
        zf.writestr("churn_transforms/io.py", "WHICH = 'zipped io'\n")
    as_dir = warm.run(str(script), [], [str(workdir / "lib")], workdir, timeout=60)
    assert (as_dir.code, as_dir.stdout.strip()) == (0, "True shipped io"), as_dir.stderr
    as_zip = warm.run(str(script), [], [str(zipped)], workdir, timeout=60)
    assert (as_zip.code, as_zip.stdout.strip()) == (0, "zip zipped io"), as_zip.stderr


def test_a_prestarted_driver_outlives_its_thread_and_serves_the_first_run(warm, tmp_path):
    started = warm.pid
    assert started is not None
    script, py_files, workdir = make_run(tmp_path, "first", "v0", "print(jobmod.VERSION)\n")
    first = warm.run(script, [], py_files, workdir, timeout=120)
    assert first.stdout.strip() == "v0"
    assert (warm.pid, warm.replaced) == (started, 0)  # the same driver: no second JVM start


def test_runs_are_isolated_and_see_their_own_code(warm, tmp_path):
    script, py_files, workdir = make_run(
        tmp_path,
        "a",
        "v1",
        "from pyspark.sql import SparkSession\nprint(jobmod.VERSION, SparkSession.builder.getOrCreate().range(5).count(), sys.argv[1:])\n",
    )
    first = warm.run(script, ["--x", "1"], py_files, workdir, timeout=120)
    assert (first.code, first.stdout.strip()) == (0, "v1 5 ['--x', '1']")
    script, py_files, workdir = make_run(tmp_path, "b", "v2", "print(jobmod.VERSION)\n")
    assert (
        warm.run(script, [], py_files, workdir, timeout=60).stdout.strip() == "v2"
    )  # not the cached v1


def test_a_failing_job_does_not_break_the_next(warm, tmp_path):
    script, py_files, workdir = make_run(tmp_path, "boom", "v1", "raise ValueError('boom')\n")
    failed = warm.run(script, [], py_files, workdir, timeout=60)
    assert failed.code == 1 and "ValueError: boom" in failed.stderr
    script, py_files, workdir = make_run(
        tmp_path, "exit2", "v1", "print('ERROR: bad input', file=sys.stderr)\nsys.exit(2)\n"
    )
    exited = warm.run(script, [], py_files, workdir, timeout=60)
    assert (exited.code, exited.stderr.strip()) == (2, "ERROR: bad input")
    script, py_files, workdir = make_run(tmp_path, "ok", "v3", "print(jobmod.VERSION)\n")
    assert warm.run(script, [], py_files, workdir, timeout=60).stdout.strip() == "v3"


def test_timeout_kills_the_driver_and_the_next_run_gets_a_new_one(warm, tmp_path):
    script, py_files, workdir = make_run(tmp_path, "slow", "v1", "import time\ntime.sleep(60)\n")
    before = warm._proc.pid if warm._proc else None
    assert warm.run(script, [], py_files, workdir, timeout=2).timed_out
    script, py_files, workdir = make_run(tmp_path, "after", "v4", "print(jobmod.VERSION)\n")
    after = warm.run(script, [], py_files, workdir, timeout=120)
    assert after.stdout.strip() == "v4" and warm._proc.pid != before
    # a driver started for a waiting run skips the warm-up: the run itself warms it up
    assert warm.ready_reply.get("ready") and "warm_up_s" not in warm.ready_reply


def test_busy_driver_returns_none_so_callers_fall_back(warm, tmp_path):
    script, py_files, workdir = make_run(tmp_path, "any", "v1", "print(1)\n")
    assert warm._busy.acquire()
    try:
        assert warm.run(script, [], py_files, workdir, timeout=10) is None
    finally:
        warm._busy.release()


def test_a_run_shipping_a_module_named_like_the_drivers_own_leaves_the_driver_whole(warm, tmp_path):
    """A py-files dir holding ``json.py`` and a ``pyspark`` package: the run gets the driver's
    modules (forgetting them would break the driver), and the next run still works."""
    workdir = tmp_path / "clash"
    lib = workdir / "lib"
    (lib / "pyspark").mkdir(parents=True)
    (lib / "pyspark" / "__init__.py").write_text("raise ImportError('shipped pyspark')\n")
    (lib / "json.py").write_text("raise ImportError('shipped json')\n")
    script = workdir / "job.py"
    script.write_text(
        "import json\nfrom pyspark.sql import SparkSession\n"
        "print(json.dumps(SparkSession.builder.getOrCreate().range(3).count()))\n"
    )
    first = warm.run(str(script), [], [str(lib)], workdir, timeout=60)
    assert (first.code, first.stdout.strip()) == (0, "3"), first.stderr
    script2, py_files, workdir2 = make_run(tmp_path, "after-clash", "v5", "print(jobmod.VERSION)\n")
    assert warm.run(script2, [], py_files, workdir2, timeout=60).stdout.strip() == "v5"
