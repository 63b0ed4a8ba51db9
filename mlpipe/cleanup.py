"""Tag-scoped cost cleanup: ``plan(settings)`` finds, ``apply(plan)`` deletes.

Only resources tagged ``Project=<project>`` **and** ``Environment=<env>`` are ever planned.
Things that cannot be tagged (executions, job runs, log streams, S3 objects) are found through
their tagged parents: executions of our state machines, runs of our Glue jobs (and their log
streams in Glue's shared log groups), objects in our buckets. Raw data (``raw/``) and the
buckets themselves are kept unless ``include_data``. Every listing paginates.

``apply`` goes in dependency order (stop what runs and costs money first, then delete), is
idempotent (a resource already gone counts as done), and keeps going past failures, which
it reports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from botocore.exceptions import ClientError

from mlpipe.aws import client
from mlpipe.config import Settings

OUTPUT_PREFIXES = (
    "curated/",
    "quarantine/",
    "features/",
    "tmp/",
    "predictions/",
    "emr/",
    "glue/",
    "models/",
)
ACTIVE_CLUSTER_STATES = ["STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING", "TERMINATING"]
GLUE_LOG_GROUPS = ("/aws-glue/jobs/output", "/aws-glue/jobs/error")
# Rough on-demand prices (us-east-1), for the plan's cost column only.
EC2_HOURLY = {"m5.xlarge": 0.192, "m5.2xlarge": 0.384, "m5.large": 0.096}
EMR_HOURLY = {"m5.xlarge": 0.048, "m5.2xlarge": 0.096, "m5.large": 0.024}
TRANSFORM_HOURLY = {"ml.m5.xlarge": 0.23, "ml.m5.large": 0.115}
GLUE_DPU_HOURLY = 0.44

# Deletion order: what runs (and bills) stops first; what others depend on goes last.
ORDER = [
    "sfn execution",
    "glue job run",
    "emr cluster",
    "transform job",
    "state machine",
    "eventbridge rule",
    "glue crawler",
    "glue job",
    "glue database",
    "sagemaker model",
    "cloudwatch alarm",
    "log stream",
    "log group",
    "sns topic",
    "sqs queue",
    "s3 objects",
    "s3 bucket",
    "iam role",
]


@dataclass
class Resource:
    kind: str
    name: str
    state: str = ""
    cost: str = ""
    delete: Callable[[], None] | None = field(default=None, repr=False, compare=False)

    @property
    def rank(self) -> int:
        return ORDER.index(self.kind)


@dataclass
class Report:
    deleted: list[Resource] = field(default_factory=list)
    failed: list[tuple[Resource, str]] = field(default_factory=list)


def _pages(call, key: str, token_in: str = "NextToken", token_out: str = "NextToken", **kwargs):
    while True:
        page = call(**kwargs)
        yield from page.get(key, [])
        token = page.get(token_out)
        if not token:
            return
        kwargs[token_in] = token


def _gone(exc: ClientError) -> bool:
    """The resource no longer exists. Some services (SageMaker) say so with a
    ValidationException; others use that code for real refusals (a protected EMR cluster)."""
    code = exc.response["Error"].get("Code", "")
    message = exc.response["Error"].get("Message", "").lower()
    if code == "ValidationException":
        return any(s in message for s in ("could not find", "not found", "does not exist"))
    return code == "ResourceNotFoundException" or any(
        s in code for s in ("NotFound", "NoSuch", "DoesNotExist", "EntityNotFound", "NonExistent")
    )


class Planner:
    def __init__(self, settings: Settings, include_data: bool = False):
        self.s = settings
        self.include_data = include_data
        self.want = {"Project": settings.project, "Environment": settings.env}
        self.found: list[Resource] = []

    def c(self, service: str):
        return client(self.s, service)

    def ours(self, tags) -> bool:
        if isinstance(tags, list):
            tags = {t.get("Key", t.get("key")): t.get("Value", t.get("value")) for t in tags}
        return all((tags or {}).get(k) == v for k, v in self.want.items())

    def add(self, kind, name, delete, state="", cost=""):
        self.found.append(Resource(kind, name, state, cost, delete))

    def plan(self) -> list[Resource]:
        for finder in (
            self.stepfunctions,
            self.glue,
            self.emr,
            self.sagemaker,
            self.events,
            self.cloudwatch,
            self.logs,
            self.sns_sqs,
            self.s3,
            self.iam,
        ):
            finder()
        return sorted(self.found, key=lambda r: (r.rank, r.name))

    # ------------------------------------------------------------------ services
    def stepfunctions(self):
        sfn = self.c("stepfunctions")
        for sm in _pages(sfn.list_state_machines, "stateMachines", "nextToken", "nextToken"):
            arn = sm["stateMachineArn"]
            if not self.ours(sfn.list_tags_for_resource(resourceArn=arn)["tags"]):
                continue
            for ex in _pages(
                sfn.list_executions,
                "executions",
                "nextToken",
                "nextToken",
                stateMachineArn=arn,
                statusFilter="RUNNING",
            ):
                self.add(
                    "sfn execution",
                    ex["name"],
                    lambda a=ex["executionArn"]: sfn.stop_execution(
                        executionArn=a, error="mlpipe.cleanup", cause="stopped by invoke cleanup"
                    ),
                    "RUNNING",
                )
            self.add(
                "state machine",
                sm["name"],
                lambda a=arn: sfn.delete_state_machine(stateMachineArn=a),
            )

    def glue(self):
        glue, logs = self.c("glue"), self.c("logs")
        arn = lambda kind, name: self.s.arn("glue", f"{kind}/{name}")  # noqa: E731
        for job in _pages(glue.get_jobs, "Jobs"):
            name = job["Name"]
            if not self.ours(glue.get_tags(ResourceArn=arn("job", name)).get("Tags", {})):
                continue
            run_ids = []
            for run in _pages(glue.get_job_runs, "JobRuns", JobName=name):
                run_ids.append(run["Id"])
                if run["JobRunState"] in ("STARTING", "RUNNING", "WAITING"):
                    dpu = (run.get("NumberOfWorkers") or 2) * GLUE_DPU_HOURLY
                    self.add(
                        "glue job run",
                        f"{name}/{run['Id']}",
                        lambda n=name, r=run["Id"]: glue.batch_stop_job_run(
                            JobName=n, JobRunIds=[r]
                        ),
                        run["JobRunState"],
                        f"${dpu:.2f}/h",
                    )
            for group in GLUE_LOG_GROUPS:
                for stream in run_ids:
                    if self._stream_exists(logs, group, stream):
                        self.add(
                            "log stream",
                            f"{group}/{stream}",
                            lambda g=group, st=stream: logs.delete_log_stream(
                                logGroupName=g, logStreamName=st
                            ),
                        )
            self.add("glue job", name, lambda n=name: glue.delete_job(JobName=n))
        for crawler in _pages(glue.get_crawlers, "Crawlers"):
            if self.ours(
                glue.get_tags(ResourceArn=arn("crawler", crawler["Name"])).get("Tags", {})
            ):
                self.add(
                    "glue crawler",
                    crawler["Name"],
                    lambda n=crawler["Name"]: glue.delete_crawler(Name=n),
                    crawler.get("State", ""),
                )
        for db in _pages(glue.get_databases, "DatabaseList"):
            if self.ours(glue.get_tags(ResourceArn=arn("database", db["Name"])).get("Tags", {})):
                self.add(
                    "glue database", db["Name"], lambda n=db["Name"]: glue.delete_database(Name=n)
                )

    @staticmethod
    def _stream_exists(logs, group: str, stream: str) -> bool:
        try:
            found = logs.describe_log_streams(logGroupName=group, logStreamNamePrefix=stream)[
                "logStreams"
            ]
        except ClientError:
            return False
        return any(s["logStreamName"] == stream for s in found)

    def emr(self):
        emr = self.c("emr")
        for cluster in _pages(
            emr.list_clusters, "Clusters", "Marker", "Marker", ClusterStates=ACTIVE_CLUSTER_STATES
        ):
            desc = emr.describe_cluster(ClusterId=cluster["Id"])["Cluster"]
            if not self.ours(desc.get("Tags", [])):
                continue
            groups = emr.list_instance_groups(ClusterId=cluster["Id"]).get("InstanceGroups", [])
            hourly = sum(
                g.get("RequestedInstanceCount", 0)
                * (
                    EC2_HOURLY.get(g.get("InstanceType"), 0.2)
                    + EMR_HOURLY.get(g.get("InstanceType"), 0.05)
                )
                for g in groups
            )
            self.add(
                "emr cluster",
                f"{cluster['Name']} ({cluster['Id']})",
                lambda i=cluster["Id"]: emr.terminate_job_flows(JobFlowIds=[i]),
                cluster["Status"]["State"],
                f"${hourly:.2f}/h",
            )

    def sagemaker(self):
        sm = self.c("sagemaker")
        for job in _pages(
            sm.list_transform_jobs, "TransformJobSummaries", StatusEquals="InProgress"
        ):
            if not self.ours(sm.list_tags(ResourceArn=job["TransformJobArn"]).get("Tags", [])):
                continue
            desc = sm.describe_transform_job(TransformJobName=job["TransformJobName"])
            res = desc.get("TransformResources", {})
            hourly = res.get("InstanceCount", 1) * TRANSFORM_HOURLY.get(
                res.get("InstanceType"), 0.23
            )
            self.add(
                "transform job",
                job["TransformJobName"],
                lambda n=job["TransformJobName"]: sm.stop_transform_job(TransformJobName=n),
                "InProgress",
                f"${hourly:.2f}/h",
            )
        for model in _pages(sm.list_models, "Models"):
            if self.ours(sm.list_tags(ResourceArn=model["ModelArn"]).get("Tags", [])):
                self.add(
                    "sagemaker model",
                    model["ModelName"],
                    lambda n=model["ModelName"]: sm.delete_model(ModelName=n),
                )

    def events(self):
        ev = self.c("events")
        for rule in _pages(ev.list_rules, "Rules"):
            if not self.ours(ev.list_tags_for_resource(ResourceARN=rule["Arn"]).get("Tags", [])):
                continue

            def delete(name=rule["Name"]):
                ids = [t["Id"] for t in ev.list_targets_by_rule(Rule=name).get("Targets", [])]
                if ids:
                    ev.remove_targets(Rule=name, Ids=ids)
                ev.delete_rule(Name=name)

            self.add("eventbridge rule", rule["Name"], delete, rule.get("State", ""))

    def cloudwatch(self):
        cw = self.c("cloudwatch")
        for alarm in _pages(cw.describe_alarms, "MetricAlarms"):
            if self.ours(cw.list_tags_for_resource(ResourceARN=alarm["AlarmArn"]).get("Tags", [])):
                self.add(
                    "cloudwatch alarm",
                    alarm["AlarmName"],
                    lambda n=alarm["AlarmName"]: cw.delete_alarms(AlarmNames=[n]),
                    alarm.get("StateValue", ""),
                )

    def logs(self):
        logs = self.c("logs")
        for group in _pages(logs.describe_log_groups, "logGroups", "nextToken", "nextToken"):
            name = group["logGroupName"]
            if name in GLUE_LOG_GROUPS:
                continue  # shared by every Glue job: only our runs' streams go (see glue())
            if self.ours(logs.list_tags_log_group(logGroupName=name).get("tags", {})):
                self.add("log group", name, lambda n=name: logs.delete_log_group(logGroupName=n))

    def sns_sqs(self):
        sns, sqs = self.c("sns"), self.c("sqs")
        for topic in _pages(sns.list_topics, "Topics"):
            arn = topic["TopicArn"]
            if not self.ours(sns.list_tags_for_resource(ResourceArn=arn).get("Tags", [])):
                continue

            def delete(a=arn):
                for sub in _pages(sns.list_subscriptions_by_topic, "Subscriptions", TopicArn=a):
                    if sub["SubscriptionArn"].startswith("arn:"):
                        sns.unsubscribe(SubscriptionArn=sub["SubscriptionArn"])
                sns.delete_topic(TopicArn=a)

            self.add("sns topic", arn.rsplit(":", 1)[-1], delete)
        for url in _pages(sqs.list_queues, "QueueUrls"):
            if self.ours(sqs.list_queue_tags(QueueUrl=url).get("Tags", {})):
                self.add(
                    "sqs queue", url.rsplit("/", 1)[-1], lambda u=url: sqs.delete_queue(QueueUrl=u)
                )

    def s3(self):
        s3 = self.c("s3")
        for bucket in s3.list_buckets().get("Buckets", []):
            name = bucket["Name"]
            try:
                tags = s3.get_bucket_tagging(Bucket=name)["TagSet"]
            except ClientError:
                continue
            if not self.ours(tags):
                continue
            prefixes = [""] if self.include_data else list(OUTPUT_PREFIXES)
            for prefix in prefixes:
                keys = self._versions(s3, name, prefix)
                if keys:
                    label = f"s3://{name}/{prefix}" + ("" if prefix else " (everything)")
                    self.add(
                        "s3 objects",
                        label,
                        lambda b=name, k=keys: self._delete_versions(s3, b, k),
                        f"{len(keys)} object version(s)",
                    )
            if self.include_data:
                self.add("s3 bucket", name, lambda b=name: s3.delete_bucket(Bucket=b))

    @staticmethod
    def _versions(s3, bucket: str, prefix: str) -> list[dict]:
        out = []
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
            out += [
                {"Key": v["Key"], "VersionId": v["VersionId"]}
                for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
            ]
        return out

    @staticmethod
    def _delete_versions(s3, bucket: str, keys: list[dict]) -> None:
        for start in range(0, len(keys), 1000):
            s3.delete_objects(
                Bucket=bucket, Delete={"Objects": keys[start : start + 1000], "Quiet": True}
            )

    def iam(self):
        iam = self.c("iam")
        for role in _pages(iam.list_roles, "Roles", "Marker", "Marker"):
            name = role["RoleName"]
            if not self.ours(iam.list_role_tags(RoleName=name).get("Tags", [])):
                continue

            def delete(n=name):
                for profile in iam.list_instance_profiles_for_role(RoleName=n).get(
                    "InstanceProfiles", []
                ):
                    iam.remove_role_from_instance_profile(
                        InstanceProfileName=profile["InstanceProfileName"], RoleName=n
                    )
                    iam.delete_instance_profile(InstanceProfileName=profile["InstanceProfileName"])
                for policy in iam.list_attached_role_policies(RoleName=n).get(
                    "AttachedPolicies", []
                ):
                    iam.detach_role_policy(RoleName=n, PolicyArn=policy["PolicyArn"])
                for policy in iam.list_role_policies(RoleName=n).get("PolicyNames", []):
                    iam.delete_role_policy(RoleName=n, PolicyName=policy)
                iam.delete_role(RoleName=n)

            self.add("iam role", name, delete)


def plan(settings: Settings, include_data: bool = False) -> list[Resource]:
    return Planner(settings, include_data).plan()


def apply(resources: list[Resource]) -> Report:
    """Delete in dependency order; a resource already gone counts as deleted."""
    report = Report()
    for res in sorted(resources, key=lambda r: r.rank):
        try:
            res.delete()
            report.deleted.append(res)
        except ClientError as exc:
            if _gone(exc):
                report.deleted.append(res)
            else:
                report.failed.append((res, exc.response["Error"].get("Message") or str(exc)))
        except Exception as exc:  # keep going: report it
            report.failed.append((res, f"{type(exc).__name__}: {exc}"))
    return report
