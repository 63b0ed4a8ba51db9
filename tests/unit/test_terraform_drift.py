"""Terraform and the local deployer must agree; a deliberate mismatch must be caught."""

import shutil

import pytest

from mlpipe.config import load_settings
from mlpipe.deploy.drift import drift
from mlpipe.deploy.terraform import TF_DIR


@pytest.mark.parametrize("target, env", [("local", "dev"), ("localstack", "dev"), ("aws", "prod")])
def test_no_drift(target, env):
    assert drift(load_settings(target=target, env=env)) == []


@pytest.mark.parametrize(
    "old, new, problem",
    [
        (
            'emr_schedule_expression = "cron(0/15 * * * ? *)"',
            'emr_schedule_expression = "cron(0/30 * * * ? *)"',
            "schedule expression: terraform 'cron(0/30 * * * ? *)'",
        ),
        (
            '"--quarantine" = "s3://${local.buckets.data}/quarantine/churn/"',
            '"--quarantine" = "s3://${local.buckets.data}/rejects/churn/"',
            "glue clean arguments",
        ),
        (
            'alerts_topic            = "${local.prefix}-alerts"',
            'alerts_topic            = "${local.prefix}-alarms"',
            "name alerts_topic: terraform 'mlpipe-dev-alarms'",
        ),
        (
            'churn     = "${path.root}/../build/asl/churn.asl.json"',
            'churn     = "${path.root}/../asl/churn.json"',
            "churn definition file",
        ),
    ],
)
def test_deliberate_mismatch_in_a_fixture_copy_fails(tmp_path, old, new, problem):
    copy = tmp_path / "terraform"
    shutil.copytree(TF_DIR, copy, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*"))
    main = copy / "main.tf"
    text = main.read_text()
    assert old in text
    main.write_text(text.replace(old, new))
    problems = drift(load_settings(), main_tf=main, variables_tf=copy / "variables.tf")
    assert len(problems) >= 1 and any(p.startswith(problem) for p in problems), problems
