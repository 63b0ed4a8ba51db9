"""Every resource name, ARN, tag and S3 path of a deployment, from project/env/region."""

from __future__ import annotations

from functools import cached_property

from mlpipe.settings_target import TargetMixin
from mlpipe.targets import PIPELINES


class NamesMixin(TargetMixin):
    """Names, ARNs, tags and S3 layout of Settings."""

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
            # Glue 5.0 --custom-logGroup-prefix: the env's jobs log to <prefix>/output|error
            "glue_log_prefix": f"/aws-glue/jobs/{self.prefix}",
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
