"""HTTPS for the local cloud: a CA generated per state dir and a loopback server certificate.

The data buckets carry the TLS-only policy users deploy to AWS (Deny when
``aws:SecureTransport`` is false). The local cloud decides SecureTransport truthfully from the
connection, so it serves HTTPS on its public port. Clients trust it through the CA file
``<state_dir>/tls/ca.pem``: boto3 and the AWS CLI via ``AWS_CA_BUNDLE`` or ``verify=``, and
Terraform's AWS provider via ``AWS_CA_BUNDLE``. Nothing here leaves loopback: the certificate
names only ``127.0.0.1``, ``::1`` and ``localhost``, and the CA key stays in the state dir.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import threading

    from werkzeug.serving import BaseWSGIServer

TLS_DIR = "tls"
CA_FILE = "ca.pem"
CERT_FILE = "server.pem"
KEY_FILE = "server.key"


def ca_path(state_dir: str | Path) -> Path:
    return Path(state_dir) / TLS_DIR / CA_FILE


def ensure_certificates(state_dir: str | Path) -> tuple[Path, Path, Path]:
    """(ca.pem, server.pem, server.key) under ``<state_dir>/tls``, created once."""
    tls = Path(state_dir) / TLS_DIR
    ca, cert, key = tls / CA_FILE, tls / CERT_FILE, tls / KEY_FILE
    if not (ca.exists() and cert.exists() and key.exists()):
        tls.mkdir(parents=True, exist_ok=True)
        _generate(ca, cert, key)
    return ca, cert, key


def server_context(state_dir: str | Path) -> ssl.SSLContext:
    _, cert, key = ensure_certificates(state_dir)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(cert), str(key))
    return context


def _generate(ca_file: Path, cert_file: Path, key_file: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mlpipe local cloud CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=825))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.IPAddress(ipaddress.ip_address("::1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    key_file.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    os.chmod(key_file, 0o600)
    cert_file.write_bytes(cert.public_bytes(pem))
    ca_file.write_bytes(ca_cert.public_bytes(pem))


# Seconds a connection may sit idle in one socket operation (the TLS handshake included) before
# its thread drops it. A request in progress in the app is not bounded by this.
CONNECTION_IDLE_TIMEOUT = 30.0


def handshake_in_thread(handler: type) -> type:
    """``handler`` (a werkzeug request handler) that completes the TLS handshake on its own
    connection thread, within ``CONNECTION_IDLE_TIMEOUT``, and drops a connection whose
    handshake fails or stalls instead of answering it."""

    class HandshakeInThread(handler):  # type: ignore[misc]
        timeout = CONNECTION_IDLE_TIMEOUT  # socketserver applies it to the connection in setup()

        def handle(self) -> None:
            try:
                self.connection.do_handshake()
            except (OSError, ValueError):  # ssl.SSLError and socket.timeout are OSErrors
                self.close_connection = True
                return
            super().handle()

    HandshakeInThread.__name__ = f"HandshakeInThread{handler.__name__}"
    return HandshakeInThread


class Listeners:
    """The moto app on two sockets: HTTPS on the public port (what users, Terraform and the
    runtimes call) and plain HTTP on an ephemeral loopback port for moto's Step Functions
    engine, which calls services back on ``http://localhost:$MOTO_PORT``."""

    def __init__(self, host: str, port: int, state_dir: str | Path):
        self.host, self.port, self.state_dir = host, port, Path(state_dir)
        self._servers: list[BaseWSGIServer] = []
        self._threads: list[threading.Thread] = []
        self.internal_port: int | None = None

    @property
    def endpoint(self) -> str:
        return f"https://{self.host}:{self.port}"

    def start(self) -> None:
        import threading

        from werkzeug.serving import make_server

        from mlpipe.local_cloud.patches import moto_wsgi_app

        app, request_handler = moto_wsgi_app()
        public = make_server(
            self.host,
            self.port,
            app,
            threaded=True,
            request_handler=handshake_in_thread(request_handler),
            ssl_context=server_context(self.state_dir),
        )
        # The listening socket would do each TLS handshake inside accept(), on the one thread
        # that accepts every connection: a client that connects and says nothing (or a slow
        # one under load) would stall all others. Each connection's thread does its own.
        public.socket.do_handshake_on_connect = False  # type: ignore[attr-defined]
        internal = make_server("127.0.0.1", 0, app, threaded=True, request_handler=request_handler)
        self.internal_port = internal.server_address[1]
        os.environ["MOTO_PORT"] = str(self.internal_port)
        os.environ["AWS_CA_BUNDLE"] = str(ca_path(self.state_dir))
        for server in (public, internal):
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            self._servers.append(server)
            self._threads.append(thread)

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
        for thread in self._threads:
            thread.join(timeout=5)
