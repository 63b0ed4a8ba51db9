"""Lab 2 pure pieces: spark-submit translation, transform joins, the model and its contract."""

import json
import tarfile

import numpy as np
import pytest
import sklearn

from abalone_model import inference
from abalone_model.data import FEATURES, generate, to_csv
from abalone_model.train import as_arrays, package, rmse, train
from mlpipe.datagen import TELEMETRY_CLASSES, generate_telemetry_csv
from mlpipe.local_cloud.emr import StepError, translate_spark_submit
from mlpipe.local_cloud.sagemaker import TransformError, batches, join_output


def test_command_runner_args_translate_for_local_spark():
    args = [
        "spark-submit",
        "--deploy-mode",
        "cluster",
        "--master",
        "yarn",
        "--conf",
        "spark.sql.shuffle.partitions=4",
        "--py-files",
        "s3://b/lib.zip",
        "--executor-memory",
        "4g",
        "s3://b/app.py",
        "--input",
        "s3://b/in/",
        "--partition-by",
        "class",
    ]
    assert translate_spark_submit(args) == {
        "app": "s3://b/app.py",
        "app_args": ["--input", "s3://b/in/", "--partition-by", "class"],
        "conf": {"spark.sql.shuffle.partitions": "4"},
        "py_files": ["s3://b/lib.zip"],
    }


@pytest.mark.parametrize(
    "args, message",
    [
        (["hadoop-streaming"], "runs command-runner.jar 'spark-submit ...' steps"),
        (["spark-submit", "--deploy-mode", "cluster"], "has no application"),
        (["spark-submit", "--class", "Main", "app.jar"], "--class is not supported"),
    ],
)
def test_unsupported_steps_fail_clearly(args, message):
    with pytest.raises(StepError, match=message):
        translate_spark_submit(args)


def test_join_source_input_appends_prediction():
    assert join_output(["M,0.5", "F,0.6"], ["9.1", "10.2"], "Input") == ["M,0.5,9.1", "F,0.6,10.2"]
    assert join_output(["M,0.5"], ["9.1"], None) == ["9.1"]
    with pytest.raises(TransformError, match="1 predictions for 2 records"):
        join_output(["a", "b"], ["1"], "Input")


def test_batches_respect_payload_size():
    assert batches(["aaaa", "bbbb", "cccc"], max_bytes=10) == [["aaaa", "bbbb"], ["cccc"]]


def test_telemetry_counts_match_file(tmp_path):
    path = tmp_path / "t.csv"
    counts = generate_telemetry_csv(path, 300, seed=1)
    lines = path.read_text().splitlines()[1:]
    assert len(lines) == 300 and set(counts) <= set(TELEMETRY_CLASSES)
    assert {c: sum(1 for ln in lines if ln.split(",")[1] == c) for c in counts} == counts


def test_synthetic_abalone_schema_and_correlation():
    rows = generate(2000, seed=3)
    assert all(len(r) == len(FEATURES) + 1 and r[0] in {"M", "F", "I"} for r in rows)
    x, y = as_arrays(rows)
    length, whole = x[:, 1].astype(float), x[:, 4].astype(float)
    assert np.corrcoef(length, y)[0, 1] > 0.5 and np.corrcoef(length, whole)[0, 1] > 0.9
    assert y.min() >= 1 and y.max() <= 29


@pytest.fixture(scope="module")
def trained():
    return train(rows=1500, seed=5)


def test_model_beats_the_mean_baseline(trained):
    _, metrics = trained
    assert metrics["holdout_rmse"] < 0.8 * metrics["baseline_rmse"]


def test_inference_contract_round_trip(trained, tmp_path):
    model, metrics = trained
    archive = package(model, tmp_path / "model.tar.gz", metrics)
    with tarfile.open(archive) as tar:
        assert sorted(tar.getnames()) == ["code/inference.py", "metrics.json", "model.joblib"]
        tar.extractall(tmp_path / "m", filter="data")
    # the versions the pickle was written with travel with it (checked against the serving image)
    recorded = json.loads((tmp_path / "m" / "metrics.json").read_text())["versions"]
    assert recorded["scikit-learn"] == sklearn.__version__ and recorded["numpy"] == np.__version__
    loaded = inference.model_fn(str(tmp_path / "m"))
    rows = generate(20, seed=8)
    body = to_csv(rows, with_label=False)
    out = inference.output_fn(
        inference.predict_fn(inference.input_fn(body, "text/csv"), loaded), "text/csv"
    )
    direct = model.predict(as_arrays(rows)[0])
    assert [float(v) for v in out.split()] == pytest.approx(direct, abs=1e-4)
    assert rmse([1, 2], [1, 4]) == pytest.approx(2**0.5)


def test_inference_contract_rejects_bad_input():
    with pytest.raises(ValueError, match="row 1: expected 8 fields"):
        inference.input_fn("M,0.5,0.4\n", "text/csv")
    with pytest.raises(ValueError, match="unsupported content type"):
        inference.input_fn(b"", "application/json")
    assert inference.output_fn([1.0, 12.34567], "text/csv") == "1.0000\n12.3457\n"
    with pytest.raises(ValueError, match="unsupported accept type"):
        inference.output_fn([1.0], "application/json")
