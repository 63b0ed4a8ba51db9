"""Terraform commands one at a time (deploy/destroy run the whole sequence)."""

from __future__ import annotations

import shlex

from invoke import Context, task

from mlpipe.deploy import terraform as tf
from mlpipe.tasks._common import fail
from mlpipe.tasks.deploy import TARGET_HELP, guarded, require_endpoint, stack


@task(help={"check": "only check formatting (exit 3 when a file needs it)"})
def fmt(c: Context, check: bool = False) -> None:
    """terraform fmt -recursive."""
    cmd = guarded(tf.fmt_cmd, check)
    with c.cd(str(tf.TF_DIR)):
        result = c.run(cmd, warn=True, pty=False)
    if result is not None and result.exited != 0:
        fail(f"`{cmd}` exited {result.exited}", code=result.exited or 1)


@task(help=TARGET_HELP)
def init(c: Context, target: str | None = None, env: str | None = None) -> None:
    """terraform init, offline from a provider mirror when one is found (see README)."""
    s = stack(c, target, env)
    print(shlex.join(guarded(s.init_cmd)))
    guarded(s.init)


@task(help=TARGET_HELP)
def plan(c: Context, target: str | None = None, env: str | None = None) -> None:
    """Build the artefacts, then terraform plan for the target; says whether anything changes.

    Exits 0 whether or not anything would change."""
    s = stack(c, target, env)
    require_endpoint(s.settings)
    changes = guarded(s.plan)
    print("changes pending" if changes else "No changes.")


@task(help=TARGET_HELP)
def apply(c: Context, target: str | None = None, env: str | None = None) -> None:
    """Build the artefacts, then terraform apply (the same as `invoke deploy`)."""
    s = stack(c, target, env)
    require_endpoint(s.settings)
    guarded(s.apply)


@task(help={**TARGET_HELP, "apply": "really create the bucket (default: say what would be done)"})
def bootstrap(
    c: Context, target: str | None = None, env: str | None = None, apply: bool = False
) -> None:
    """Create the S3 bucket for the target's Terraform state, once per account and region.

    The bucket is versioned, encrypted and TLS only. An existing bucket is left as it is."""
    from mlpipe.aws import client
    from mlpipe.deploy.backend import bootstrap_state_bucket, state_bucket_tags

    s = stack(c, target, env)
    if s.backend is None:
        fail(
            f"target {s.settings.target} keeps its state in a local file ({s.state_file}); "
            "nothing to bootstrap (set mlpipe.tf_backend=s3 for a bucket)",
            code=2,
        )
    require_endpoint(s.settings)
    tags = state_bucket_tags(s.settings)
    for line in bootstrap_state_bucket(client(s.settings, "s3"), s.backend, tags, apply=apply):
        print(line)
    if not apply:
        print("dry run: nothing was created; run again with --apply")


@task
def docs(c: Context) -> None:
    """Regenerate every module README (inputs/outputs tables, usage) from the HCL."""
    for path in tf.write_module_docs():
        print(f"wrote {path}")
