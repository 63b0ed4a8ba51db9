"""The local cloud's HTTPS is real and aws:SecureTransport is decided from the connection:
a TLS-only bucket policy (the one Terraform applies) lets HTTPS requests through and denies
the same request over plain HTTP."""

from __future__ import annotations

import json
import socket

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, SSLError

from mlpipe.local_cloud import patches
from mlpipe.local_cloud.tls import Listeners, ca_path

pytestmark = [pytest.mark.server]


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def listeners(tmp_path, monkeypatch):
    monkeypatch.setenv("MOTO_PORT", "0")  # Listeners.start() sets both; undone after the test
    monkeypatch.setenv("AWS_CA_BUNDLE", "")
    patches.apply_all()
    server = Listeners("127.0.0.1", _port(), tmp_path)
    server.start()
    yield server
    server.stop()


def s3(endpoint, verify):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="t",
        aws_secret_access_key="t",
        verify=verify,
        config=Config(retries={"max_attempts": 1}),
    )


def test_tls_only_bucket_over_https_and_http(listeners, tmp_path):
    secure = s3(listeners.endpoint, str(ca_path(tmp_path)))
    secure.create_bucket(Bucket="tls-only")
    secure.put_bucket_policy(
        Bucket="tls-only",
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "DenyInsecureTransport",
                        "Effect": "Deny",
                        "Principal": {"AWS": "*"},
                        "Action": ["s3:GetObject", "s3:PutObject"],
                        "Resource": ["arn:aws:s3:::tls-only", "arn:aws:s3:::tls-only/*"],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    }
                ],
            }
        ),
    )
    secure.put_object(Bucket="tls-only", Key="k", Body=b"over tls")
    assert secure.get_object(Bucket="tls-only", Key="k")["Body"].read() == b"over tls"

    plain = s3(f"http://127.0.0.1:{listeners.internal_port}", None)
    with pytest.raises(ClientError) as denied:
        plain.get_object(Bucket="tls-only", Key="k")
    assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_certificate_is_verified(listeners):
    """Without the local cloud's CA, a client refuses the connection: the TLS is real."""
    with pytest.raises(SSLError):
        s3(listeners.endpoint, True).list_buckets()
