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
        fail(
            f"deploy --target {settings.target} needs Terraform with the hashicorp/aws provider, which is not available here; use --target local",
            code=2,
        )
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
