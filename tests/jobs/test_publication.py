"""Atomic publication (issues 14 and 17): a run writes under its own run_id prefix and publishes
one manifest, then _SUCCESS; a run that fails before its manifest leaves the previous good run
readable and nothing of its own visible. Faults are injected at the I/O calls."""

import json
import shutil

import pytest
from pyspark.sql import DataFrameWriter

from churn_transforms import io as jio
from churn_transforms.errors import InputError
from tests.jobs.helpers import HEADER, clean, features, published, read_output, write_csv

pytestmark = [pytest.mark.spark, pytest.mark.timeout(180)]
RUN = "2023-08-01"
GOOD = HEADER + b"1,A,30,M,USA,2021-01-01,2023-01-01,1,10,No\nabc,Bad,30,M,USA,2021-01-01,,1,1,No\n"
NEXT = (
    HEADER + b"7,G,40,F,UK,2021-01-01,2023-01-01,2,20,Yes\nxyz,Worse,30,M,USA,2021-01-01,,1,1,No\n"
)


def manifest_on_disk(tmp_path, base="clean") -> dict:
    return json.loads((tmp_path / "out" / base / f"run_date={RUN}" / "_manifest.json").read_text())


def run_dirs(tmp_path, base) -> list[str]:
    day = tmp_path / "out" / base / f"run_date={RUN}"
    return sorted(p.name for p in day.iterdir() if p.name.startswith("run_id="))


@pytest.fixture(scope="module")
def _good_template(module_spark, tmp_path_factory):
    """One published clean + features run for the module (ids: clean 1, quarantine 'abc')."""
    base = tmp_path_factory.mktemp("good-run")
    first = clean(module_spark, base, write_csv(base, GOOD, "good.csv"), RUN)
    features(module_spark, base, RUN)
    return base, first


@pytest.fixture
def good_run(_good_template, tmp_path):
    """The module's good run, copied into this test's own ``tmp_path`` (manifests name their
    outputs by absolute path: the copy's name its own files), so a test may break it."""
    base, first = _good_template
    shutil.copytree(base, tmp_path, dirs_exist_ok=True)
    for manifest in tmp_path.rglob("_manifest.json"):
        manifest.write_text(manifest.read_text().replace(str(base), str(tmp_path)))
    return json.loads(json.dumps(first).replace(str(base), str(tmp_path)))


def assert_good_run_still_published(spark, tmp_path, first):
    assert manifest_on_disk(tmp_path)["run_id"] == first["run_id"]
    assert [r["customer_id"] for r in read_output(spark, tmp_path, "clean", RUN)] == [1]
    assert [r["CustomerID"] for r in read_output(spark, tmp_path, "quarantine", RUN)] == ["abc"]
    assert (tmp_path / "out" / "clean" / f"run_date={RUN}" / "_SUCCESS").exists()
    # nothing of the failed run is left behind, in either output
    assert (
        run_dirs(tmp_path, "clean")
        == run_dirs(tmp_path, "quarantine")
        == [f"run_id={first['run_id']}"]
    )


def test_io_error_committing_quarantine_keeps_previous_run(spark, tmp_path, good_run, monkeypatch):
    original = DataFrameWriter.parquet

    def fail_after_quarantine_files(self, path, *args, **kwargs):
        original(self, path, *args, **kwargs)  # the files land; then the commit fails
        if "/quarantine/" in path:
            raise OSError("injected I/O error committing the quarantine output")

    monkeypatch.setattr(DataFrameWriter, "parquet", fail_after_quarantine_files)
    with pytest.raises(OSError, match="injected"):
        clean(spark, tmp_path, write_csv(tmp_path, NEXT, "next.csv"), RUN)
    monkeypatch.undo()
    assert_good_run_still_published(spark, tmp_path, good_run)
    # the features job still resolves the same (good) clean run
    assert features(spark, tmp_path, RUN)["clean_run_id"] == good_run["run_id"]


def test_io_error_writing_the_manifest_publishes_nothing(spark, tmp_path, good_run, monkeypatch):
    original = jio._FS.write_text

    def fail_manifest(self, uri, text):
        if uri.endswith("/_manifest.json"):
            raise OSError("injected I/O error writing the manifest")
        return original(self, uri, text)

    monkeypatch.setattr(jio._FS, "write_text", fail_manifest)
    with pytest.raises(OSError, match="injected"):
        clean(spark, tmp_path, write_csv(tmp_path, NEXT, "next.csv"), RUN)
    monkeypatch.undo()
    assert_good_run_still_published(spark, tmp_path, good_run)


def test_failure_after_the_manifest_keeps_the_new_run_whole(spark, tmp_path, good_run, monkeypatch):
    """Once the manifest is written the run is published: its data must never be discarded."""
    original = jio._FS.write_text

    def fail_success(self, uri, text):
        if uri.endswith("/_SUCCESS"):
            raise OSError("injected I/O error writing _SUCCESS")
        return original(self, uri, text)

    monkeypatch.setattr(jio._FS, "write_text", fail_success)
    with pytest.raises(OSError, match="injected"):
        clean(spark, tmp_path, write_csv(tmp_path, NEXT, "next.csv"), RUN)
    monkeypatch.undo()
    new = manifest_on_disk(tmp_path)["run_id"]
    assert new != good_run["run_id"]
    assert [r["customer_id"] for r in read_output(spark, tmp_path, "clean", RUN)] == [7]


def test_features_read_the_clean_run_the_manifest_names(spark, tmp_path, good_run):
    second = clean(spark, tmp_path, write_csv(tmp_path, NEXT, "next.csv"), RUN)
    fm = features(spark, tmp_path, RUN)
    assert fm["clean_run_id"] == second["run_id"] != good_run["run_id"]
    assert [r["customer_id"] for r in read_output(spark, tmp_path, "by_customer", RUN)] == [7]
    assert [
        (r["country"], r["customers"]) for r in read_output(spark, tmp_path, "by_country", RUN)
    ] == [("UK", 1)]
    # the previous run stays on disk for readers that resolved it just before; older are pruned
    third = clean(spark, tmp_path, write_csv(tmp_path, GOOD, "good.csv"), RUN)
    assert run_dirs(tmp_path, "clean") == sorted(
        [f"run_id={second['run_id']}", f"run_id={third['run_id']}"]
    )


def test_run_id_argument_names_the_prefix_and_cannot_be_reused(spark, tmp_path):
    path = write_csv(tmp_path, GOOD)
    m = clean(spark, tmp_path, path, RUN, run_id="sfn-exec-42")
    assert m["outputs_relative"] == {
        "clean": f"run_date={RUN}/run_id=sfn-exec-42",
        "quarantine": f"run_date={RUN}/run_id=sfn-exec-42",
    }
    assert published(spark, tmp_path, "clean", RUN).endswith("/run_id=sfn-exec-42")
    with pytest.raises(InputError, match="already published"):
        clean(spark, tmp_path, path, RUN, run_id="sfn-exec-42")
    assert manifest_on_disk(tmp_path)["run_id"] == "sfn-exec-42"
    with pytest.raises(InputError, match="--run_id must be"):
        clean(spark, tmp_path, path, RUN, run_id="../../escape")


def test_glue_job_run_id_is_the_default_run_id(spark, tmp_path):
    m = clean(spark, tmp_path, write_csv(tmp_path, GOOD), RUN, JOB_RUN_ID="jr_0123abcd")
    assert m["run_id"] == "jr_0123abcd"


def test_features_without_a_published_clean_run_is_one_line(spark, tmp_path):
    with pytest.raises(InputError) as err:
        features(spark, tmp_path, RUN)
    assert str(err.value) == (
        f"no published run (no _manifest.json + _SUCCESS) in {tmp_path}/out/clean/run_date={RUN}"
    )
