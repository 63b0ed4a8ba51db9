"""Settings per target and environment: every name, path, tag and policy in one place.

The ASL templates, the local deployer and (through the drift test) Terraform all take
their names from here. Defaults come from ``invoke.yaml`` (section ``mlpipe``); the
target table below adds what differs between the local cloud, LocalStack and AWS.

On AWS the account id is resolved at run time from STS (``Settings.account_id``); the ASL
that Terraform deploys renders account, region and partition as ``templatefile()``
variables (``mlpipe.asl.render(..., terraform=True)``), filled in by the state_machine module
from the same provider configuration as every other ARN. Nothing is hard-coded to an account.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from mlpipe import ROOT

PIPELINES = ("churn", "emr", "inference")
# Every resource name is <project>-<env>-...: S3 and IAM allow ASCII only and cap lengths.
ENV_RE = re.compile(r"[a-z][a-z0-9-]{0,19}")

TARGETS: dict[str, dict[str, Any]] = {
    "local": {
        "endpoint": "http://127.0.0.1:4566",
        "account_id": "123456789012",
        # The local cloud really sleeps between retries: keep them short.
        "retry": {
            "interval": 1,
            "backoff": 2.0,
            "max_attempts": 2,
            "max_delay": 4,
            "jitter": "FULL",
        },
        "task_timeout": 900,
    },
    "localstack": {
        "endpoint": "http://localhost:4566",
        "account_id": "000000000000",
        "retry": {
            "interval": 2,
            "backoff": 2.0,
            "max_attempts": 3,
            "max_delay": 30,
            "jitter": "FULL",
        },
        "task_timeout": 1800,
    },
    "aws": {
        "endpoint": None,
        "account_id": None,  # resolved from STS (the caller's account)
        "retry": {
            "interval": 30,
            "backoff": 2.0,
            "max_attempts": 3,
            "max_delay": 300,
            "jitter": "FULL",
        },
        "task_timeout": 3600,
    },
}

# Transient errors worth retrying, per integration, as Step Functions reports them: service
# errors always carry the service prefix (a bare "ThrottlingException" never matches).
# Never States.Timeout on Glue (the task timed out while the job may still run: a retry would
# start a second run) nor on CreateCluster (the first cluster may still be starting).
RETRY_ERRORS = {
    "glue": [
        "Glue.ConcurrentRunsExceededException",
        "Glue.InternalServiceException",
        "Glue.ThrottlingException",
    ],
    "emr_create": ["EMR.AmazonElasticMapReduceException"],
    "emr_terminate": ["EMR.AmazonElasticMapReduceException", "States.Timeout"],
    "sagemaker": ["SageMaker.AmazonSageMakerException"],
    "sns": ["SNS.ThrottledException", "SNS.InternalErrorException"],
    # aws-sdk integrations (input check, single-flight guard): read-only, safe to retry.
    "sdk": ["Sfn.SfnException", "S3.S3Exception"],
}


class ConfigError(ValueError):
    """A bad target/env/setting: reported as one line."""


def load_defaults() -> dict[str, Any]:
    """The ``mlpipe`` settings exactly as invoke sees them: invoke.yaml, then ``INVOKE_MLPIPE_*``
    environment variables (e.g. ``INVOKE_MLPIPE_REGION``, ``INVOKE_MLPIPE_LOCAL_PORT``).
    Tasks pass their own ``c.config.mlpipe`` (which adds command-line values) instead."""
    from invoke import Config

    config = Config(project_location=ROOT)
    config.load_project()
    config.load_shell_env()
    return dict(config.mlpipe)


@dataclass(frozen=True)
class Settings:
    target: str = "local"
    env: str = "dev"
    project: str = "mlpipe"
    region: str = "us-east-1"
    extra_tags: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    notify_success: bool = False
    emr: dict[str, Any] = field(default_factory=dict)
    # e.g. deterministic retries in tests
    retry_override: dict[str, Any] = field(default_factory=dict)
    # Where the services are: see ``endpoint``. Empty endpoint_override = derived per target.
    endpoint_override: str = ""
    local_state_dir: str = ".mlpipe/local"
    local_port: int = 4566
    localstack_endpoint: str = "http://localhost:4566"

    def __post_init__(self) -> None:
        if self.target not in TARGETS:
            raise ConfigError(f"unknown target {self.target!r}: choose one of {', '.join(TARGETS)}")
        if not ENV_RE.fullmatch(self.env):
            shown = self.env if len(self.env) <= 40 else self.env[:37] + "..."
            raise ConfigError(
                "env must be 1-20 ASCII lower-case letters, digits and dashes, starting with a "
                f"letter (it is part of every bucket and role name), got {shown!r}"
            )

    # ------------------------------------------------------------------ target facts
    @property
    def endpoint(self) -> str | None:
        """The one endpoint every client and Terraform use; None = real AWS.

        local: the running local cloud's (its pid file in ``local_state_dir`` holds the port it
        was started on), else ``https://127.0.0.1:<local_port>``; localstack:
        ``localstack_endpoint``; aws: None. ``endpoint_override`` (``INVOKE_MLPIPE_ENDPOINT``)
        wins over all three."""
        if self.endpoint_override:
            return self.endpoint_override
        if self.target == "local":
            from mlpipe.local_cloud.control import running_endpoint

            state_dir = _repo_path(self.local_state_dir)
            return running_endpoint(state_dir) or f"https://127.0.0.1:{self.local_port}"
        if self.target == "localstack":
            return self.localstack_endpoint
        return None

    @property
    def ca_bundle(self) -> str | None:
        """The CA file that verifies the endpoint's TLS certificate (the local cloud's own CA);
        None = the system's trust store."""
        if self.target != "local":
            return None
        from mlpipe.local_cloud.tls import ca_path

        path = ca_path(_repo_path(self.local_state_dir))
        return str(path) if path.exists() else None

    @cached_property
    def account_id(self) -> str:
        fixed: str | None = TARGETS[self.target]["account_id"]
        if fixed:
            return fixed
        from mlpipe.aws import client  # lazy: mlpipe.aws imports this module

        try:
            account: str = client(self, "sts").get_caller_identity()["Account"]
            return account
        except Exception as exc:  # no credentials, no network: one clear line
            raise ConfigError(
                f"target {self.target}: cannot resolve the AWS account id from STS ({exc.__class__.__name__}: {exc}); configure AWS credentials"
            ) from None

    @property
    def retry(self) -> dict[str, Any]:
        return {**TARGETS[self.target]["retry"], **self.retry_override}

    @property
    def task_timeout(self) -> int:
        timeout: int = TARGETS[self.target]["task_timeout"]
        return timeout

    @property
    def prefix(self) -> str:
        return f"{self.project}-{self.env}"

    # ------------------------------------------------------------------ names
    def bucket(self, kind: str) -> str:
        """``data`` (raw/curated/quarantine/features), ``artifacts`` (code, models), ``logs``."""
        return f"{self.prefix}-{kind}-{self.account_id}"

    def name(self, key: str) -> str:
        defaults = {
            "churn_state_machine": f"{self.prefix}-churn",
            "emr_state_machine": f"{self.prefix}-emr-partition",
            "inference_state_machine": f"{self.prefix}-abalone-inference",
            "clean_job": f"{self.prefix}-churn-clean",
            "features_job": f"{self.prefix}-churn-features",
            "alerts_topic": f"{self.prefix}-alerts",
            "alerts_queue": f"{self.prefix}-alerts-inbox",
            "clean_role": f"{self.prefix}-glue-clean",
            "features_role": f"{self.prefix}-glue-features",
            "emr_service_role": f"{self.prefix}-emr-service",
            "emr_ec2_role": f"{self.prefix}-emr-ec2",
            "sagemaker_role": f"{self.prefix}-sagemaker",
            "emr_schedule": f"{self.prefix}-emr-every-15-min",
            "model": f"{self.prefix}-abalone-model",
        }
        # one role per state machine and per schedule, as Terraform's modules create them
        defaults.update(
            {
                f"{p}_sfn_role": f"{self.names.get(p + '_state_machine', defaults[p + '_state_machine'])}-sfn"
                for p in PIPELINES
            }
        )
        defaults["events_role"] = (
            f"{self.names.get('emr_schedule', defaults['emr_schedule'])}-events"
        )
        return self.names.get(key, defaults[key])

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account_id}:{resource}"

    def state_machine_arn(self, pipeline: str) -> str:
        return self.arn("states", f"stateMachine:{self.name(pipeline + '_state_machine')}")

    @property
    def topic_arn(self) -> str:
        return self.arn("sns", self.name("alerts_topic"))

    def role_arn(self, key: str) -> str:
        return f"arn:aws:iam::{self.account_id}:role/{self.name(key)}"

    @cached_property
    def tags(self) -> dict[str, str]:
        return {
            "Project": self.project,
            "Environment": self.env,
            "ManagedBy": "mlpipe",
            **self.extra_tags,
        }

    # ------------------------------------------------------------------ S3 layout
    def s3(self, kind: str, key: str = "") -> str:
        return f"s3://{self.bucket(kind)}/{key}"

    @property
    def paths(self) -> dict[str, str]:
        return {
            "churn_raw": self.s3("data", "raw/churn/"),
            "churn_clean": self.s3("data", "curated/churn/"),
            "churn_quarantine": self.s3("data", "quarantine/churn/"),
            "churn_features": self.s3("data", "features/churn/"),
            "telemetry_raw": self.s3("data", "raw/telemetry/"),
            "telemetry_partitioned": self.s3("data", "curated/telemetry/"),
            "abalone_batch": self.s3("data", "raw/abalone/batch/"),
            "abalone_predictions": self.s3("data", "predictions/abalone/"),
            "glue_scripts": self.s3("artifacts", "glue/"),
            "emr_code": self.s3("artifacts", "emr/"),
            "model_artifact": self.s3("artifacts", "models/abalone/model.tar.gz"),
            "emr_logs": self.s3("logs", "emr/"),
            "glue_temp": self.s3("data", "tmp/glue/"),
        }

    # ------------------------------------------------------------------ resources
    @property
    def glue_jobs(self) -> dict[str, dict[str, Any]]:
        """Both Glue jobs: name, script and DefaultArguments (run Arguments add run_date etc.)."""
        common = {
            "--job-language": "python",
            "--extra-py-files": self.paths["glue_scripts"] + "churn_transforms.zip",
            "--enable-metrics": "true",
            "--enable-continuous-cloudwatch-log": "true",
            "--TempDir": self.paths["glue_temp"],
        }
        sizing = {
            "glue_version": "5.0",
            "worker_type": "G.1X",
            "number_of_workers": 2,
            "timeout_minutes": 60,
            "max_concurrent_runs": 1,
        }
        return {
            "clean": {
                **sizing,
                "name": self.name("clean_job"),
                "script": self.paths["glue_scripts"] + "clean_customers.py",
                "default_arguments": {
                    **common,
                    "--output": self.paths["churn_clean"],
                    "--quarantine": self.paths["churn_quarantine"],
                },
            },
            "features": {
                **sizing,
                "name": self.name("features_job"),
                "script": self.paths["glue_scripts"] + "build_features.py",
                "default_arguments": {
                    **common,
                    "--clean": self.paths["churn_clean"],
                    "--features": self.paths["churn_features"],
                },
            },
        }

    # The SageMaker scikit-learn serving image the model runs in on AWS. Terraform derives the
    # region's URI (data "aws_sagemaker_prebuilt_ecr_image"); the model is trained in a venv
    # pinned to this tag's versions (mlpipe.serving.SERVING_IMAGES).
    sklearn_image_tag: str = "1.9-0-cpu-py3"

    @property
    def sklearn_image(self) -> str:
        from mlpipe.serving import image_uri

        return image_uri(self.sklearn_image_tag, self.region)

    # EventBridge syntax for lab 2's "every 15 minutes" (the lab writes it as 0 */15 * ? * *).
    emr_schedule_expression: str = "cron(0/15 * * * ? *)"

    @property
    def emr_cluster(self) -> dict[str, Any]:
        """The smallest cluster that runs lab 2's step (1 master + 1 core; lab 2 had 4 nodes and
        Hive), with Spark/YARN tuning; overridable. ``subnet_id`` is Terraform's var.emr_subnet_id
        in the deployed ASL; the empty default serves the local cloud."""
        groups = [
            ("Master Instance Group", "MASTER", 1),
            ("Core Instance Group", "CORE", 1),
        ]
        base = {
            "release_label": "emr-7.5.0",
            "applications": ["Spark"],
            "subnet_id": "",
            "idle_timeout": 900,
            "instance_type": "m5.xlarge",
            "instance_groups": [
                {
                    "Name": n,
                    "InstanceRole": r,
                    "InstanceCount": c,
                    "InstanceType": "m5.xlarge",
                    "Market": "ON_DEMAND",
                }
                for n, r, c in groups
            ],
            "configurations": [
                {
                    "Classification": "spark-defaults",
                    "Properties": {
                        "spark.sql.adaptive.enabled": "true",
                        "spark.dynamicAllocation.enabled": "true",
                    },
                },
                {
                    "Classification": "yarn-site",
                    "Properties": {"yarn.nodemanager.vmem-check-enabled": "false"},
                },
            ],
            "partition_by": "class",
        }
        merged = {**base, **self.emr}
        merged["applications_json"] = [{"Name": a} for a in merged["applications"]]
        # AmazonEMRServicePolicy_v2 acts only on clusters carrying this tag; the SFN role's
        # RunJobFlow permission requires it (and Project/Environment) on the request.
        merged["tags"] = [
            {"Key": k, "Value": v}
            for k, v in {**self.tags, "for-use-with-amazon-emr-managed-policies": "true"}.items()
        ]
        merged["data_bucket"] = self.bucket("data")
        merged["input_prefix"] = "raw/telemetry/"
        return merged

    # ------------------------------------------------------------------ ASL context
    def asl_context(self, pipeline: str) -> dict[str, Any]:
        """The one dict a pipeline's template renders from."""
        if pipeline not in PIPELINES:
            raise ConfigError(
                f"unknown pipeline {pipeline!r}: choose one of {', '.join(PIPELINES)}"
            )
        return {
            "pipeline": pipeline,
            "env": self.env,
            "target": self.target,
            "region": self.region,
            "account_id": self.account_id,
            "topic_arn": self.topic_arn,
            "notify_success": self.notify_success,
            "retry_policy": self.retry,
            "retry_errors": RETRY_ERRORS,
            "task_timeout": self.task_timeout,
            "paths": self.paths,
            "names": {k: self.name(k) for k in ("clean_job", "features_job", "model")},
            "glue_jobs": self.glue_jobs,
            "emr": {
                **self.emr_cluster,
                "service_role": self.name("emr_service_role"),
                "job_flow_role": self.name("emr_ec2_role"),
                "log_uri": self.paths["emr_logs"],
            },
            "tags": self.tags,
            "tag_list": [{"Key": k, "Value": v} for k, v in self.tags.items()],
            "pipeline_prefix": f"{self.prefix}-{pipeline}",
        }


def _repo_path(value: str) -> str:
    return value if os.path.isabs(value) else str(ROOT / value)


def load_settings(
    target: str | None = None,
    env: str | None = None,
    config: dict[str, Any] | None = None,
    **overrides: Any,
) -> Settings:
    """Settings from invoke's config (``config``: a task's ``c.config.mlpipe``; default: the
    same sources read here), overridden by arguments (CLI wins)."""
    d = dict(config) if config is not None else load_defaults()
    try:
        local_port = int(overrides.pop("local_port", d.get("local_port", 4566)))
    except (TypeError, ValueError):
        raise ConfigError(f"local_port must be a number, got {d.get('local_port')!r}") from None
    return Settings(
        endpoint_override=overrides.pop("endpoint_override", d.get("endpoint") or ""),
        local_state_dir=str(
            overrides.pop("local_state_dir", d.get("local_state_dir", ".mlpipe/local"))
        ),
        local_port=local_port,
        localstack_endpoint=overrides.pop(
            "localstack_endpoint", d.get("localstack_endpoint", "http://localhost:4566")
        ),
        target=target or d.get("target", "local"),
        env=env or d.get("env", "dev"),
        project=overrides.pop("project", d.get("project", "mlpipe")),
        region=overrides.pop("region", d.get("region", "us-east-1")),
        extra_tags=dict(overrides.pop("extra_tags", d.get("tags") or {})),
        names=dict(overrides.pop("names", d.get("names") or {})),
        notify_success=overrides.pop("notify_success", bool(d.get("notify_success", False))),
        **overrides,
    )
