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
    """Build the artefacts, then terraform plan for the target (exit 0 either way; says
    whether anything would change)."""
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


@task
def docs(c: Context) -> None:
    """Regenerate every module README (inputs/outputs tables, usage) from the HCL."""
    for path in tf.write_module_docs():
        print(f"wrote {path}")
