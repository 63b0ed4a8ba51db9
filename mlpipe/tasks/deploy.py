"""Deploy and destroy: Terraform for every target (mlpipe.deploy.terraform)."""

from __future__ import annotations

from invoke import task

from mlpipe.tasks._common import fail, settings_for

TARGET_HELP = {
    "target": "local | localstack | aws (default: mlpipe.target)",
    "env": "environment (default: mlpipe.env)",
}


def stack(c, target=None, env=None):
    """The Terraform stack for a task's target/env, with a one-line exit when Terraform or a
    reachable endpoint is missing."""
    from mlpipe.deploy.terraform import TerraformUnavailable, stack_for, terraform_bin

    settings = settings_for(c, target, env)
    try:
        terraform_bin()
        return stack_for(settings, dict(c.config.mlpipe))
    except TerraformUnavailable as exc:
        fail(str(exc), code=2)


def require_endpoint(settings) -> None:
    """The local cloud must be up before Terraform talks to it."""
    from mlpipe.local_cloud.control import endpoint_reachable

    if settings.target == "local" and not endpoint_reachable(settings.endpoint, settings.ca_bundle):
        fail(f"the local cloud is not running at {settings.endpoint}: run `invoke local.up`", code=3)


def guarded(fn, *args, **kwargs):
    from mlpipe.deploy.terraform import TerraformFailed, TerraformUnavailable

    try:
        return fn(*args, **kwargs)
    except (TerraformFailed, TerraformUnavailable) as exc:
        fail(str(exc), code=1)


@task(help=TARGET_HELP)
def deploy(c, target=None, env=None):
    """Render ASL, package jobs and model, then terraform init + apply for the target."""
    s = stack(c, target, env)
    require_endpoint(s.settings)
    print(f"deploying {s.settings.target}/{s.settings.env} with Terraform (state {s.state_file})")
    guarded(s.apply)


@task(help={**TARGET_HELP, "apply": "really destroy (default: show the destroy plan, a dry run)"})
def destroy(c, target=None, env=None, apply=False):
    """terraform destroy of a deployment, data included (dry run = plan -destroy)."""
    s = stack(c, target, env)
    require_endpoint(s.settings)
    if not apply:
        guarded(s.plan, destroy=True)
        print("dry run: nothing was destroyed; run again with --apply to destroy")
        return
    guarded(s.destroy)
