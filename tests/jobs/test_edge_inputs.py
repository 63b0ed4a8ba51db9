"""Missing columns, empty inputs, reruns and extra date formats."""

import json

import pytest

from churn_transforms.errors import InputError
from tests.jobs.helpers import HEADER, clean, read_output, write_csv

pytestmark = pytest.mark.spark
RUN = "2023-08-01"


def test_missing_columns_fail_with_one_line_and_write_nothing(spark, tmp_path):
    path = write_csv(
        tmp_path,
        b"CustomerID,Name,Gender,SignupDate,LastPurchaseDate,TotalPurchases,TotalSpent,Churned\n1,a,M,2021-01-01,,1,1,No\n",
    )
    with pytest.raises(InputError) as err:
        clean(spark, tmp_path, path, RUN)
    assert str(err.value) == f"missing required column(s): Age, Country in {path}"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "body, warned", [(b"", True), (HEADER, False), (HEADER.replace(b"\n", b"\r\n"), False)]
)
def test_empty_and_header_only_give_zero_row_manifest(spark, tmp_path, body, warned):
    manifest = clean(spark, tmp_path, write_csv(tmp_path, body), RUN)
    assert (manifest["input_rows"], manifest["clean_rows"], manifest["quarantined_rows"]) == (
        0,
        0,
        0,
    )
    assert bool(manifest["warnings"]) is warned
    part = tmp_path / "out" / "clean" / f"run_date={RUN}"
    assert (part / "_SUCCESS").exists()
    assert json.loads((part / "_manifest.json").read_text())["input_rows"] == 0
    assert read_output(spark, tmp_path, "clean", RUN) == []


def test_rerun_same_run_date_is_idempotent(spark, tmp_path):
    path = write_csv(
        tmp_path,
        HEADER + b"1,A,30,M,USA,2021-01-01,2023-01-01,1,10,No\n2,B,31,F,UK,2021-01-01,,0,0,Yes\n",
    )
    first = clean(spark, tmp_path, path, RUN)
    second = clean(spark, tmp_path, path, RUN)
    assert first["clean_rows"] == second["clean_rows"] == 2
    assert len(read_output(spark, tmp_path, "clean", RUN)) == 2
    assert first["run_id"] != second["run_id"]


def test_run_date_drives_future_check(spark, tmp_path):
    path = write_csv(tmp_path, HEADER + b"1,A,30,M,USA,2021-01-01,2023-01-01,1,10,No\n")
    assert clean(spark, tmp_path, path, "2022-12-31")["quarantined_by_reason"] == {
        "date_after_run_date": 1
    }


def test_extra_date_formats_argument(spark, tmp_path):
    path = write_csv(tmp_path, HEADER + b"1,A,30,M,USA,01.02.2021,15.03.2023,1,10,No\n")
    assert clean(spark, tmp_path, path, RUN)["clean_rows"] == 0
    m = clean(spark, tmp_path, path, RUN, date_formats="dd.MM.yyyy")
    assert m["clean_rows"] == 1
    (row,) = read_output(spark, tmp_path, "clean", RUN)
    assert (
        str(row["signup_date"]) == "2021-02-01" and str(row["last_purchase_date"]) == "2023-03-15"
    )


def test_bad_run_date_is_input_error(spark, tmp_path):
    path = write_csv(tmp_path, HEADER)
    with pytest.raises(InputError, match="--run_date must be YYYY-MM-DD"):
        clean(spark, tmp_path, path, "08/01/2023")


def _stored_rdds(spark) -> set[int]:
    return {int(k) for k in spark.sparkContext._jsc.getPersistentRDDs().keySet().toArray()}


def test_a_run_leaves_no_stored_rows_behind(spark, tmp_path):
    """The parsed rows (a local checkpoint) and the dedupe's caches are freed when the run ends:
    the local cloud's warm driver runs job after job in one JVM."""
    before = _stored_rdds(spark)
    body = (
        HEADER
        + b"1,A,30,M,USA,2021-01-01,2023-01-01,1,10,No\n1,A,30,M,USA,2021-01-01,2023-01-01,1,10,No\n"
    )
    assert clean(spark, tmp_path, write_csv(tmp_path, body), RUN)["input_rows"] == 2
    assert _stored_rdds(spark) <= before
