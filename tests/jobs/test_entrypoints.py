"""Each Glue entrypoint end to end: the happy path through spark-submit in a subprocess
(with the transforms zip as --py-files, as Glue ships it), the bad-input exits in-process
on the worker's Spark session (the same script and ``main``, without two more JVM starts)."""

import json
import runpy
import subprocess
import sys

import pytest

from mlpipe import ROOT
from mlpipe.packaging import GLUE_SCRIPTS, build_transforms_zip
from mlpipe.spark import spark_submit_cmd

pytestmark = [pytest.mark.spark]
RUN = "2023-08-01"


@pytest.fixture(scope="module")
def zip_path(tmp_path_factory):
    return str(build_transforms_zip(tmp_path_factory.mktemp("build")))


def submit(script, args, zip_path):
    return subprocess.run(
        spark_submit_cmd(str(script), args, py_files=[zip_path]),
        capture_output=True,
        text=True,
        timeout=300,
    )


def run_script(script, args, monkeypatch, capsys):
    """Run a Glue entry script as __main__ in this process; (exit code, stdout + stderr)."""
    argv = [str(script)] + [a for k, v in args.items() for a in (f"--{k}", v)]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as exited:
        runpy.run_path(str(script), run_name="__main__")
    out = capsys.readouterr()
    return exited.value.code, out.out + out.err


@pytest.mark.slow
def test_clean_then_features_via_spark_submit(tmp_path, zip_path, cds_ready):
    out = tmp_path / "out"
    clean = submit(
        GLUE_SCRIPTS["clean"],
        {
            "input": str(ROOT / "data" / "customer_churn_data.csv"),
            "output": f"{out}/clean",
            "quarantine": f"{out}/q",
            "run_date": RUN,
            "JOB_NAME": "ignored-extra",
        },
        zip_path,
    )
    assert clean.returncode == 0, clean.stderr[-2000:]
    manifest = json.loads((out / "clean" / f"run_date={RUN}" / "_manifest.json").read_text())
    assert (manifest["input_rows"], manifest["clean_rows"], manifest["quarantined_rows"]) == (
        11,
        10,
        1,
    )
    feats = submit(
        GLUE_SCRIPTS["features"],
        {"clean": f"{out}/clean", "features": f"{out}/features", "run_date": RUN},
        zip_path,
    )
    assert feats.returncode == 0, feats.stderr[-2000:]
    fm = json.loads((out / "features" / f"run_date={RUN}" / "_manifest.json").read_text())
    assert fm["countries"] == 10 and fm["customer_rows"] == 10
    assert fm["clean_run_id"] == manifest["run_id"]
    assert (
        fm["outputs_relative"]["by_country"] == f"run_date={RUN}/run_id={fm['run_id']}/by_country"
    )


def test_missing_column_exits_2_with_one_line(spark, tmp_path, monkeypatch, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("CustomerID,Name\n1,a\n")
    code, output = run_script(
        GLUE_SCRIPTS["clean"],
        {
            "input": str(bad),
            "output": f"{tmp_path}/clean",
            "quarantine": f"{tmp_path}/q",
            "run_date": RUN,
        },
        monkeypatch,
        capsys,
    )
    assert code == 2
    errors = [ln for ln in output.splitlines() if ln.startswith("ERROR: ")]
    assert errors == [
        f"ERROR: missing required column(s): Age, Gender, Country, SignupDate, LastPurchaseDate, TotalPurchases, TotalSpent, Churned in {bad}"
    ]
    assert "Traceback" not in output
    assert not (tmp_path / "clean").exists()


def test_features_refuses_uncommitted_clean_output(spark, tmp_path, monkeypatch, capsys):
    code, output = run_script(
        GLUE_SCRIPTS["features"],
        {"clean": f"{tmp_path}/nothing", "features": f"{tmp_path}/f", "run_date": RUN},
        monkeypatch,
        capsys,
    )
    assert code == 2
    assert (
        f"ERROR: no published run (no _manifest.json + _SUCCESS) in {tmp_path}/nothing/run_date={RUN}"
        in output
    )
