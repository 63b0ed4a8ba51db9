"""terraform validate/plan per environment. They need the hashicorp/aws provider, which these
offline machines cannot download; where it is installed they run unchanged."""

import subprocess

import pytest

from mlpipe.deploy.terraform import TF_DIR, provider_installed, terraform_bin, var_file

NO_PROVIDER = "hashicorp/aws provider not installed (no network to the Terraform registry): run `invoke tf.init` where it is reachable"


@pytest.mark.skipif(not provider_installed(), reason=NO_PROVIDER)
def test_validate():
    proc = subprocess.run(
        [terraform_bin(), "validate", "-no-color"], cwd=TF_DIR, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr


@pytest.mark.skipif(not provider_installed(), reason=NO_PROVIDER)
@pytest.mark.parametrize("target, env", [("local", "dev"), ("localstack", "dev"), ("aws", "dev")])
def test_plan(target, env):
    proc = subprocess.run(
        [
            terraform_bin(),
            "plan",
            "-input=false",
            "-no-color",
            f"-var-file={var_file(target, env)}",
        ],
        cwd=TF_DIR,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
