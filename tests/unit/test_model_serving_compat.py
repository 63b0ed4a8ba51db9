"""The packaged model loads and predicts in the SageMaker scikit-learn serving image (issue 17).

No container runs here, so the image is reproduced as what matters to a pickle: its Python and
the libraries a scikit-learn pipeline unpickles with (mlpipe.serving.SERVING_IMAGES, taken from
the image's sources). The venv is created once under build/serving/ and reused.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from abalone_model.data import generate, to_csv
from mlpipe import ROOT, serving
from mlpipe.packaging import build_model_artifact

BUILD = ROOT / "build"

# Runs in the serving venv: load the model the way the container does (code/ on sys.path,
# inference.model_fn on the model dir), fail on any version-mismatch warning, predict.
LOAD_AND_PREDICT = r"""
import json, sys, tarfile, tempfile, warnings, importlib
from importlib.metadata import version
warnings.simplefilter("error", UserWarning)  # sklearn InconsistentVersionWarning is one: a failure
archive, body = sys.argv[1], sys.stdin.read()
with tempfile.TemporaryDirectory() as model_dir:
    with tarfile.open(archive) as tar:
        tar.extractall(model_dir, filter="data")
    sys.path.insert(0, model_dir + "/code")
    inference = importlib.import_module("inference")
    model = inference.model_fn(model_dir)
    out = inference.output_fn(inference.predict_fn(inference.input_fn(body, "text/csv"), model), "text/csv")
names = ("scikit-learn", "numpy", "scipy", "joblib", "threadpoolctl")
print(json.dumps({"python": "%d.%d" % sys.version_info[:2], **{n: version(n) for n in names},
                  "predictions": [float(v) for v in out.split()]}))
"""


def _require_serving_interpreter() -> dict:
    """The serving image's spec; skips where its Python (3.12 on these machines, via pyenv)
    is not installed, since no venv of the image's versions can be made without it."""
    spec = serving.image()
    if serving.find_python(spec["python"]) is None:
        pytest.skip(f"Python {spec['python']} (the serving image's) is not installed here")
    return spec


def _serving_python() -> Path:
    _require_serving_interpreter()
    return serving.ensure_venv(BUILD)


def _run(python: Path, archive: Path, rows: list[list]):
    """LOAD_AND_PREDICT in the venv, with only the model package importable."""
    serving.run_in_venv(python, ["-c", "pass"])  # creates the abalone_model path shim
    env_path = Path(python).parents[1] / "mlpipe-path"
    return subprocess.run(
        [str(python), "-c", LOAD_AND_PREDICT, str(archive)],
        input=to_csv(rows, with_label=False),
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONPATH": str(env_path), "PATH": "/usr/bin:/bin"},
    )


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_packaged_model_loads_and_predicts_under_the_serving_image(tmp_path):
    python = _serving_python()
    archive, metrics = build_model_artifact(tmp_path / "build", serving_env=True, venv_root=BUILD)
    assert serving.matches_image(metrics["versions"]), metrics["versions"]
    with tarfile.open(archive) as tar:
        packaged = json.loads(tar.extractfile("metrics.json").read())
    assert packaged["versions"] == metrics["versions"]

    rows = generate(200, seed=21)
    proc = _run(python, archive, rows)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    pins = serving.image()["pins"]
    assert result["python"] == serving.image()["python"]
    assert {name: result[name] for name in pins} == pins  # the venv really is the image's
    predictions = result["predictions"]
    assert len(predictions) == len(rows)
    labels = [r[-1] for r in rows]
    mean = sum(labels) / len(labels)
    rmse = (sum((p - y) ** 2 for p, y in zip(predictions, labels, strict=True)) / len(rows)) ** 0.5
    baseline = (sum((mean - y) ** 2 for y in labels) / len(rows)) ** 0.5
    assert rmse < 0.8 * baseline


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_model_pickled_with_this_interpreter_is_caught(tmp_path):
    """The check can fail: the model as it used to be built (this interpreter's versions)
    does not load cleanly under the serving image."""
    python = _serving_python()
    here = serving.current_versions()
    if serving.matches_image(here):
        pytest.skip("this interpreter already has the serving image's versions")
    archive, metrics = build_model_artifact(tmp_path / "build", serving_env=False)
    assert not serving.matches_image(metrics["versions"])
    proc = _run(python, archive, generate(20, seed=3))
    assert proc.returncode != 0
    assert "Warning" in proc.stderr or "Error" in proc.stderr


def test_image_table_and_uri():
    assert serving.image_uri("1.9-0-cpu-py3", "eu-west-1") == (
        "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-scikit-learn:1.9-0-cpu-py3"
    )
    assert serving.requirements()[0] == "joblib==1.5.3"
    with pytest.raises(serving.ServingEnvError, match="unknown serving image tag"):
        serving.image("0.1-0-cpu-py3")


def test_terraform_serves_the_image_the_model_is_built_for():
    """terraform/variables.tf's image tag = the tag whose pins the model is trained with."""
    from mlpipe.config import load_settings
    from mlpipe.deploy.terraform import TF_DIR, load_hcl

    variables = {n: b for v in load_hcl(TF_DIR / "variables.tf")["variable"] for n, b in v.items()}
    module = {
        n: b
        for v in load_hcl(TF_DIR / "modules" / "sagemaker_model" / "variables.tf")["variable"]
        for n, b in v.items()
    }
    assert variables["sklearn_image_tag"]["default"] == serving.DEFAULT_TAG
    assert module["image_tag"]["default"] == serving.DEFAULT_TAG
    assert load_settings().sklearn_image_tag == serving.DEFAULT_TAG
    assert variables["sklearn_image"]["default"] == ""  # no hard-coded region/account


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_two_processes_creating_the_venv_at_once_both_get_it(tmp_path):
    """In a fresh clone two test workers (or a deploy and a test) may need the venv at the same
    time: one creates it, the other waits and reuses it (it used to delete it half-built).

    The race is the lock's, not the libraries': both processes build an image spec with the
    serving image's Python and one small pinned library (threadpoolctl), not numpy/scipy/sklearn,
    which cost about 12 CPU-s to install here."""
    spec = _require_serving_interpreter()
    pin = spec["pins"]["threadpoolctl"]
    small = {"python": spec["python"], "pins": {"threadpoolctl": pin}}
    code = (
        "import sys, json; from pathlib import Path; from mlpipe import serving; "
        "serving.SERVING_IMAGES['lock-test'] = json.loads(sys.argv[2]); "
        "print(serving.ensure_venv(Path(sys.argv[1]), 'lock-test'))"
    )

    def start() -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-c", code, str(tmp_path), json.dumps(small)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    first = start()
    # the second starts while the first is installing into the venv (its dir exists, its
    # marker does not yet)
    venv = serving.venv_dir(tmp_path, "lock-test")
    deadline = time.monotonic() + 120
    while not (venv / "lib").exists() and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not (venv / "mlpipe-pins.json").exists(), "the first process finished too early"
    procs = [first, start()]
    outs = [proc.communicate(timeout=240) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], [err[-1500:] for _, err in outs]
    assert outs[0][0] == outs[1][0]
    python = outs[0][0].strip()
    versions = subprocess.run(
        [python, "-c", "import threadpoolctl; print(threadpoolctl.__version__)"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert versions.stdout.strip() == pin, versions.stderr[-1000:]
