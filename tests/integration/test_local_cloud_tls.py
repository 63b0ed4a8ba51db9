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


def test_a_silent_or_broken_client_stalls_no_one(listeners, tmp_path):
    """The TLS handshake runs on each connection's own thread: a client that connects and
    sends nothing, or sends garbage, delays no other client (it used to stall every client,
    Terraform's provider included, for as long as it stayed connected)."""
    silent = socket.create_connection(("127.0.0.1", listeners.port))
    garbage = socket.create_connection(("127.0.0.1", listeners.port))
    garbage.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")  # plain HTTP, not TLS
    try:
        client = boto3.client(
            "s3",
            endpoint_url=listeners.endpoint,
            region_name="us-east-1",
            aws_access_key_id="t",
            aws_secret_access_key="t",
            verify=str(ca_path(tmp_path)),
            config=Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=5),
        )
        client.create_bucket(Bucket="still-served")
        assert "still-served" in [b["Name"] for b in client.list_buckets()["Buckets"]]
        garbage.settimeout(5)
        assert garbage.recv(1024) == b""  # the failed handshake was dropped at once
    finally:
        silent.close()
        garbage.close()


def test_a_stalled_handshake_is_dropped_after_the_idle_timeout(tmp_path, monkeypatch):
    from mlpipe.local_cloud import tls

    monkeypatch.setattr(tls, "CONNECTION_IDLE_TIMEOUT", 0.5)
    monkeypatch.setenv("MOTO_PORT", "0")
    monkeypatch.setenv("AWS_CA_BUNDLE", "")
    patches.apply_all()
    server = Listeners("127.0.0.1", _port(), tmp_path)
    server.start()
    try:
        silent = socket.create_connection(("127.0.0.1", server.port))
        silent.settimeout(10)
        assert silent.recv(1024) == b""  # closed by the server, not by our 10 s limit
        silent.close()
    finally:
        server.stop()
