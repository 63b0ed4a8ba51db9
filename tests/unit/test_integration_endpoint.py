"""The integration fixture addresses any endpoint through the one config loader: LocalStack
from the environment, with no local cloud running."""

from tests.integration.conftest import resolve_endpoint


def test_localstack_endpoint_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("INVOKE_MLPIPE_TARGET", "localstack")
    monkeypatch.setenv("INVOKE_MLPIPE_LOCALSTACK_ENDPOINT", "http://localhost:4599")
    monkeypatch.setenv("INVOKE_MLPIPE_LOCAL_STATE_DIR", str(tmp_path / "no-local-cloud"))
    assert resolve_endpoint() == ("localstack", "http://localhost:4599")


def test_local_cloud_endpoint_from_its_pid_file(monkeypatch, tmp_path):
    import os

    from mlpipe.local_cloud.control import PidFile

    PidFile(os.getpid(), 4588).write(tmp_path / "server.pid")
    monkeypatch.delenv("INVOKE_MLPIPE_TARGET", raising=False)
    monkeypatch.setenv("INVOKE_MLPIPE_LOCAL_STATE_DIR", str(tmp_path))
    assert resolve_endpoint() == ("local", "https://127.0.0.1:4588")
