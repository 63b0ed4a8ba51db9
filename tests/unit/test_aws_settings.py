"""Settings for the aws target resolve every account-dependent value (issue 17, blocker 7)."""

import json
import re

import pytest
from moto import mock_aws

from mlpipe.asl import render
from mlpipe.config import PIPELINES, ConfigError, load_settings

UNRESOLVED = re.compile(r"\$\{[^}]*\}")


def everything(settings) -> str:
    """Every value a task reads from Settings, as one text."""
    values = {
        "buckets": [settings.bucket(k) for k in ("data", "artifacts", "logs")],
        "paths": settings.paths,
        "glue_jobs": settings.glue_jobs,
        "emr": settings.emr_cluster,
        "topic": settings.topic_arn,
        "machines": [settings.state_machine_arn(p) for p in PIPELINES],
        "roles": [settings.role_arn(k) for k in ("emr_service_role", "sagemaker_role")],
        "contexts": [settings.asl_context(p) for p in PIPELINES],
        "image": settings.sklearn_image,
    }
    return json.dumps(values, default=str)


@pytest.fixture
def aws(monkeypatch):
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield


def test_aws_settings_hold_no_unresolved_placeholders(aws):
    settings = load_settings(target="aws", env="prod")
    text = everything(settings)
    assert UNRESOLVED.findall(text) == []
    assert settings.account_id == "123456789012"  # moto's STS answers GetCallerIdentity
    assert settings.bucket("data") == "mlpipe-prod-data-123456789012"
    assert settings.topic_arn == "arn:aws:sns:us-east-1:123456789012:mlpipe-prod-alerts"
    # the concrete definitions (what `invoke run` compares against) too
    for pipeline in PIPELINES:
        assert UNRESOLVED.findall(json.dumps(render(pipeline, settings, terraform=False))) == []


def test_the_check_sees_a_placeholder():
    assert UNRESOLVED.findall('{"a": "s3://x-${account_id}/"}') == ["${account_id}"]


def test_aws_account_without_credentials_is_one_clear_line(monkeypatch):
    settings = load_settings(target="aws")

    def no_credentials(*_a, **_k):
        raise RuntimeError("Unable to locate credentials")

    monkeypatch.setattr("mlpipe.aws.client", no_credentials)
    with pytest.raises(
        ConfigError, match=r"^target aws: cannot resolve the AWS account id from STS"
    ):
        _ = settings.account_id
