"""The local deployer: creates with boto3 what Terraform creates, on the local cloud.

It deploys the same rendered ASL, job definitions and artefacts, built from the same
``Settings``; the drift test holds it and ``terraform/`` together. Every step is
idempotent: it compares what exists with what should, and reports one ``Change`` per
resource (``created``, ``updated`` or ``unchanged``); a second deploy changes nothing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from botocore.exceptions import ClientError

from mlpipe.asl import render_all
from mlpipe.aws import client, split_s3
from mlpipe.config import PIPELINES, Settings
from mlpipe.packaging import EMR_APP, GLUE_SCRIPTS, build_model_artifact, build_transforms_zip

# role key -> the service that assumes it
ROLES = {
    "clean_role": "glue.amazonaws.com",
    "features_role": "glue.amazonaws.com",
    "churn_sfn_role": "states.amazonaws.com",
    "emr_sfn_role": "states.amazonaws.com",
    "inference_sfn_role": "states.amazonaws.com",
    "events_role": "events.amazonaws.com",
    "emr_service_role": "elasticmapreduce.amazonaws.com",
    "emr_ec2_role": "ec2.amazonaws.com",
    "sagemaker_role": "sagemaker.amazonaws.com",
}
PIPELINE_ROLES = {
    "churn": ["clean_role", "features_role", "churn_sfn_role"],
    "emr": ["emr_service_role", "emr_ec2_role", "emr_sfn_role", "events_role"],
    "inference": ["sagemaker_role", "inference_sfn_role"],
}


@dataclass(frozen=True)
class Change:
    action: str  # created | updated | unchanged
    kind: str
    name: str


def _trust(service: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
            ],
        }
    )


def glue_job_request(settings: Settings, key: str) -> dict:
    """CreateJob parameters for one of the churn jobs (Terraform's glue_job module mirrors these)."""
    job = settings.glue_jobs[key]
    return {
        "Name": job["name"],
        "Role": settings.role_arn(f"{key}_role"),
        "Command": {"Name": "glueetl", "ScriptLocation": job["script"], "PythonVersion": "3"},
        "DefaultArguments": job["default_arguments"],
        "GlueVersion": job["glue_version"],
        "WorkerType": job["worker_type"],
        "NumberOfWorkers": job["number_of_workers"],
        "Timeout": job["timeout_minutes"],
        "MaxRetries": 0,  # Step Functions retries
        "ExecutionProperty": {"MaxConcurrentRuns": job["max_concurrent_runs"]},
    }


class LocalDeployer:
    def __init__(self, settings: Settings, build_dir: Path):
        self.s = settings
        self.build_dir = Path(build_dir)
        self.changes: list[Change] = []

    def _c(self, service: str):
        return client(self.s, service)

    def _record(self, action: str, kind: str, name: str) -> None:
        self.changes.append(Change(action, kind, name))

    # ------------------------------------------------------------------ entry point
    def deploy(self, pipelines=PIPELINES) -> list[Change]:
        definitions = render_all(self.s, self.build_dir / "asl", pipelines)
        for kind in ("data", "artifacts", "logs"):
            self.ensure_bucket(self.s.bucket(kind), versioned=kind == "data")
        for role in [r for p in pipelines for r in PIPELINE_ROLES[p]]:
            self.ensure_role(self.s.name(role), ROLES[role])
        if "churn" in pipelines:
            zip_path = build_transforms_zip(self.build_dir)
            jobs = self.s.glue_jobs
            self.ensure_object(jobs["clean"]["script"], GLUE_SCRIPTS["clean"])
            self.ensure_object(jobs["features"]["script"], GLUE_SCRIPTS["features"])
            self.ensure_object(jobs["clean"]["default_arguments"]["--extra-py-files"], zip_path)
            for key in ("clean", "features"):
                self.ensure_glue_job(glue_job_request(self.s, key))
        if "emr" in pipelines:
            self.ensure_instance_profile(self.s.name("emr_ec2_role"))
            self.ensure_object(self.s.paths["emr_code"] + EMR_APP.name, EMR_APP)
        if "inference" in pipelines:
            artifact, _ = build_model_artifact(self.build_dir)
            self.ensure_object(self.s.paths["model_artifact"], artifact)
            self.ensure_model()
        self.ensure_alerts()
        for pipeline, path in definitions.items():
            self.ensure_state_machine(
                self.s.name(f"{pipeline}_state_machine"),
                path.read_text(encoding="utf-8"),
                self.s.role_arn(f"{pipeline}_sfn_role"),
            )
        if "emr" in pipelines:
            self.ensure_schedule()
        return self.changes

    # ------------------------------------------------------------------ resources
    def tags_list(self, key="Key", value="Value") -> list[dict]:
        return [{key: k, value: v} for k, v in self.s.tags.items()]

    def ensure_bucket(self, name: str, versioned: bool) -> None:
        s3 = self._c("s3")
        try:
            s3.head_bucket(Bucket=name)
            self._record("unchanged", "s3 bucket", name)
        except ClientError:
            kwargs = (
                {}
                if self.s.region == "us-east-1"
                else {"CreateBucketConfiguration": {"LocationConstraint": self.s.region}}
            )
            s3.create_bucket(Bucket=name, **kwargs)
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": self.tags_list()})
            s3.put_bucket_encryption(
                Bucket=name,
                ServerSideEncryptionConfiguration={
                    "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
                },
            )
            s3.put_public_access_block(
                Bucket=name,
                PublicAccessBlockConfiguration={
                    k: True
                    for k in (
                        "BlockPublicAcls",
                        "IgnorePublicAcls",
                        "BlockPublicPolicy",
                        "RestrictPublicBuckets",
                    )
                },
            )
            if versioned:
                s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
            self._record("created", "s3 bucket", name)

    def ensure_object(self, uri: str, path: Path) -> None:
        s3 = self._c("s3")
        bucket, key = split_s3(uri)
        md5 = hashlib.md5(path.read_bytes()).hexdigest()
        try:
            current = s3.head_object(Bucket=bucket, Key=key)["ETag"].strip('"')
        except ClientError:
            current = None
        if current == md5:
            self._record("unchanged", "s3 object", uri)
            return
        s3.upload_file(str(path), bucket, key)
        self._record("created" if current is None else "updated", "s3 object", uri)

    def ensure_role(self, name: str, service: str) -> None:
        iam = self._c("iam")
        try:
            iam.get_role(RoleName=name)
            self._record("unchanged", "iam role", name)
        except iam.exceptions.NoSuchEntityException:
            iam.create_role(
                RoleName=name, AssumeRolePolicyDocument=_trust(service), Tags=self.tags_list()
            )
            self._record("created", "iam role", name)

    def ensure_instance_profile(self, name: str) -> None:
        """EMR's EC2 instance profile, holding the role of the same name."""
        iam = self._c("iam")
        try:
            iam.get_instance_profile(InstanceProfileName=name)
            self._record("unchanged", "instance profile", name)
        except iam.exceptions.NoSuchEntityException:
            iam.create_instance_profile(InstanceProfileName=name, Tags=self.tags_list())
            iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
            self._record("created", "instance profile", name)

    def ensure_model(self) -> None:
        """The SageMaker model: the scikit-learn image plus model.tar.gz (Terraform's sagemaker_model)."""
        sm = self._c("sagemaker")
        name = self.s.name("model")
        container = {
            "Image": self.s.sklearn_image,
            "ModelDataUrl": self.s.paths["model_artifact"],
            "Environment": {
                "SAGEMAKER_PROGRAM": "inference.py",
                "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
            },
        }
        try:
            current = sm.describe_model(ModelName=name)
        except ClientError:
            current = None
        if (
            current
            and current.get("PrimaryContainer", {}).get("ModelDataUrl") == container["ModelDataUrl"]
        ):
            self._record("unchanged", "sagemaker model", name)
            return
        if current:
            sm.delete_model(ModelName=name)
        sm.create_model(
            ModelName=name,
            ExecutionRoleArn=self.s.role_arn("sagemaker_role"),
            PrimaryContainer=container,
            Tags=self.tags_list(),
        )
        self._record("updated" if current else "created", "sagemaker model", name)

    def ensure_glue_job(self, request: dict) -> None:
        glue = self._c("glue")
        name = request["Name"]
        try:
            current = glue.get_job(JobName=name)["Job"]
        except glue.exceptions.EntityNotFoundException:
            glue.create_job(**request, Tags=self.s.tags)
            self._record("created", "glue job", name)
            return
        if all(current.get(k) == v for k, v in request.items() if k != "Name"):
            self._record("unchanged", "glue job", name)
            return
        # moto does not implement UpdateJob: replace the job (its run history goes with it).
        glue.delete_job(JobName=name)
        glue.create_job(**request, Tags=self.s.tags)
        self._record("updated", "glue job", name)

    def ensure_alerts(self) -> str:
        sns, sqs = self._c("sns"), self._c("sqs")
        topic_name = self.s.name("alerts_topic")
        existing = {
            t["TopicArn"]
            for page in sns.get_paginator("list_topics").paginate()
            for t in page["Topics"]
        }
        topic_arn = sns.create_topic(Name=topic_name, Tags=self.tags_list())[
            "TopicArn"
        ]  # idempotent by name
        self._record("unchanged" if topic_arn in existing else "created", "sns topic", topic_name)
        queue_name = self.s.name("alerts_queue")
        try:
            queue_url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
            self._record("unchanged", "sqs queue", queue_name)
        except sqs.exceptions.QueueDoesNotExist:
            queue_url = sqs.create_queue(QueueName=queue_name, tags=self.s.tags)["QueueUrl"]
            self._record("created", "sqs queue", queue_name)
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        subs = [
            s
            for page in sns.get_paginator("list_subscriptions_by_topic").paginate(
                TopicArn=topic_arn
            )
            for s in page["Subscriptions"]
        ]
        if any(s["Endpoint"] == queue_arn for s in subs):
            self._record("unchanged", "sns subscription", f"{topic_name} -> {queue_name}")
        else:
            sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
            self._record("created", "sns subscription", f"{topic_name} -> {queue_name}")
        return topic_arn

    def ensure_state_machine(self, name: str, definition: str, role: str) -> None:
        sfn = self._c("stepfunctions")
        arn = self.s.arn("states", f"stateMachine:{name}")
        try:
            current = sfn.describe_state_machine(stateMachineArn=arn)
        except sfn.exceptions.StateMachineDoesNotExist:
            sfn.create_state_machine(
                name=name, definition=definition, roleArn=role, tags=self.tags_list("key", "value")
            )
            self._record("created", "state machine", name)
            return
        if (
            json.loads(current["definition"]) == json.loads(definition)
            and current["roleArn"] == role
        ):
            self._record("unchanged", "state machine", name)
            return
        sfn.update_state_machine(stateMachineArn=arn, definition=definition, roleArn=role)
        self._record("updated", "state machine", name)

    def ensure_schedule(self) -> None:
        """Lab 2's 15-minute cron for the emr pipeline; disabled on the local target."""
        events = self._c("events")
        name = self.s.name("emr_schedule")
        state = "DISABLED" if self.s.target == "local" else "ENABLED"
        desired = {"ScheduleExpression": self.s.emr_schedule_expression, "State": state}
        try:
            current = events.describe_rule(Name=name)
            unchanged = all(current.get(k) == v for k, v in desired.items())
        except events.exceptions.ResourceNotFoundException:
            current, unchanged = None, False
        if not unchanged:
            events.put_rule(
                Name=name,
                **desired,
                Description="mlpipe emr pipeline every 15 minutes",
                Tags=self.tags_list(),
            )
            events.put_targets(
                Rule=name,
                Targets=[
                    {
                        "Id": "emr-state-machine",
                        "Arn": self.s.state_machine_arn("emr"),
                        "RoleArn": self.s.role_arn("events_role"),
                    }
                ],
            )
        self._record(
            "unchanged" if unchanged else ("created" if current is None else "updated"),
            "eventbridge rule",
            name,
        )
