"""AWS clients for a target: the local cloud and LocalStack through localstack-client
(same endpoint resolution for both), AWS through the default boto3 credential chain."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlparse

import boto3

from mlpipe.config import Settings


@lru_cache(maxsize=8)
def _session(endpoint: str | None, region: str):
    if endpoint:
        from localstack_client.session import Session

        return Session(
            localstack_host=urlparse(endpoint).netloc,
            region_name=region,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
    return boto3.session.Session(region_name=region)


def client(settings: Settings, service: str):
    return _session(settings.endpoint, settings.region).client(service)


def split_s3(uri: str) -> tuple[str, str]:
    """``s3://bucket/key`` -> ``(bucket, key)``."""
    if not uri.startswith("s3://"):
        raise ValueError(f"not an s3:// URI: {uri}")
    bucket, _, key = uri[len("s3://") :].partition("/")
    return bucket, key
