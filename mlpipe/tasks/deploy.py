"""Deploy and destroy: Terraform for every target (mlpipe.deploy.terraform)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from invoke import Context, task

from mlpipe.tasks._common import fail, settings_for

if TYPE_CHECKING:
    from mlpipe.config import Settings
    from mlpipe.deploy.terraform import Stack

P = ParamSpec("P")
T = TypeVar("T")

TARGET_HELP = {
    "target": "local | localstack | aws (default: mlpipe.target)",
    "env": "environment (default: mlpipe.env)",
}


def stack(c: Context, target: str | None = None, env: str | None = None) -> Stack:
    """The Terraform stack for a task's target/env, with a one-line exit when Terraform or a
    reachable endpoint is missing."""
    from mlpipe.deploy.terraform import TerraformUnavailable, stack_for, terraform_bin
    from mlpipe.targets import ConfigError

    settings = settings_for(c, target, env)
    try:
        terraform_bin()
        return stack_for(settings, dict(c.config.mlpipe))
    except (TerraformUnavailable, ConfigError) as exc:
        fail(str(exc), code=2)


def require_endpoint(settings: Settings) -> None:
    """The local cloud must be up before Terraform talks to it."""
    from mlpipe.local_cloud.control import endpoint_reachable

    if settings.target == "local" and not endpoint_reachable(settings.endpoint, settings.ca_bundle):
        fail(
            f"the local cloud is not running at {settings.endpoint}: run `invoke local.up`", code=3
        )


def guarded(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    from mlpipe.deploy.terraform import TerraformFailed, TerraformUnavailable

    try:
        return fn(*args, **kwargs)
    except (TerraformFailed, TerraformUnavailable) as exc:
        fail(str(exc), code=1)


@task(help=TARGET_HELP)
def deploy(c: Context, target: str | None = None, env: str | None = None) -> None:
    """Render ASL, package jobs and model, then terraform init + apply for the target."""
    s = stack(c, target, env)
    require_endpoint(s.settings)
    print(
        f"deploying {s.settings.target}/{s.settings.env} with Terraform (state {s.state_location})"
    )
    guarded(s.apply)


@task(help={**TARGET_HELP, "apply": "really destroy (default: show the destroy plan, a dry run)"})
def destroy(
    c: Context, target: str | None = None, env: str | None = None, apply: bool = False
) -> None:
    """Stop the env's running work, then terraform destroy, data included (dry run = plan -destroy)."""
    from mlpipe import cleanup

    s = stack(c, target, env)
    require_endpoint(s.settings)
    running = [r for r in cleanup.plan(s.settings) if r.kind in cleanup.RUNNING_KINDS]
    if not apply:
        guarded(s.plan, destroy=True)
        for r in running:
            print(f"would stop first: {r.kind} {r.name}")
        print("dry run: nothing was stopped or destroyed; run again with --apply to destroy")
        return
    if running:
        print(f"stopping {len(running)} running executions, job runs, clusters or transforms first")
        report = cleanup.apply(running)
        if not report.ok:
            failed = "; ".join(f"{r.kind} {r.name}: {msg}" for r, msg in report.failed)
            fail(f"could not stop running work, nothing destroyed: {failed}", code=1)
    guarded(s.destroy)
