"""The fixed facts per target (local cloud, LocalStack, AWS) and the config's one error type."""

from __future__ import annotations

import os
import re
from typing import Any

from mlpipe import ROOT

PIPELINES = ("churn", "emr", "inference")
# Every resource name is <project>-<env>-...: S3 and IAM allow ASCII only and cap lengths.
ENV_RE = re.compile(r"[a-z][a-z0-9-]{0,19}")

TARGETS: dict[str, dict[str, Any]] = {
    "local": {
        "endpoint": "http://127.0.0.1:4566",
        "account_id": "123456789012",
        # The local cloud really sleeps between retries: keep them short.
        "retry": {
            "interval": 1,
            "backoff": 2.0,
            "max_attempts": 2,
            "max_delay": 4,
            "jitter": "FULL",
        },
        "task_timeout": 900,
    },
    "localstack": {
        "endpoint": "http://localhost:4566",
        "account_id": "000000000000",
        "retry": {
            "interval": 2,
            "backoff": 2.0,
            "max_attempts": 3,
            "max_delay": 30,
            "jitter": "FULL",
        },
        "task_timeout": 1800,
    },
    "aws": {
        "endpoint": None,
        "account_id": None,  # resolved from STS (the caller's account)
        "retry": {
            "interval": 30,
            "backoff": 2.0,
            "max_attempts": 3,
            "max_delay": 300,
            "jitter": "FULL",
        },
        "task_timeout": 3600,
    },
}

# Transient errors worth retrying, per integration, as Step Functions reports them: service
# errors always carry the service prefix (a bare "ThrottlingException" never matches).
# Never States.Timeout on Glue (the task timed out while the job may still run: a retry would
# start a second run) nor on CreateCluster (the first cluster may still be starting).
RETRY_ERRORS = {
    "glue": [
        "Glue.ConcurrentRunsExceededException",
        "Glue.InternalServiceException",
        "Glue.ThrottlingException",
    ],
    "emr_create": ["EMR.AmazonElasticMapReduceException"],
    "emr_terminate": ["EMR.AmazonElasticMapReduceException", "States.Timeout"],
    "sagemaker": ["SageMaker.AmazonSageMakerException"],
    "sns": ["SNS.ThrottledException", "SNS.InternalErrorException"],
    # aws-sdk integrations (input check, single-flight guard): read-only, safe to retry.
    "sdk": ["Sfn.SfnException", "S3.S3Exception"],
}


class ConfigError(ValueError):
    """A bad target/env/setting: reported as one line."""


def shown(value: object, limit: int = 40, plain: bool = False) -> str:
    """``value`` as an error message quotes it: its repr (``plain``: its text, e.g. a path),
    cut to ``limit`` characters."""
    text = str(value) if plain else repr(value)
    if len(text) <= limit:
        return text
    return text[: limit - 3] + "..." if plain else text[: limit - 4] + "...'"


def repo_path(value: str) -> str:
    """``value`` relative to the repository root unless absolute."""
    return value if os.path.isabs(value) else str(ROOT / value)
