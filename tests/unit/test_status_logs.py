"""status.py and logs.py over hand-made API responses (no server)."""

import datetime as dt
import gzip
import json

import pytest

from mlpipe import logs, status
from mlpipe.asl import render
from mlpipe.config import load_settings

T0 = dt.datetime(2023, 8, 1, 12, 0, 0, tzinfo=dt.UTC)


class NotFound(Exception):
    pass


class Exceptions:
    ResourceNotFoundException = NotFound
    NoSuchKey = NotFound
    StateMachineDoesNotExist = NotFound
    ExecutionDoesNotExist = NotFound


class FakeLogs:
    exceptions = Exceptions

    def __init__(self, streams):
        self.streams, self.calls = streams, []

    def get_log_events(self, logGroupName, logStreamName):
        self.calls.append((logGroupName, logStreamName))
        if (logGroupName, logStreamName) not in self.streams:
            raise NotFound(logGroupName)
        return {"events": [{"message": m} for m in self.streams[logGroupName, logStreamName]]}


class FakeEmr:
    def __init__(self, log_uris):
        self.log_uris = log_uris

    def describe_cluster(self, ClusterId):
        return {"Cluster": {"Id": ClusterId, "LogUri": self.log_uris.get(ClusterId)}}


class FakeS3:
    exceptions = Exceptions

    def __init__(self, objects):
        self.objects = objects

    def get_object(self, Bucket, Key):
        if (Bucket, Key) not in self.objects:
            raise NotFound(Key)

        class Body:
            def read(_self):
                return gzip.compress(self.objects[Bucket, Key].encode())

        return {"Body": Body()}


def scheduled(params):
    return {
        "type": "TaskScheduled",
        "taskScheduledEventDetails": {"parameters": json.dumps(params)},
    }


def succeeded(kind, output):
    return {
        "type": "TaskSucceeded",
        "taskSucceededEventDetails": {"resourceType": kind, "output": json.dumps(output)},
    }


def failed(kind, cause):
    return {
        "type": "TaskFailed",
        "taskFailedEventDetails": {
            "resourceType": kind,
            "error": "States.TaskFailed",
            "cause": cause,
        },
    }


@pytest.mark.parametrize(
    "cause, state",
    [
        ("Clean failed: States.TaskFailed: missing required column(s): Age", "Clean"),
        ("BuildFeatures failed: a: b failed: c", "BuildFeatures"),
        ("States.Timeout", None),
        ("", None),
        (None, None),
    ],
)
def test_failing_state(cause, state):
    assert status.failing_state(cause) == state


def test_failing_state_reads_the_cause_our_fail_state_composes():
    failed_state = render("churn", load_settings(target="aws", env="dev"))["States"]["Failed"]
    assert failed_state["CausePath"].startswith("States.Format('{}" + status.FAILED_MARKER)


def test_execution_row():
    ex = {"name": "churn-1", "status": "FAILED", "startDate": T0}
    desc = {"stopDate": T0 + dt.timedelta(seconds=12.34), "cause": "Clean failed: X: y"}
    assert status.execution_row("churn", ex, desc) == {
        "pipeline": "churn",
        "execution": "churn-1",
        "status": "FAILED",
        "started": "2023-08-01 12:00:00",
        "seconds": 12.3,
        "failing state": "Clean",
    }
    running = status.execution_row("emr", {**ex, "status": "RUNNING"}, {})
    assert (running["seconds"], running["failing state"]) == ("", "")


class FakeSfn:
    exceptions = Exceptions

    def __init__(self, pages):
        self.pages, self.calls = pages, []

    def list_executions(self, **kwargs):
        self.calls.append(kwargs)
        return self.pages[kwargs.get("nextToken", 0)]


def test_find_execution_pages_until_the_name_and_defaults_to_latest():
    sfn = FakeSfn(
        {
            0: {"executions": [{"name": "c"}, {"name": "b"}], "nextToken": 1},
            1: {"executions": [{"name": "a"}]},
        }
    )
    assert status.find_execution(sfn, "arn:sm") == {"name": "c"}
    assert status.find_execution(sfn, "arn:sm", "a") == {"name": "a"}
    assert status.find_execution(sfn, "arn:sm", "zz") is None
    assert sfn.calls[-1] == {"stateMachineArn": "arn:sm", "nextToken": 1}


def test_execution_arn():
    settings = load_settings(target="localstack", env="dev")
    assert status.execution_arn(settings, "churn", "run-1") == (
        settings.state_machine_arn("churn").replace(":stateMachine:", ":execution:") + ":run-1"
    )


@pytest.mark.parametrize(
    "log_uri",
    ["s3://logs-bucket/emr/", "s3://logs-bucket/emr", "s3n://logs-bucket/emr/"],
)
def test_emr_step_log_prefix(log_uri):
    assert logs.emr_step_log_prefix(log_uri, "j-1", "s-2") == "s3://logs-bucket/emr/j-1/steps/s-2/"


def test_finished_tasks_pairs_each_result_with_its_parameters():
    events = [
        {"type": "TaskStateEntered"},
        scheduled({"JobName": "clean"}),
        failed("glue", '{"Id": "jr_1", "JobRunState": "FAILED"}'),
        scheduled({"JobName": "clean"}),
        failed("glue", "not json"),
        scheduled({"ClusterId": "j-1"}),
        succeeded("elasticmapreduce", {"Step": {"Id": "s-1"}}),
    ]
    assert logs.finished_tasks(events) == [
        logs.FinishedTask(
            "glue", {"JobName": "clean"}, {"Id": "jr_1", "JobRunState": "FAILED"}, False
        ),
        logs.FinishedTask("glue", {"JobName": "clean"}, {}, False),
        logs.FinishedTask("elasticmapreduce", {"ClusterId": "j-1"}, {"Step": {"Id": "s-1"}}, True),
    ]


def test_execution_logs_reads_each_engine_where_aws_writes_it():
    events = [
        scheduled({"JobName": "clean"}),
        succeeded("glue", {"Id": "jr_1", "JobName": "clean", "JobRunState": "SUCCEEDED"}),
        scheduled({"ClusterId": "j-9", "Step": {}}),
        failed(
            "elasticmapreduce", json.dumps({"Step": {"Id": "s-3", "Status": {"State": "FAILED"}}})
        ),
        scheduled({"TransformJobName": "t-1"}),
        failed(
            "sagemaker",
            json.dumps(
                {
                    "TransformJobName": "t-1",
                    "TransformJobStatus": "Failed",
                    "FailureReason": "bad row",
                }
            ),
        ),
        scheduled({}),
        succeeded("sns", {"MessageId": "m"}),
    ]
    settings = load_settings(target="aws")
    env_groups = logs.glue_log_groups(settings.name("glue_log_prefix"))
    assert env_groups["output"] == f"/aws-glue/jobs/{settings.prefix}/output"
    fake = {
        "logs": FakeLogs({(env_groups["output"], "jr_1"): ["started", "wrote 5 rows"]}),
        "emr": FakeEmr({"j-9": "s3n://logs/emr/"}),
        "s3": FakeS3({("logs", "emr/j-9/steps/s-3/stderr.gz"): "Traceback: boom"}),
    }
    out = logs.execution_logs(settings, events, clients=fake.__getitem__)
    assert out == [
        logs.TaskLog("glue clean run jr_1 SUCCEEDED", ["output: started", "output: wrote 5 rows"]),
        logs.TaskLog("emr step s-3 FAILED", ["Traceback: boom"]),
        logs.TaskLog("transform t-1 Failed bad row", []),
    ]
    # the env's groups had the run: AWS's shared default groups are not read
    assert fake["logs"].calls == [(env_groups["output"], "jr_1"), (env_groups["error"], "jr_1")]


def test_glue_log_falls_back_to_the_default_groups():
    # a run of a job deployed without --custom-logGroup-prefix logs to /aws-glue/jobs/*
    fake = FakeLogs({("/aws-glue/jobs/error", "jr_2"): ["Traceback"]})
    task = logs.FinishedTask(
        "glue", {}, {"Id": "jr_2", "JobName": "j", "JobRunState": "FAILED"}, False
    )
    log = logs.glue_log(fake, task, "/aws-glue/jobs/p-dev")
    assert log == logs.TaskLog("glue j run jr_2 FAILED", ["error: Traceback"])
    assert fake.calls[-2:] == [("/aws-glue/jobs/output", "jr_2"), ("/aws-glue/jobs/error", "jr_2")]


def test_emr_step_without_log_uri_says_so():
    task = logs.FinishedTask(
        "elasticmapreduce", {"ClusterId": "j-1"}, {"Step": {"Id": "s-1"}}, True
    )
    log = logs.emr_step_log(FakeEmr({}), FakeS3({}), task)
    assert log == logs.TaskLog("emr step s-1 None", ["cluster j-1 has no LogUri"])
