"""invoke tasks with MockContext: exact command lines, one-line failures."""

import pytest
from invoke import Exit, Result

from mlpipe import ROOT
from mlpipe.spark import (
    CDS_ENV,
    JAVA_OPTIONS_ENV,
    LOG4J,
    driver_java_options,
    spark_submit_bin,
)
from mlpipe.tasks import jobs
from tests.unit.task_context import ctx


def test_local_job_commands_exact(monkeypatch):
    monkeypatch.delenv(JAVA_OPTIONS_ENV, raising=False)  # as for a user: no extra JVM options
    monkeypatch.setenv(CDS_ENV, "0")  # the class-data archive: tests/unit/test_spark_cds.py
    sub = spark_submit_bin()
    base = f"{sub} --master 'local[2]' --conf spark.ui.enabled=false --conf spark.sql.shuffle.partitions=8 --conf spark.sql.adaptive.enabled=false --conf spark.driver.memory=2g --driver-java-options -Dlog4j2.configurationFile=file:{LOG4J} --py-files /b/z.zip"
    clean, feats = jobs.local_job_commands(
        "/b/z.zip", "/d/in.csv", "/o", "2023-08-01", date_formats="dd.MM.yyyy"
    )
    assert (
        clean
        == f"{base} {ROOT}/glue_jobs/clean_customers.py --input /d/in.csv --output /o/clean --quarantine /o/quarantine --run_date 2023-08-01 --date_formats dd.MM.yyyy"
    )
    assert (
        feats
        == f"{base} {ROOT}/glue_jobs/build_features.py --clean /o/clean --features /o/features --run_date 2023-08-01"
    )


def test_job_failure_is_one_line_exit(tmp_path):
    c = ctx(run=Result(exited=2, stderr="noise\nERROR: missing required column(s): Age in x.csv\n"))
    with pytest.raises(Exit) as err:
        jobs.local(c, input=str(ROOT / "data" / "customer_churn_data.csv"), out=str(tmp_path))
    assert (
        err.value.message
        == "error: clean_customers failed: missing required column(s): Age in x.csv"
    )
    assert err.value.code == 2


def test_missing_input_is_one_line_exit():
    with pytest.raises(Exit, match="error: input not found: /nope.csv"):
        jobs.local(ctx(run=Result()), input="/nope.csv")


def test_extra_jvm_options_reach_every_driver(monkeypatch):
    monkeypatch.setenv(JAVA_OPTIONS_ENV, "-XX:TieredStopAtLevel=1")
    monkeypatch.setenv(CDS_ENV, "0")
    assert (
        driver_java_options() == f"-Dlog4j2.configurationFile=file:{LOG4J} -XX:TieredStopAtLevel=1"
    )
    clean, _ = jobs.local_job_commands("/b/z.zip", "/d/in.csv", "/o", "2023-08-01")
    assert f"--driver-java-options '{driver_java_options()}'" in clean
