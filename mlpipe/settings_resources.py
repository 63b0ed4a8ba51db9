"""The pipelines' resources: Glue jobs, the serving image, the EMR cluster, the ASL context."""

from __future__ import annotations

from typing import Any

from mlpipe.settings_names import NamesMixin
from mlpipe.targets import PIPELINES, RETRY_ERRORS, ConfigError


class ResourcesMixin(NamesMixin):
    """Resource definitions of Settings (they use the names of NamesMixin)."""

    # ------------------------------------------------------------------ resources
    @property
    def glue_jobs(self) -> dict[str, dict[str, Any]]:
        """Both Glue jobs as the ASL and the CLI need them: name, script and sizing. Their
        DefaultArguments live in one place only, Terraform's (terraform/main.tf)."""
        sizing = {
            "glue_version": "5.0",
            "worker_type": "G.1X",
            "number_of_workers": 2,
            "timeout_minutes": 60,
            "max_concurrent_runs": 1,
        }
        return {
            key: {
                **sizing,
                "name": self.name(f"{key}_job"),
                "script": self.paths["glue_scripts"] + script,
            }
            for key, script in (("clean", "clean_customers.py"), ("features", "build_features.py"))
        }

    @property
    def sklearn_image(self) -> str:
        from mlpipe.serving import image_uri

        return image_uri(self.sklearn_image_tag, self.region)

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
