"""tf tasks with MockContext: exact command lines; missing provider -> one-line error."""

import pytest
from invoke import Config, Exit, MockContext, Result

from mlpipe import ROOT
from mlpipe.deploy import terraform as tf
from mlpipe.tasks import deploy
from mlpipe.tasks import tf as tf_tasks


def ctx(run=None):
    config = Config(project_location=str(ROOT))
    config.load_project()
    return MockContext(
        config=config, run=run if run is not None else Result()
    )  # a failed Result is falsy


def test_fmt_check_command():
    c = ctx({f"{tf.terraform_bin()} fmt -recursive -check": Result()})
    tf_tasks.fmt(c, check=True)
    assert c.run.call_args[0][0] == f"{tf.terraform_bin()} fmt -recursive -check"


def test_init_with_s3_backend_command(tmp_path, monkeypatch):
    monkeypatch.setattr(tf, "backend_override", lambda: tmp_path / "backend_override.tf")
    c = ctx()
    tf_tasks.init(c, target="aws", env="prod", backend_bucket="state-bucket")
    assert c.run.call_args[0][0] == (
        f"{tf.terraform_bin()} init -input=false -backend-config=bucket=state-bucket "
        "-backend-config=key=mlpipe/prod/terraform.tfstate -backend-config=region=us-east-1"
    )


@pytest.mark.parametrize(
    "task, kwargs, expected",
    [
        (
            tf_tasks.plan,
            {"target": "aws", "env": "dev"},
            "plan -input=false -var-file=environments/aws-dev.tfvars -out=mlpipe.tfplan",
        ),
        (
            tf_tasks.apply,
            {"target": "localstack"},
            "apply -input=false -auto-approve -var-file=environments/localstack.tfvars",
        ),
        (
            tf_tasks.destroy,
            {"target": "aws", "env": "dev"},
            "plan -input=false -destroy -var-file=environments/aws-dev.tfvars",
        ),
        (
            tf_tasks.destroy,
            {"target": "aws", "env": "dev", "apply": True},
            "destroy -input=false -auto-approve -var-file=environments/aws-dev.tfvars",
        ),
    ],
)
def test_provider_commands(monkeypatch, task, kwargs, expected):
    monkeypatch.setattr(tf, "provider_installed", lambda tf_dir=tf.TF_DIR: True)
    c = ctx()
    task(c, **kwargs)
    assert c.run.call_args[0][0] == f"{tf.terraform_bin()} {expected}"
    assert "-force" not in c.run.call_args[0][0]


def test_missing_provider_is_one_line(monkeypatch):
    monkeypatch.setattr(tf, "provider_installed", lambda tf_dir=tf.TF_DIR: False)
    with pytest.raises(Exit) as err:
        tf_tasks.plan(ctx(), target="aws")
    assert (
        err.value.message.startswith("error: the hashicorp/aws provider is not installed")
        and "\n" not in err.value.message
    )
    with pytest.raises(Exit) as err:
        deploy.deploy(ctx(), target="aws")
    assert err.value.message.startswith(
        "error: deploy --target aws: the hashicorp/aws provider is not installed"
    )
    assert err.value.code == 2


def test_failed_command_is_one_line_exit(monkeypatch):
    monkeypatch.setattr(tf, "provider_installed", lambda tf_dir=tf.TF_DIR: True)
    with pytest.raises(Exit, match=r"exited 1$"):
        tf_tasks.apply(ctx(Result(exited=1)), target="aws")
