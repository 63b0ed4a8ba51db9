"""The local cloud's Glue runtime under faults and hostile arguments, asserted on S3 outputs
and Glue API responses: failed runs publish nothing, keys cannot leave the staging root, a
run stages only its run date, BatchStopJobRun kills a run, a dead warm JVM is replaced."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from tests.integration.glue_helpers import TinyJob

pytestmark = [pytest.mark.server]
DAY = "2023-08-01"


@pytest.fixture
def job(local_cloud):
    if local_cloud is None:
        pytest.skip("Glue runtime tests need the embedded local cloud")
    return TinyJob(local_cloud)


@pytest.mark.timeout(180)
def test_a_run_reads_its_input_and_gets_the_source_uri(job):
    job.put(f"raw/run_date={DAY}/run_id=a/in.csv")
    run_id = job.start(input=job.uri(f"raw/run_date={DAY}/"), run_date=DAY)
    assert job.wait(run_id)["JobRunState"] == "SUCCEEDED"
    assert job.keys("out/") == {
        f"out/run_date={DAY}/result.txt": (
            f"files=in.csv spark_rows=-1 source={job.uri(f'raw/run_date={DAY}/')}".encode()
        )
    }


@pytest.mark.timeout(180)
def test_a_failed_run_publishes_nothing_and_keeps_the_previous_output(job):
    job.put(f"out/run_date={DAY}/result.txt", b"previous good run")
    run_id = job.start(run_date=DAY, fail="yes")
    run = job.wait(run_id)
    assert run["JobRunState"] == "FAILED"
    assert job.keys("out/") == {f"out/run_date={DAY}/result.txt": b"previous good run"}


@pytest.mark.timeout(180)
def test_staging_reads_only_the_runs_date_however_long_the_history(job):
    for day in range(1, 29):
        job.put(f"hist/run_date=2023-07-{day:02d}/part-{day}.csv", b"y" * 1000)
    job.put(f"hist/run_date={DAY}/part-today.csv")
    run_id = job.start(input=job.uri("hist/"), run_date=DAY)
    assert job.wait(run_id)["JobRunState"] == "SUCCEEDED"
    result = job.keys("out/")[f"out/run_date={DAY}/result.txt"].decode()
    assert result.startswith("files=part-today.csv ")


@pytest.mark.timeout(180)
@pytest.mark.parametrize("run_date", ["../../../../../../tmp", "2023-02-30", "2023-08-01/../x"])
def test_an_invalid_run_date_fails_the_run_before_anything_is_written(job, run_date):
    run_id = job.start(input=job.uri("raw/"), run_date=run_date)
    assert job.wait(run_id)["JobRunState"] == "FAILED"
    assert job.keys() == {"code/job.py": job.keys("code/")["code/job.py"]}


@pytest.mark.timeout(180)
def test_a_traversal_key_fails_the_run_and_nothing_escapes(job, local_cloud):
    escaped = Path(local_cloud.state_dir) / "escaped.txt"
    # run dir = <state>/glue-runs/<run>/s3/<bucket>/raw/run_date=D: six levels up is <state>
    job.put(f"raw/run_date={DAY}/" + "../" * 6 + "escaped.txt", b"evil")
    run_id = job.start(input=job.uri(f"raw/run_date={DAY}/"), run_date=DAY)
    assert job.wait(run_id)["JobRunState"] == "FAILED"
    assert not escaped.exists()
    assert job.keys("out/") == {}


@pytest.mark.timeout(180)
def test_an_output_uri_that_climbs_out_of_its_bucket_fails_and_uploads_nothing(job):
    run_id = job.start(output=job.uri("../../../../etc/"), run_date=DAY)
    assert job.wait(run_id)["JobRunState"] == "FAILED"
    assert sorted(job.keys()) == ["code/job.py"]


@pytest.mark.timeout(180)
def test_batch_stop_kills_the_run_and_it_publishes_nothing(job):
    run_id = job.start(run_date=DAY, sleep="8")
    job.wait(run_id, states={"RUNNING"}, timeout=60)
    time.sleep(2)  # inside the script's sleep
    answer = job.glue.batch_stop_job_run(JobName=job.name, JobRunIds=[run_id])
    assert answer["SuccessfulSubmissions"] == [{"JobName": job.name, "JobRunId": run_id}]
    assert job.wait(run_id, timeout=30)["JobRunState"] == "STOPPED"
    time.sleep(10)  # past the moment the script would have written its output
    assert job.keys("out/") == {}
    again = job.glue.batch_stop_job_run(JobName=job.name, JobRunIds=[run_id])
    assert [e["JobRunId"] for e in again["Errors"]] == [run_id]


def warm_jvm_pids(state_dir: Path) -> list[int]:
    """Java processes whose parent is this server's warm driver (spark_worker --log <state>)."""
    workers, jvms = set(), []
    procs = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        procs[int(entry.name)] = (cmd, ppid)
        if "mlpipe.local_cloud.spark_worker" in cmd and str(state_dir) in cmd:
            workers.add(int(entry.name))
    for pid, (cmd, ppid) in procs.items():
        if ppid in workers and "java" in cmd:
            jvms.append(pid)
    return jvms


@pytest.mark.slow
@pytest.mark.spark
@pytest.mark.timeout(400)
def test_a_killed_warm_jvm_is_replaced_and_the_next_run_succeeds(job, local_cloud):
    first = job.start(run_date=DAY, spark="yes")
    assert job.wait(first, timeout=180)["JobRunState"] == "SUCCEEDED"
    jvms = warm_jvm_pids(Path(local_cloud.state_dir))
    assert len(jvms) == 1, jvms
    os.kill(jvms[0], signal.SIGKILL)  # as the OOM killer would
    time.sleep(1)
    second = job.start(run_date="2023-08-02", spark="yes")
    assert job.wait(second, timeout=240)["JobRunState"] == "SUCCEEDED"
    assert job.keys("out/run_date=2023-08-02/")["out/run_date=2023-08-02/result.txt"].startswith(
        b"files= spark_rows=7 "
    )
    assert warm_jvm_pids(Path(local_cloud.state_dir)) not in ([], jvms)
