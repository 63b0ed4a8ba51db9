"""The local cloud's warm Spark driver: runs stay isolated from each other."""

import pytest

from mlpipe.local_cloud.process import WarmSpark

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
    """A driver prestarted as the local cloud does: on a thread that ends once it is up."""
    driver = WarmSpark(tmp_path_factory.mktemp("warm") / "driver.log")
    driver.prestart().join(timeout=180)
    yield driver
    driver.stop()


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


def test_busy_driver_returns_none_so_callers_fall_back(warm, tmp_path):
    script, py_files, workdir = make_run(tmp_path, "any", "v1", "print(1)\n")
    assert warm._busy.acquire()
    try:
        assert warm.run(script, [], py_files, workdir, timeout=10) is None
    finally:
        warm._busy.release()
