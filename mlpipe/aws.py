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


def endpoint_client(service: str, endpoint: str, region: str = "us-east-1"):
    """A client for an explicit endpoint (the local cloud's runtimes call their own server).
    A fresh session per call: these are created from worker threads, and boto3 sessions are
    not thread-safe."""
    session = boto3.session.Session(
        aws_access_key_id="local", aws_secret_access_key="local", region_name=region
    )
    return session.client(service, endpoint_url=endpoint)


def split_s3(uri: str) -> tuple[str, str]:
    """``s3://bucket/key`` -> ``(bucket, key)``."""
    if not uri.startswith("s3://"):
        raise ValueError(f"not an s3:// URI: {uri}")
    bucket, _, key = uri[len("s3://") :].partition("/")
    return bucket, key
