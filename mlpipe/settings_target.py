"""Where a target's services are: endpoint, CA, account, retry policy, task timeout."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from mlpipe.config import Settings

from mlpipe.targets import TARGETS, ConfigError, repo_path


class TargetMixin:
    """Target facts of Settings."""

    # the Settings fields these methods read (declared for type checkers; Settings defines them)
    target: str
    env: str
    project: str
    region: str
    extra_tags: dict[str, str]
    names: dict[str, str]
    notify_success: bool
    emr: dict[str, Any]
    retry_override: dict[str, Any]
    endpoint_override: str
    local_state_dir: str
    local_port: int
    localstack_endpoint: str
    sklearn_image_tag: str
    emr_schedule_expression: str

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

            state_dir = repo_path(self.local_state_dir)
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

        path = ca_path(repo_path(self.local_state_dir))
        return str(path) if path.exists() else None

    @cached_property
    def account_id(self) -> str:
        fixed: str | None = TARGETS[self.target]["account_id"]
        if fixed:
            return fixed
        from mlpipe.aws import client  # lazy: mlpipe.aws imports this module

        try:
            account: str = client(cast("Settings", self), "sts").get_caller_identity()["Account"]
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
