"""build_model_artifact reuses a model only if it was built with the serving image's versions."""

from __future__ import annotations

import io
import json
import tarfile

import pytest

from mlpipe import packaging, serving


def _artifact(path, versions):
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = json.dumps({"holdout_rmse": 1.0, "versions": versions}).encode()
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("metrics.json")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))


@pytest.fixture
def trained(monkeypatch):
    calls = []

    def fake_train(venv_root, out):
        calls.append((venv_root, out))
        _artifact(out, {"python": "3.12", **serving.image()["pins"]})
        return {"holdout_rmse": 1.0, "versions": {"python": "3.12", **serving.image()["pins"]}}

    monkeypatch.setattr(serving, "train_in_serving_env", fake_train)
    return calls


def test_a_model_from_other_versions_is_rebuilt_in_the_serving_env(tmp_path, trained):
    out = tmp_path / "models" / "abalone" / "model.tar.gz"
    _artifact(out, {"python": "3.11", "scikit-learn": "1.9.1"})
    path, metrics = packaging.build_model_artifact(
        tmp_path, serving_env=True, venv_root=tmp_path / "v"
    )
    assert trained == [(tmp_path / "v", out)] and path == out
    assert serving.matches_image(metrics["versions"])
    # now it matches: reused, not retrained
    packaging.build_model_artifact(tmp_path, serving_env=True)
    assert len(trained) == 1


def test_without_the_image_python_the_local_model_is_kept(tmp_path, trained, monkeypatch):
    monkeypatch.setattr(serving, "find_python", lambda version: None)
    out = tmp_path / "models" / "abalone" / "model.tar.gz"
    _artifact(out, {"python": "3.11"})
    _, metrics = packaging.build_model_artifact(tmp_path)  # serving_env=None: fall back
    assert trained == [] and metrics["versions"] == {"python": "3.11"}


def test_missing_interpreter_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(serving, "find_python", lambda version: None)
    with pytest.raises(serving.ServingEnvError, match=r"runs Python 3\.12, which is not installed"):
        serving.ensure_venv(tmp_path)
