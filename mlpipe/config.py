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

from dataclasses import dataclass, field
from typing import Any

from mlpipe import ROOT
from mlpipe.settings_resources import ResourcesMixin
from mlpipe.targets import (  # re-exported: mlpipe.config is the settings API
    ENV_RE,
    PIPELINES,
    RETRY_ERRORS,
    TARGETS,
    ConfigError,
    shown,
)

__all__ = [
    "ENV_RE",
    "PIPELINES",
    "RETRY_ERRORS",
    "TARGETS",
    "ConfigError",
    "Settings",
    "load_defaults",
    "load_settings",
]


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
class Settings(ResourcesMixin):
    """All settings of one target + env: fields here, behaviour by concern in the mixins
    (settings_target: endpoints < settings_names: names/ARNs/paths < settings_resources: jobs,
    image, cluster, ASL context)."""

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
            raise ConfigError(
                f"unknown target {shown(self.target)}: choose one of {', '.join(TARGETS)}"
            )
        if not ENV_RE.fullmatch(self.env):
            raise ConfigError(
                "env must be 1-20 ASCII lower-case letters, digits and dashes, starting with a "
                f"letter (it is part of every bucket and role name), got {shown(self.env)}"
            )

    # The SageMaker scikit-learn serving image the model runs in on AWS. Terraform derives the
    # region's URI (data "aws_sagemaker_prebuilt_ecr_image"); the model is trained in a venv
    # pinned to this tag's versions (mlpipe.serving.SERVING_IMAGES).
    sklearn_image_tag: str = "1.9-0-cpu-py3"
    # EventBridge syntax for lab 2's "every 15 minutes" (the lab writes it as 0 */15 * ? * *).
    emr_schedule_expression: str = "cron(0/15 * * * ? *)"


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
        raise ConfigError(
            f"local_port must be a number, got {shown(d.get('local_port'))}"
        ) from None
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
