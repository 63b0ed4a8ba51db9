"""Cleanup stops running work before it deletes (decoys run on), and one run per pipeline and
run date: a second run is refused before its input is uploaded."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from mlpipe import cleanup, lease, pipelines, runs
from mlpipe.aws import client, split_s3
from mlpipe.config import load_settings
from tests.integration.glue_helpers import TinyJob

pytestmark = [pytest.mark.server]
DAY = "2023-08-01"


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_cleanup_stops_our_running_job_first_and_decoys_finish(local_cloud):
    if local_cloud is None:
        pytest.skip("needs the embedded local cloud")
    ours = load_settings(env=f"it{uuid.uuid4().hex[:6]}")  # an env of its own
    mine = TinyJob(local_cloud, {"Project": ours.project, "Environment": ours.env}, "ours")
    decoy = TinyJob(local_cloud, {"Project": ours.project, "Environment": "x"}, "decoy")
    # ours sleeps long enough that the stop lands mid-run even on a loaded machine (a stop that
    # comes after the run published is too late, and the run is SUCCEEDED); it is killed early
    my_run = mine.start(run_date=DAY, sleep="90")
    decoy_run = decoy.start(run_date=DAY, sleep="10")
    for job, run in ((mine, my_run), (decoy, decoy_run)):
        job.wait(run, states={"RUNNING"}, timeout=60)

    plan = cleanup.plan(ours)
    assert [(r.kind, r.name) for r in plan] == [
        ("glue job run", f"{mine.name}/{my_run}"),
        ("glue job", mine.name),
    ]
    report = cleanup.apply(plan, stop_timeout=60)
    assert report.failed == []
    # the run had stopped before its job was deleted; it never publishes
    assert decoy.wait(decoy_run, timeout=120)["JobRunState"] == "SUCCEEDED"
    assert list(decoy.keys("out/")) == [f"out/run_date={DAY}/result.txt"]
    assert mine.keys("out/") == {}
    with pytest.raises(ClientError) as gone:
        mine.glue.get_job(JobName=mine.name)
    assert gone.value.response["Error"]["Code"] == "EntityNotFoundException"
    assert decoy.glue.get_job(JobName=decoy.name)["Job"]["Name"] == decoy.name
    assert cleanup.plan(ours) == []


def raw_keys(settings, day: str) -> list[str]:
    bucket, prefix = split_s3(f"{settings.paths['churn_raw']}run_date={day}/")
    listing = client(settings, "s3").list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(o["Key"] for o in listing.get("Contents", []))


@pytest.mark.slow
@pytest.mark.timeout(420)
def test_a_second_run_for_the_same_date_is_refused_and_touches_nothing(
    stack, sample_csv, tmp_path, run_date
):
    settings = stack.settings
    other = tmp_path / "other.csv"
    other.write_text(sample_csv.read_text().splitlines()[0] + "\n")
    first = pipelines.launch(settings, "churn", run_date, sample_csv)
    try:
        before = raw_keys(settings, run_date)
        with pytest.raises(lease.RunRefused) as refused:
            pipelines.launch(settings, "churn", run_date, other)
        assert first.execution in str(refused.value)
        assert raw_keys(settings, run_date) == before
        assert before == [
            split_s3(f"{settings.paths['churn_raw']}run_date={run_date}/")[1]
            + f"run_id={first.lease.run_id}/{sample_csv.name}"
        ]
        result = runs.follow(settings, first.execution_arn, on_event=lambda e: None, timeout=300)
    except BaseException:
        lease.release(settings, first.lease)
        raise
    assert result.status == "SUCCEEDED", result.describe.get("cause")
    sfn = client(settings, "stepfunctions")
    names = [
        e["name"]
        for e in sfn.list_executions(stateMachineArn=settings.state_machine_arn("churn"))[
            "executions"
        ]
    ]
    # the refused run never started: one execution of this run date
    assert [n for n in names if f"-{run_date}-" in n] == [first.execution]
    # the first run ended without releasing its lease (as if its CLI died): its finished
    # execution does not block the date, and the next run takes the lease over (the lease is
    # what `launch` takes first; tests/unit/test_run_lease.py covers the rest of launch)
    again = lease.acquire(settings, "churn", run_date)
    assert again.run_id != first.lease.run_id
    assert lease.release(settings, again) is True
