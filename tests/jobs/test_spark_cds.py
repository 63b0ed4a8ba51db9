"""The class-data archive is built from a real Spark run and Spark's own JVM maps it."""

import os
import subprocess

import pytest

from mlpipe.spark import JAVA_OPTIONS_ENV, build_cds_archive, spark_submit_cmd

pytestmark = [pytest.mark.spark]


def test_spark_submit_maps_the_archive(tmp_path, monkeypatch):
    archive = build_cds_archive()  # waits for a builder at work, or builds it
    assert archive is not None and archive.stat().st_size > 10_000_000
    script = tmp_path / "job.py"
    script.write_text(
        "from pyspark.sql import SparkSession\n"
        "print('rows', SparkSession.builder.getOrCreate().range(3).count())\n"
    )
    # -Xshare:on: a JVM that cannot map the archive (another classpath, flags) fails at start
    # instead of silently starting without it
    monkeypatch.setenv(
        JAVA_OPTIONS_ENV, f"{os.environ.get(JAVA_OPTIONS_ENV, '')} -Xshare:on".strip()
    )
    done = subprocess.run(
        spark_submit_cmd(str(script), []), capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "rows 3" in done.stdout
