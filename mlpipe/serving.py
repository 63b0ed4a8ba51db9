"""The SageMaker scikit-learn serving image, and a local environment pinned to its versions.

A joblib pickle only loads under the library versions that wrote it (numpy 2 pickles need
``numpy._core``; scikit-learn warns or fails across versions), so the abalone model is trained
and packaged in a venv whose Python, scikit-learn, numpy, scipy and joblib equal the serving
image's. The pins come from the image's sources (aws/deep-learning-containers,
``docker/sklearn/1.9-0/pyproject.toml`` and ``uv.lock``; the tag from
``.github/config/image/sklearn/sagemaker-1.9-0.yml``). Terraform derives the image URI for the
region with ``data "aws_sagemaker_prebuilt_ecr_image"``; ``image_uri()`` is the same table for
Python callers.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from mlpipe import ROOT

DEFAULT_TAG = "1.9-0-cpu-py3"

# tag -> the image's Python and the libraries a pickled pipeline depends on.
SERVING_IMAGES: dict[str, dict[str, Any]] = {
    "1.9-0-cpu-py3": {
        "python": "3.12",
        "pins": {
            "scikit-learn": "1.9.0",
            "numpy": "2.5.1",
            "scipy": "1.18.0",
            "joblib": "1.5.3",
            "threadpoolctl": "3.6.0",
        },
    },
}

# AWS's registry account of sagemaker-scikit-learn per region (the SageMaker Python SDK's
# image_uri_config/sklearn.json; the Terraform provider carries the same table).
REGISTRIES = {
    "af-south-1": "510948584623",
    "ap-east-1": "651117190479",
    "ap-northeast-1": "354813040037",
    "ap-northeast-2": "366743142698",
    "ap-northeast-3": "867004704886",
    "ap-south-1": "720646828776",
    "ap-southeast-1": "121021644041",
    "ap-southeast-2": "783357654285",
    "ca-central-1": "341280168497",
    "eu-central-1": "492215442770",
    "eu-north-1": "662702820516",
    "eu-south-1": "978288397137",
    "eu-west-1": "141502667606",
    "eu-west-2": "764974769150",
    "eu-west-3": "659782779980",
    "me-south-1": "801668240914",
    "sa-east-1": "737474898029",
    "us-east-1": "683313688378",
    "us-east-2": "257758044811",
    "us-west-1": "746614075791",
    "us-west-2": "246618743249",
}


class ServingEnvError(RuntimeError):
    """The serving image's environment cannot be built here (one clear line)."""


def image(tag: str = DEFAULT_TAG) -> dict[str, Any]:
    try:
        return SERVING_IMAGES[tag]
    except KeyError:
        raise ServingEnvError(
            f"unknown serving image tag {tag!r}: known {', '.join(SERVING_IMAGES)} (add its pins to mlpipe/serving.py)"
        ) from None


def image_uri(tag: str = DEFAULT_TAG, region: str = "us-east-1") -> str:
    account = REGISTRIES.get(region)
    if account is None:
        raise ServingEnvError(f"no sagemaker-scikit-learn registry known for region {region!r}")
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"{account}.dkr.ecr.{region}.{suffix}/sagemaker-scikit-learn:{tag}"


def requirements(tag: str = DEFAULT_TAG) -> list[str]:
    return [f"{name}=={version}" for name, version in sorted(image(tag)["pins"].items())]


def find_python(version: str) -> str | None:
    """A working interpreter of ``version`` (e.g. 3.12): PATH, then pyenv's versions (pyenv's
    shims answer for versions that are not selected, so each candidate is tried)."""
    candidates = []
    found = shutil.which(f"python{version}")
    if found:
        candidates.append(found)
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates += [
        str(p / "bin" / "python") for p in sorted(pyenv.glob(f"{version}.*"), reverse=True)
    ]
    for exe in candidates:
        try:
            proc = subprocess.run(
                [exe, "-c", "import sys, venv; print('%d.%d' % sys.version_info[:2])"],
                capture_output=True,
                text=True,
                timeout=30,
            )
        except OSError:
            continue
        if proc.returncode == 0 and proc.stdout.strip() == version:
            return exe
    return None


def venv_dir(build_dir: Path, tag: str = DEFAULT_TAG) -> Path:
    return Path(build_dir).resolve() / "serving" / tag / "venv"


def ensure_venv(build_dir: Path, tag: str = DEFAULT_TAG) -> Path:
    """``<build>/serving/<tag>/venv`` with the image's pins (created once, reused while the pins
    are unchanged); returns its python. One process creates it at a time (a lock file beside
    it): another that needs it meanwhile waits and then reuses it, instead of deleting it
    half-built."""
    spec = image(tag)
    venv = venv_dir(build_dir, tag)
    python = venv / "bin" / "python"
    marker = venv / "mlpipe-pins.json"
    wanted = {"python": spec["python"], "pins": spec["pins"]}

    def ready() -> bool:
        return python.exists() and marker.exists() and json.loads(marker.read_text()) == wanted

    if ready():
        return python
    base = find_python(spec["python"])
    if base is None:
        raise ServingEnvError(
            f"serving image {tag} runs Python {spec['python']}, which is not installed here (install python{spec['python']})"
        )
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.parent / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if ready():  # made by the process that held the lock
            return python
        _create_venv(base, venv, tag)
        marker.write_text(json.dumps(wanted))
    return python


def _create_venv(base: str, venv: Path, tag: str) -> None:
    if venv.exists():
        shutil.rmtree(venv)
    subprocess.run([base, "-m", "venv", str(venv)], check=True, capture_output=True)
    proc = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            # No .pyc for all of numpy/scipy/scikit-learn up front (most of the install's CPU):
            # Python compiles the few modules a load-and-predict imports when it imports them.
            "--no-compile",
            *requirements(tag),
        ],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:]
        raise ServingEnvError(f"pip install {' '.join(requirements(tag))} failed: {' '.join(tail)}")


def run_in_venv(
    python: Path, args: list[str], timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """Run ``python args`` with the repo's model package importable as ``abalone_model`` (and
    nothing else from this environment)."""
    shim = Path(python).parents[1] / "mlpipe-path"
    shim.mkdir(exist_ok=True)
    link = shim / "abalone_model"
    if not link.exists():
        link.symlink_to(ROOT / "models" / "abalone", target_is_directory=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PYTHONPATH"] = str(shim)
    return subprocess.run(
        [str(python), *args], capture_output=True, text=True, env=env, timeout=timeout, cwd=ROOT
    )


def train_in_serving_env(venv_root: Path, out: Path, tag: str = DEFAULT_TAG) -> dict[str, Any]:
    """Train and package the model to ``out`` with the serving image's versions (the venv lives
    under ``venv_root``); returns its metrics."""
    python = ensure_venv(venv_root, tag)
    proc = run_in_venv(
        python, ["-m", "abalone_model.train", "--out", str(out), "--serving-image", tag]
    )
    if proc.returncode != 0:
        raise ServingEnvError(f"training in {python} failed: {proc.stderr.strip()[-500:]}")
    metrics: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return metrics


def current_versions() -> dict[str, str | None]:
    """Python and pinned-library versions of the running interpreter."""
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {"python": f"{sys.version_info.major}.{sys.version_info.minor}"}
    for name in SERVING_IMAGES[DEFAULT_TAG]["pins"]:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def matches_image(versions: dict[str, Any], tag: str = DEFAULT_TAG) -> bool:
    spec = image(tag)
    return bool(versions.get("python") == spec["python"]) and all(
        versions.get(name) == pin for name, pin in spec["pins"].items()
    )
