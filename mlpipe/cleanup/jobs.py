"""Finders for the compute that bills while it runs: Glue (jobs, runs, crawlers, databases),
EMR clusters and SageMaker (transform jobs, models). Running work comes with a ``settled``
check so that ``apply`` can wait until it has really stopped."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from mlpipe.cleanup.model import Resource, Scope, pages
from mlpipe.logs import GLUE_LOG_GROUPS

ACTIVE_CLUSTER_STATES = ["STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING", "TERMINATING"]
GLUE_ACTIVE = ("STARTING", "RUNNING", "WAITING", "STOPPING")
# Rough on-demand prices (us-east-1), for the plan's cost column only.
EC2_HOURLY = {"m5.xlarge": 0.192, "m5.2xlarge": 0.384, "m5.large": 0.096}
EMR_HOURLY = {"m5.xlarge": 0.048, "m5.2xlarge": 0.096, "m5.large": 0.024}
TRANSFORM_HOURLY = {"ml.m5.xlarge": 0.23, "ml.m5.large": 0.115}
GLUE_DPU_HOURLY = 0.44


def _glue_tags(glue: Any, scope: Scope, kind: str, name: str) -> dict[str, str]:
    arn = scope.settings.arn("glue", f"{kind}/{name}")
    return dict(glue.get_tags(ResourceArn=arn).get("Tags", {}))


def _glue_run(glue: Any, job: str, run: dict[str, Any]) -> Resource:
    stop_ids = {"JobName": job, "JobRunIds": [run["Id"]]}

    def stop() -> None:
        errors = glue.batch_stop_job_run(**stop_ids).get("Errors", [])
        # a run that ended meanwhile is what we wanted; anything else is a failure
        real = [e for e in errors if "already" not in e["ErrorDetail"].get("ErrorMessage", "")]
        if real:
            raise RuntimeError(real[0]["ErrorDetail"].get("ErrorMessage", "could not stop"))

    def settled() -> bool:
        state = glue.get_job_run(JobName=job, RunId=run["Id"])["JobRun"]["JobRunState"]
        return state not in GLUE_ACTIVE

    dpu = (run.get("NumberOfWorkers") or 2) * GLUE_DPU_HOURLY
    return Resource(
        "glue job run", f"{job}/{run['Id']}", run["JobRunState"], f"${dpu:.2f}/h", stop, settled
    )


def _stream_exists(logs: Any, group: str, stream: str) -> bool:
    try:
        found = logs.describe_log_streams(logGroupName=group, logStreamNamePrefix=stream)
    except ClientError:
        return False
    return any(s["logStreamName"] == stream for s in found["logStreams"])


def find_glue(scope: Scope) -> Iterator[Resource]:
    glue, logs = scope.client("glue"), scope.client("logs")
    for job in pages(glue.get_jobs, "Jobs"):
        name = job["Name"]
        if not scope.ours(_glue_tags(glue, scope, "job", name)):
            continue
        run_ids = []
        for run in pages(glue.get_job_runs, "JobRuns", JobName=name):
            run_ids.append(run["Id"])
            if run["JobRunState"] in GLUE_ACTIVE:
                yield _glue_run(glue, name, run)
        # AWS's shared default groups (a job without --custom-logGroup-prefix): only our runs'
        # streams go. The env's own groups are tagged and go whole (messaging.find_logs).
        for group in GLUE_LOG_GROUPS.values():
            for stream in run_ids:
                if _stream_exists(logs, group, stream):
                    yield Resource(
                        "log stream",
                        f"{group}/{stream}",
                        delete=partial(
                            logs.delete_log_stream, logGroupName=group, logStreamName=stream
                        ),
                    )
        yield Resource("glue job", name, delete=partial(glue.delete_job, JobName=name))
    for crawler in pages(glue.get_crawlers, "Crawlers"):
        if scope.ours(_glue_tags(glue, scope, "crawler", crawler["Name"])):
            yield Resource(
                "glue crawler",
                crawler["Name"],
                crawler.get("State", ""),
                delete=partial(glue.delete_crawler, Name=crawler["Name"]),
            )
    for db in pages(glue.get_databases, "DatabaseList"):
        if scope.ours(_glue_tags(glue, scope, "database", db["Name"])):
            yield Resource(
                "glue database",
                db["Name"],
                delete=partial(glue.delete_database, Name=db["Name"]),
            )


def _cluster_ended(emr: Any, cluster_id: str) -> bool:
    state = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]["Status"]["State"]
    return str(state).startswith("TERMINATED")


def _transform_ended(sm: Any, name: str) -> bool:
    status = sm.describe_transform_job(TransformJobName=name)["TransformJobStatus"]
    return status in ("Stopped", "Completed", "Failed")


def find_emr(scope: Scope) -> Iterator[Resource]:
    emr = scope.client("emr")
    for cluster in pages(
        emr.list_clusters, "Clusters", "Marker", "Marker", ClusterStates=ACTIVE_CLUSTER_STATES
    ):
        cid = cluster["Id"]
        if not scope.ours(emr.describe_cluster(ClusterId=cid)["Cluster"].get("Tags", [])):
            continue
        groups = emr.list_instance_groups(ClusterId=cid).get("InstanceGroups", [])
        hourly = sum(
            g.get("RequestedInstanceCount", 0)
            * (
                EC2_HOURLY.get(g.get("InstanceType"), 0.2)
                + EMR_HOURLY.get(g.get("InstanceType"), 0.05)
            )
            for g in groups
        )
        yield Resource(
            "emr cluster",
            f"{cluster['Name']} ({cid})",
            cluster["Status"]["State"],
            f"${hourly:.2f}/h",
            delete=partial(emr.terminate_job_flows, JobFlowIds=[cid]),
            settled=partial(_cluster_ended, emr, cid),
        )


def find_sagemaker(scope: Scope) -> Iterator[Resource]:
    sm = scope.client("sagemaker")
    for job in pages(sm.list_transform_jobs, "TransformJobSummaries", StatusEquals="InProgress"):
        if not scope.ours(sm.list_tags(ResourceArn=job["TransformJobArn"]).get("Tags", [])):
            continue
        name = job["TransformJobName"]
        res = sm.describe_transform_job(TransformJobName=name).get("TransformResources", {})
        hourly = res.get("InstanceCount", 1) * TRANSFORM_HOURLY.get(res.get("InstanceType"), 0.23)
        yield Resource(
            "transform job",
            name,
            "InProgress",
            f"${hourly:.2f}/h",
            delete=partial(sm.stop_transform_job, TransformJobName=name),
            settled=partial(_transform_ended, sm, name),
        )
    for model in pages(sm.list_models, "Models"):
        if scope.ours(sm.list_tags(ResourceArn=model["ModelArn"]).get("Tags", [])):
            yield Resource(
                "sagemaker model",
                model["ModelName"],
                delete=partial(sm.delete_model, ModelName=model["ModelName"]),
            )
