"""The churn pipeline end to end on what Terraform made: Step Functions -> Glue runtime ->
Spark -> S3, read back through the published manifests; failures reach the Terraform-made
alerts inbox."""

import json
import os
import re
import subprocess
import sys

import pytest
from botocore.exceptions import ClientError

from mlpipe import pipelines, runs
from mlpipe.aws import client

pytestmark = [pytest.mark.server, pytest.mark.slow]
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


def run_churn(settings, csv_path, run_date):
    launched = pipelines.launch(settings, "churn", run_date, csv_path)
    result = runs.follow(settings, launched.execution_arn, on_event=lambda e: None, timeout=240)
    return result, launched.execution


def job_runs(settings, key, run_date):
    """This test's runs of a Glue job (the stack is shared: other tests use other dates)."""
    name = settings.glue_jobs[key]["name"]
    return [
        r
        for r in client(settings, "glue").get_job_runs(JobName=name)["JobRuns"]
        if r.get("Arguments", {}).get("--run_date") == run_date
    ]


def test_end_to_end_lab_sample(stack, sample_csv, run_date):
    settings = stack.settings
    result, _ = run_churn(settings, sample_csv, run_date)
    assert result.status == "SUCCEEDED", runs.failure_line("churn", result)
    assert runs.states_entered(result.events) == [
        "ResolveRunDate",
        "ResolveInput",  # the run's own input and run id (no DefaultInput)
        "Clean",
        "BuildFeatures",
        "Succeeded",
    ]
    by_country = runs.published_prefix(
        settings, settings.paths["churn_features"], run_date, "by_country"
    )
    rows = runs.read_parquet_rows(settings, by_country)
    assert {r["country"]: (r["customers"], r["avg_total_spent"]) for r in rows} == {
        c: (1, pytest.approx(v)) for c, v in LAB_BY_COUNTRY.items()
    }
    manifest = runs.read_json(
        settings, f"{settings.paths['churn_clean']}run_date={run_date}/_manifest.json"
    )
    assert (manifest["input_rows"], manifest["clean_rows"], manifest["quarantined_rows"]) == (
        11,
        10,
        1,
    )
    clean = runs.published_prefix(settings, settings.paths["churn_clean"], run_date, "clean")
    assert len(runs.read_parquet_rows(settings, clean)) == 10

    # the jobs log to the env's own groups (--custom-logGroup-prefix), which Terraform made
    # with a retention
    logs = client(settings, "logs")
    prefix = settings.name("glue_log_prefix")
    groups = logs.describe_log_groups(logGroupNamePrefix=prefix + "/")["logGroups"]
    assert {g["logGroupName"]: g.get("retentionInDays") for g in groups} == {
        f"{prefix}/output": 14,
        f"{prefix}/error": 14,
    }
    for key in ("clean", "features"):
        (run,) = job_runs(settings, key, run_date)
        assert run["JobRunState"] == "SUCCEEDED" and "CompletedOn" in run
        events = logs.get_log_events(logGroupName=f"{prefix}/output", logStreamName=run["Id"])[
            "events"
        ]
        assert events, f"no driver output for {key} run {run['Id']}"
        # the runtime's own last line: what it staged and published around the job
        phases = re.fullmatch(
            r"mlpipe local Glue runtime: staged (\d+) object\(s\) in [\d.]+ s; job [\d.]+ s; "
            r"published (\d+) and deleted (\d+) object\(s\) in [\d.]+ s",
            events[-1]["message"],
        )
        assert phases, events[-1]["message"]
        # script + py-files + input or clean parts; parts + manifest + _SUCCESS
        assert int(phases[1]) >= 3 and int(phases[2]) >= 3 and int(phases[3]) == 0


def test_missing_column_fails_clean_alerts_and_stops(stack, tmp_path, run_date):
    settings = stack.settings
    bad = tmp_path / "bad.csv"
    bad.write_text("CustomerID,Name,Gender\n1,a,M\n")
    result, name = run_churn(settings, bad, run_date)
    assert result.status == "FAILED"
    assert result.failed_state == "Clean"
    entered = runs.states_entered(result.events)
    assert "BuildFeatures" not in entered and entered[-2:] == ["NotifyFailure", "Failed"]
    (run,) = job_runs(settings, "clean", run_date)
    assert run["JobRunState"] == "FAILED"
    assert "missing required column(s): Age, Country" in run["ErrorMessage"]
    assert job_runs(settings, "features", run_date) == []
    # nothing published for that date
    date_dir = f"{settings.paths['churn_clean']}run_date={run_date}/"
    with pytest.raises(ClientError, match="NoSuchKey"):
        runs.read_json(settings, date_dir + "_manifest.json")
    # the alert went SNS -> the SQS inbox Terraform subscribed, exactly once
    (alert,) = runs.read_alerts(settings, name)
    assert "failed in state Clean" in alert and "missing required column(s)" in alert


def test_job_timeout_goes_to_catch(stack, tmp_path, sample_csv, run_date):
    """A job run over its Timeout ends TIMEOUT and the state machine's Catch alerts; the job
    definition is restored with UpdateJob, so the stack stays as Terraform left it."""
    settings = stack.settings
    glue, s3 = client(settings, "glue"), client(settings, "s3")
    name = settings.glue_jobs["clean"]["name"]
    original = glue.get_job(JobName=name)["Job"]
    sleepy = tmp_path / "sleepy.py"
    sleepy.write_text("import time\ntime.sleep(120)\n")
    s3.upload_file(str(sleepy), settings.bucket("artifacts"), "glue/sleepy-test.py")
    # the whole definition as read (UpdateJob replaces it), to put back exactly afterwards
    update = {
        k: v
        for k, v in original.items()
        if k not in ("Name", "CreatedOn", "LastModifiedOn", "AllocatedCapacity")
    }
    sleepy_update = {
        **update,
        "Command": {
            **original["Command"],
            "ScriptLocation": f"s3://{settings.bucket('artifacts')}/glue/sleepy-test.py",
        },
        "Timeout": 1,  # minute; the test server's minute is 3 s
    }
    glue.update_job(JobName=name, JobUpdate=sleepy_update)
    try:
        result, execution = run_churn(settings, sample_csv, run_date)
    finally:
        glue.update_job(JobName=name, JobUpdate=update)
    assert result.status == "FAILED" and result.failed_state == "Clean"
    (run,) = job_runs(settings, "clean", run_date)
    assert run["JobRunState"] == "TIMEOUT"
    assert any("TIMEOUT" in a for a in runs.read_alerts(settings, execution))
    assert glue.get_job(JobName=name)["Job"]["Command"] == original["Command"]


def test_aws_cli_sees_what_boto3_sees(stack):
    """The AWS CLI, over the local cloud's HTTPS with its CA, reads the same deployment."""
    settings = stack.settings
    base = [sys.executable, "-m", "awscli", "--endpoint-url", settings.endpoint]
    base += ["--region", settings.region, "--output", "json", "--ca-bundle", settings.ca_bundle]
    env = {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    }

    def aws(*args):
        proc = subprocess.run([*base, *args], capture_output=True, text=True, env=env, check=True)
        return json.loads(proc.stdout)

    machines = aws("stepfunctions", "list-state-machines")["stateMachines"]
    assert settings.name("churn_state_machine") in [m["name"] for m in machines]
    sfn = client(settings, "stepfunctions").list_state_machines()["stateMachines"]
    assert sorted(m["stateMachineArn"] for m in machines) == sorted(
        m["stateMachineArn"] for m in sfn
    )
    job = aws("glue", "get-job", "--job-name", settings.glue_jobs["clean"]["name"])["Job"]
    assert job["Command"]["ScriptLocation"] == settings.glue_jobs["clean"]["script"]
