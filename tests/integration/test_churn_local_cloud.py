"""The churn pipeline end to end on the local cloud: Step Functions -> Glue runtime -> Spark -> S3."""

import json
import subprocess
import sys
import time

import pytest

from mlpipe import runs
from mlpipe.aws import client
from mlpipe.deploy.local import LocalDeployer, glue_job_request
from mlpipe.local_cloud.glue import LOG_GROUPS

pytestmark = [pytest.mark.server, pytest.mark.slow]
RUN = "2023-08-01"
LAB_BY_COUNTRY = {
    "USA": 1230.50,
    "Canada": 745.00,
    "China": 210.90,
    "UK": 880.75,
    "Brazil": 502.00,
    "UAE": 430.00,
    "Japan": 999.99,
    "Germany": 815.20,
    "Ghana": 330.00,
    "Italy": 640.80,
}


def run_churn(settings, csv_path):
    runs.upload_input(settings, csv_path, f"{settings.paths['churn_raw']}run_date={RUN}/")
    arn, name = runs.start(settings, "churn", {"run_date": RUN})
    result = runs.follow(settings, arn, on_event=lambda e: None, timeout=300)
    return result, name


def job_runs(settings, key):
    return client(settings, "glue").get_job_runs(JobName=settings.glue_jobs[key]["name"])["JobRuns"]


def test_end_to_end_lab_sample(deployed, sample_csv):
    settings, _ = deployed
    result, _ = run_churn(settings, sample_csv)
    assert result.status == "SUCCEEDED", result.describe.get("cause")
    assert runs.states_entered(result.events) == [
        "ResolveRunDate",
        "Clean",
        "BuildFeatures",
        "Succeeded",
    ]

    rows = runs.read_parquet_rows(
        settings, f"{settings.paths['churn_features']}by_country/run_date={RUN}/"
    )
    assert {r["country"]: (r["customers"], r["avg_total_spent"]) for r in rows} == {
        c: (1, pytest.approx(v)) for c, v in LAB_BY_COUNTRY.items()
    }
    manifest = runs.read_json(
        settings, f"{settings.paths['churn_clean']}run_date={RUN}/_manifest.json"
    )
    assert (manifest["input_rows"], manifest["clean_rows"], manifest["quarantined_rows"]) == (
        11,
        10,
        1,
    )
    assert manifest["input_rows"] == manifest["clean_rows"] + manifest["quarantined_rows"]

    logs = client(settings, "logs")
    for key in ("clean", "features"):
        (run,) = job_runs(settings, key)
        assert (
            run["JobRunState"] == "SUCCEEDED" and run["ExecutionTime"] >= 1 and "CompletedOn" in run
        )
        events = logs.get_log_events(logGroupName=LOG_GROUPS["output"], logStreamName=run["Id"])[
            "events"
        ]
        assert any("MANIFEST" in e["message"] for e in events)


def test_missing_column_fails_clean_alerts_and_stops(deployed, tmp_path):
    settings, _ = deployed
    bad = tmp_path / "bad.csv"
    bad.write_text("CustomerID,Name,Gender\n1,a,M\n")
    result, name = run_churn(settings, bad)
    assert result.status == "FAILED"
    assert result.failed_state == "Clean"
    entered = runs.states_entered(result.events)
    assert "BuildFeatures" not in entered and entered[-2:] == ["NotifyFailure", "Failed"]
    (run,) = job_runs(settings, "clean")
    expected = f"missing required column(s): Age, Country, SignupDate, LastPurchaseDate, TotalPurchases, TotalSpent, Churned in {settings.paths['churn_raw']}run_date={RUN}/"
    assert run["JobRunState"] == "FAILED" and run["ErrorMessage"] == expected
    assert job_runs(settings, "features") == []
    (alert,) = runs.read_alerts(settings, name)
    assert (
        alert.startswith("mlpipe churn (")
        and "failed in state Clean: error=States.TaskFailed" in alert
    )
    assert expected in alert.replace("\\", "")


def test_job_timeout_goes_to_catch(deployed, tmp_path):
    settings, _ = deployed
    glue, s3 = client(settings, "glue"), client(settings, "s3")
    sleepy = tmp_path / "sleepy.py"
    sleepy.write_text("import time\ntime.sleep(120)\n")
    s3.upload_file(str(sleepy), settings.bucket("artifacts"), "glue/sleepy.py")
    request = glue_job_request(settings, "clean")
    request["Command"]["ScriptLocation"] = f"s3://{settings.bucket('artifacts')}/glue/sleepy.py"
    request["Timeout"] = 1  # minute; the test server's minute is 3 s
    glue.delete_job(JobName=request["Name"])
    glue.create_job(**request)
    result, name = run_churn(settings, _sample(tmp_path))
    assert result.status == "FAILED" and result.failed_state == "Clean"
    (run,) = job_runs(settings, "clean")
    assert (
        run["JobRunState"] == "TIMEOUT"
        and run["ErrorMessage"] == "Job run timed out after 1 minute(s)"
    )
    assert any("TIMEOUT" in a for a in runs.read_alerts(settings, name))


def _sample(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text(
        "CustomerID,Name,Age,Gender,Country,SignupDate,LastPurchaseDate,TotalPurchases,TotalSpent,Churned\n1,A,30,M,USA,2021-01-01,,1,1,No\n"
    )
    return path


def test_second_deploy_changes_nothing(deployed, tmp_path):
    settings, first = deployed
    assert {c.action for c in first} == {"created"}
    again = LocalDeployer(settings, tmp_path / "build").deploy(pipelines=("churn",))
    assert {c.action for c in again} == {"unchanged"} and len(again) == len(first)


def test_aws_cli_sees_state_machine_and_job_runs(deployed, sample_csv, local_cloud):
    settings, _ = deployed
    run_churn(settings, sample_csv)
    base = [
        sys.executable,
        "-m",
        "awscli",
        "--endpoint-url",
        local_cloud.endpoint,
        "--region",
        settings.region,
        "--output",
        "json",
    ]
    env = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "PATH": "/usr/bin:/bin"}
    machines = json.loads(
        subprocess.run(
            [*base, "stepfunctions", "list-state-machines"],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        ).stdout
    )
    assert settings.name("churn_state_machine") in [m["name"] for m in machines["stateMachines"]]
    jr = json.loads(
        subprocess.run(
            [*base, "glue", "get-job-runs", "--job-name", settings.glue_jobs["clean"]["name"]],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        ).stdout
    )
    assert [r["JobRunState"] for r in jr["JobRuns"]] == ["SUCCEEDED"]


def test_changed_job_is_redeployed(deployed, tmp_path):
    settings, _ = deployed
    glue = client(settings, "glue")
    name = settings.glue_jobs["clean"]["name"]
    request = glue_job_request(settings, "clean")
    request["Timeout"] = 5
    glue.delete_job(JobName=name)
    glue.create_job(**request)
    again = LocalDeployer(settings, tmp_path / "build").deploy(pipelines=("churn",))
    assert [c for c in again if c.action != "unchanged"] == [
        type(again[0])("updated", "glue job", name)
    ]
    assert (
        glue.get_job(JobName=name)["Job"]["Timeout"]
        == settings.glue_jobs["clean"]["timeout_minutes"]
    )


BLOCKER = """import os, sys, time
if "--blocker" in sys.argv:  # test-only: hold the job's single run slot until released
    release = sys.argv[sys.argv.index("--release_file") + 1]
    deadline = time.time() + 120
    while not os.path.exists(release) and time.time() < deadline:
        time.sleep(0.1)
    sys.exit(0)
"""


def test_transient_failure_is_retried_and_succeeds(local_cloud, tmp_path, sample_csv):
    """A busy job (MaxConcurrentRuns 1) makes StartJobRun fail once with
    Glue.ConcurrentRunsExceededException; the Retry runs it again once the slot is free."""
    from tests.integration.conftest import unique_settings

    settings = unique_settings(
        retry_override={
            "interval": 3,
            "backoff": 1.0,
            "max_attempts": 3,
            "max_delay": 3,
            "jitter": "NONE",
        }
    )
    LocalDeployer(settings, tmp_path / "build").deploy(pipelines=("churn",))
    glue, s3 = client(settings, "glue"), client(settings, "s3")
    from mlpipe.packaging import GLUE_SCRIPTS

    wrapper = tmp_path / "clean_with_blocker.py"
    wrapper.write_text(BLOCKER + GLUE_SCRIPTS["clean"].read_text())
    s3.upload_file(str(wrapper), settings.bucket("artifacts"), "glue/clean_customers.py")
    release = tmp_path / "release"
    blocker = glue.start_job_run(
        JobName=settings.glue_jobs["clean"]["name"],
        Arguments={"--blocker": "1", "--release_file": str(release)},
    )["JobRunId"]
    runs.upload_input(settings, sample_csv, f"{settings.paths['churn_raw']}run_date={RUN}/")
    arn, _ = runs.start(settings, "churn", {"run_date": RUN})
    sfn = client(settings, "stepfunctions")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(
        e["type"] == "TaskFailed" for e in runs.history(sfn, arn)
    ):
        time.sleep(0.2)
    release.write_text("go")  # free the slot: the retry, 3 s after the failure, gets it
    result = runs.follow(settings, arn, on_event=lambda e: None, timeout=300)
    assert result.status == "SUCCEEDED", result.describe.get("cause")
    failures = [
        e["taskFailedEventDetails"]["error"] for e in result.events if e["type"] == "TaskFailed"
    ]
    assert failures == ["Glue.ConcurrentRunsExceededException"]
    assert runs.task_attempts(result.events)["Clean"] == 2
    clean_runs = job_runs(settings, "clean")
    assert len(clean_runs) == 2 and {r["JobRunState"] for r in clean_runs} == {"SUCCEEDED"}
    assert blocker in {r["Id"] for r in clean_runs}
