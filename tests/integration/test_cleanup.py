"""Tag-scoped cleanup on the local cloud, with decoys that must survive byte for byte."""

import json

import pytest
from botocore.exceptions import ClientError

from mlpipe import cleanup
from mlpipe.aws import client
from mlpipe.config import load_settings

pytestmark = [pytest.mark.server, pytest.mark.slow]
WAIT = json.dumps({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 600, "End": True}}})


def unique_settings():
    """An env of this test's own (cleanup sweeps a whole env: never the session stack's)."""
    import uuid

    return load_settings(env=f"cl{uuid.uuid4().hex[:6]}")


TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "states.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


def seed_env(settings):
    """What a deployment of ``settings`` leaves for a cost sweep, tagged as Terraform tags it:
    buckets, both Glue jobs, the state machines, the alerts topic and inbox, the schedule rule,
    a role and the model. (Test data for the sweeper, not a deployment path.)"""
    tags = tags_of(settings)
    tl = [{"Key": k, "Value": v} for k, v in tags.items()]
    s3, glue, sfn = (client(settings, s) for s in ("s3", "glue", "stepfunctions"))
    for kind in ("data", "artifacts", "logs"):
        s3.create_bucket(Bucket=settings.bucket(kind))
        s3.put_bucket_tagging(Bucket=settings.bucket(kind), Tagging={"TagSet": tl})
    for job in settings.glue_jobs.values():
        glue.create_job(
            Name=job["name"],
            Role=settings.role_arn("clean_role"),
            Command={"Name": "glueetl", "ScriptLocation": job["script"]},
            Tags=tags,
        )
    client(settings, "iam").create_role(
        RoleName=settings.name("churn_sfn_role"), AssumeRolePolicyDocument=TRUST, Tags=tl
    )
    for pipeline in ("churn", "emr", "inference"):
        sfn.create_state_machine(
            name=settings.name(f"{pipeline}_state_machine"),
            definition=WAIT,
            roleArn=settings.role_arn("churn_sfn_role"),
            tags=[{"key": k, "value": v} for k, v in tags.items()],
        )
    client(settings, "sns").create_topic(Name=settings.name("alerts_topic"), Tags=tl)
    client(settings, "sqs").create_queue(QueueName=settings.name("alerts_queue"), tags=tags)
    client(settings, "events").put_rule(
        Name=settings.name("emr_schedule"), ScheduleExpression="rate(1 day)", Tags=tl
    )
    client(settings, "sagemaker").create_model(
        ModelName=settings.name("model"),
        ExecutionRoleArn=settings.role_arn("churn_sfn_role"),
        PrimaryContainer={"Image": "sklearn", "ModelDataUrl": settings.paths["model_artifact"]},
        Tags=tl,
    )


def tags_of(settings, project=None, env=None):
    return {"Project": project or settings.project, "Environment": env or settings.env}


def seed(settings, tags, label):
    """Runtime resources of every kind under ``tags``: returns what was made."""
    tl = [{"Key": k, "Value": v} for k, v in tags.items()]
    s3, glue, sfn, emr = (client(settings, s) for s in ("s3", "glue", "stepfunctions", "emr"))
    bucket = f"{settings.prefix}-{label}-bucket"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tl})
    for i in range(3):
        s3.put_object(Bucket=bucket, Key=f"curated/x/{i}.bin", Body=f"{label}-{i}".encode())
    glue.create_job(
        Name=f"{settings.prefix}-{label}-job",
        Role="r",
        Command={"Name": "glueetl", "ScriptLocation": "s3://b/s.py"},
        Tags=tags,
    )
    sm = sfn.create_state_machine(
        name=f"{settings.prefix}-{label}-wait",
        definition=WAIT,
        roleArn=settings.role_arn("churn_sfn_role"),
        tags=[{"key": k, "value": v} for k, v in tags.items()],
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=sm, name=f"{label}-run")["executionArn"]
    cluster = emr.run_job_flow(
        Name=f"{settings.prefix}-{label}-cluster",
        ReleaseLabel="emr-7.5.0",
        Instances={
            "InstanceGroups": [
                {"InstanceRole": "MASTER", "InstanceType": "m5.xlarge", "InstanceCount": 1}
            ],
            "KeepJobFlowAliveWhenNoSteps": True,
        },
        JobFlowRole="r",
        ServiceRole="r",
        Tags=tl,
    )["JobFlowId"]
    return {
        "bucket": bucket,
        "job": f"{settings.prefix}-{label}-job",
        "sm": sm,
        "execution": execution,
        "cluster": cluster,
    }


@pytest.fixture
def world(local_cloud, tmp_path, request):
    """An env's resources, decoys of every kind, and (unless parametrized False) more than a
    page of objects, jobs and running executions."""
    bulk = getattr(request, "param", True)
    ours = unique_settings()
    seed_env(ours)
    mine = seed(ours, tags_of(ours), "mine")
    other_project = seed(ours, tags_of(ours, project="someone-else"), "otherproj")
    other_env = seed(ours, tags_of(ours, env="prod"), "otherenv")
    untagged = seed(ours, {"Note": "untagged"}, "untagged")
    # more than a page of each: objects (>100), jobs (>50), running executions (>25)
    s3, glue, sfn = client(ours, "s3"), client(ours, "glue"), client(ours, "stepfunctions")
    s3.put_object(Bucket=ours.bucket("data"), Key="raw/keep/me.csv", Body=b"raw data stays")
    if not bulk:
        return ours, mine, [other_project, other_env, untagged]
    for i in range(120):
        s3.put_object(Bucket=ours.bucket("data"), Key=f"curated/bulk/{i:03d}.txt", Body=b"x")
    for i in range(52):
        glue.create_job(
            Name=f"{ours.prefix}-bulk-{i:02d}",
            Role="r",
            Command={"Name": "glueetl", "ScriptLocation": "s3://b/s.py"},
            Tags=tags_of(ours),
        )
    for i in range(26):
        sfn.start_execution(stateMachineArn=mine["sm"], name=f"bulk-{i:02d}")
    return ours, mine, [other_project, other_env, untagged]


def snapshot(settings, decoy):
    s3 = client(settings, "s3")
    objects = {
        o["Key"]: s3.get_object(Bucket=decoy["bucket"], Key=o["Key"])["Body"].read()
        for o in s3.list_objects_v2(Bucket=decoy["bucket"])["Contents"]
    }
    return {
        "objects": objects,
        "job": client(settings, "glue").get_job(JobName=decoy["job"])["Job"]["Name"],
        "execution": client(settings, "stepfunctions").describe_execution(
            executionArn=decoy["execution"]
        )["status"],
        "cluster": client(settings, "emr").describe_cluster(ClusterId=decoy["cluster"])["Cluster"][
            "Status"
        ]["State"],
    }


def test_plan_apply_replan_and_decoys_survive(world):
    ours, mine, decoys = world
    before = [snapshot(ours, d) for d in decoys]
    plan = cleanup.plan(ours)
    names = {(r.kind, r.name) for r in plan}
    assert ("sfn execution", "mine-run") in names and sum(
        1 for k, n in names if k == "sfn execution"
    ) == 27
    assert (
        sum(1 for k, _ in names if k == "glue job") == 52 + 1 + 2
    )  # bulk + seeded + the churn jobs
    assert any(k == "emr cluster" and mine["cluster"] in n for k, n in names)
    assert ("s3 objects", f"s3://{ours.bucket('data')}/curated/") in names
    assert not any(label in n for _, n in names for label in ("otherproj", "otherenv", "untagged"))
    cluster = next(r for r in plan if r.kind == "emr cluster")
    assert cluster.state == "WAITING" and cluster.cost == "$0.24/h"

    report = cleanup.apply(plan)
    assert report.failed == [] and len(report.deleted) == len(plan)
    assert cleanup.plan(ours) == []  # nothing of this env is left
    assert cleanup.apply(cleanup.plan(ours)).deleted == []  # applying again is a no-op
    assert (
        client(ours, "emr").describe_cluster(ClusterId=mine["cluster"])["Cluster"]["Status"][
            "State"
        ]
        == "TERMINATED"
    )
    assert (
        client(ours, "s3")
        .get_object(Bucket=ours.bucket("data"), Key="raw/keep/me.csv")["Body"]
        .read()
        == b"raw data stays"
    )
    assert [snapshot(ours, d) for d in decoys] == before
    assert all(b["execution"] == "RUNNING" and b["cluster"] == "WAITING" for b in before)


@pytest.mark.parametrize("world", [False], indirect=True)
def test_failures_mid_apply_are_reported_and_the_rest_goes(world):
    ours, mine, _ = world
    plan = cleanup.plan(ours)
    client(ours, "glue").delete_job(JobName=mine["job"])  # deleted underneath: counts as gone

    def denied():
        raise ClientError(
            {"Error": {"Code": "AccessDenied", "Message": "not allowed"}}, "DeleteThing"
        )

    blocked = cleanup.Resource("iam role", "blocked-role", delete=denied)
    report = cleanup.apply([*plan, blocked])
    assert [(r.name, msg) for r, msg in report.failed] == [("blocked-role", "not allowed")]
    assert len(report.deleted) == len(plan)
    assert cleanup.plan(ours) == []


@pytest.mark.parametrize("world", [False], indirect=True)
def test_include_data_removes_raw_and_buckets(world):
    ours, _, decoys = world
    cleanup.apply(cleanup.plan(ours))
    full = cleanup.plan(ours, include_data=True)
    assert {r.kind for r in full} == {"s3 objects", "s3 bucket"}
    assert cleanup.apply(full).failed == []
    assert cleanup.plan(ours, include_data=True) == []
    # every decoy bucket is still there with its objects, byte for byte
    assert [snapshot(ours, d)["objects"] for d in decoys] == [
        {f"curated/x/{i}.bin": f"{label}-{i}".encode() for i in range(3)}
        for label in ("otherproj", "otherenv", "untagged")
    ]


def test_cleanup_task_is_a_dry_run_unless_apply(local_cloud, tmp_path, capsys, monkeypatch):
    from invoke import Config, Context

    from mlpipe import ROOT
    from mlpipe.tasks import ops

    ours = unique_settings()
    seed_env(ours)
    config = Config(project_location=str(ROOT))
    config.load_project()
    c = Context(config=config)
    before = cleanup.plan(ours)
    monkeypatch.setattr(ops, "settings_for", lambda *a, **k: ours)  # this test's unique names
    ops.cleanup(c, env=ours.env)
    out = capsys.readouterr().out
    assert (
        f"dry run: nothing changed. Re-run with --apply to cleanup these {len(before)} resources."
        in out
    )
    assert [(r.kind, r.name) for r in cleanup.plan(ours)] == [(r.kind, r.name) for r in before]
    ops.cleanup(c, env=ours.env, apply=True)
    assert "re-plan finds 0 remaining" in capsys.readouterr().out
    assert cleanup.plan(ours) == []
