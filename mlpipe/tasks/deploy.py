"""Deploy the pipelines to a target."""

from __future__ import annotations

from collections import Counter

from invoke import task

from mlpipe.tasks._common import fail, repo_path, setting, settings_for


@task(
    help={
        "target": "local | localstack | aws (default: mlpipe.target)",
        "env": "environment (default: mlpipe.env)",
    }
)
def deploy(c, target=None, env=None):
    """Render ASL, package jobs and create/update every resource (idempotent)."""
    settings = settings_for(c, target, env)
    if settings.target != "local":
        _deploy_terraform(c, settings)
        return
    from botocore.exceptions import EndpointConnectionError

    from mlpipe.deploy.local import LocalDeployer

    try:
        changes = LocalDeployer(settings, repo_path(setting(c, "build_dir"))).deploy()
    except EndpointConnectionError:
        fail(
            f"the local cloud is not running at {settings.endpoint}: run `invoke local.up`", code=3
        )
    for change in changes:
        if change.action != "unchanged":
            print(f"  {change.action:<9} {change.kind:<18} {change.name}")
    counts = Counter(ch.action for ch in changes)
    if counts["created"] or counts["updated"]:
        print(
            f"deployed to {settings.target}/{settings.env}: {counts['created']} created, {counts['updated']} updated, {counts['unchanged']} unchanged"
        )
    else:
        print(
            f"no changes: all {counts['unchanged']} resources of {settings.target}/{settings.env} are up to date"
        )


def _deploy_terraform(c, settings):
    """aws / localstack: render ASL -> package jobs and model -> terraform apply."""
    from mlpipe.asl import render_all
    from mlpipe.deploy import terraform as tf
    from mlpipe.packaging import build_model_artifact, build_transforms_zip
    from mlpipe.tasks.tf import run_terraform

    try:
        tf.require_provider()
    except tf.TerraformUnavailable as exc:
        fail(f"deploy --target {settings.target}: {exc}", code=2)
    build = repo_path(setting(c, "build_dir"))
    render_all(settings, build / "asl")
    build_transforms_zip(build)
    build_model_artifact(build)
    run_terraform(c, tf.apply_cmd(settings.target, settings.env))
