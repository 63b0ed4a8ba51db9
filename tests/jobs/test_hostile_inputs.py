"""Issue 14, job level: inputs that used to lose rows, pass NULs or crash, each against the
hand-computed outcome."""

import json

import pytest

from churn_transforms.errors import InputError
from churn_transforms.jobs import ReconciliationError, _reconcile
from tests.jobs.helpers import HEADER, clean, read_output, write_csv

pytestmark = [pytest.mark.spark, pytest.mark.timeout(120)]
RUN = "2023-08-01"
ROW1 = b"1,A,30,M,USA,2021-01-01,2023-01-01,1,10,No"
ROW2 = b"2,B,31,F,UK,2021-01-01,,0,0,Yes"


@pytest.mark.parametrize(
    "lead, blank",
    [(b"\n", 1), (b"   \r\n", 1), (b"\r\n\t\r\n \n", 3)],
    ids=["blank", "whitespace-crlf", "three"],
)
def test_leading_blank_lines_are_skipped_and_counted(spark, tmp_path, lead, blank):
    body = lead + HEADER + ROW1 + b"\n" + ROW2 + b"\n"
    m = clean(spark, tmp_path, write_csv(tmp_path, body), RUN)
    assert (m["input_rows"], m["clean_rows"], m["quarantined_rows"]) == (2, 2, 0)
    assert (m["physical_lines"], m["blank_lines"], m["header_lines"]) == (3 + blank, blank, 1)
    assert m["warnings"] == [f"{blank} blank line(s) skipped"]
    assert sorted(r["customer_id"] for r in read_output(spark, tmp_path, "clean", RUN)) == [1, 2]


def test_blank_lines_between_rows_are_counted_not_lost(spark, tmp_path):
    body = HEADER + ROW1 + b"\n\n  \n" + ROW2 + b"\n"
    m = clean(spark, tmp_path, write_csv(tmp_path, body), RUN)
    assert (m["input_rows"], m["clean_rows"], m["blank_lines"], m["physical_lines"]) == (
        2,
        2,
        2,
        5,
    )


def test_data_without_header_fails_with_one_line(spark, tmp_path):
    path = write_csv(tmp_path, b"\n" + ROW1 + b"\n" + ROW2 + b"\n")
    with pytest.raises(InputError) as err:
        clean(spark, tmp_path, path, RUN)
    assert str(err.value).startswith(f"no recognisable header in {path}: the first non-blank")
    assert "\n" not in str(err.value)
    assert not (tmp_path / "out" / "clean").exists()


def test_only_blank_lines_is_an_empty_input_with_its_lines_counted(spark, tmp_path):
    m = clean(spark, tmp_path, write_csv(tmp_path, b"\n \n\r\n"), RUN)
    assert (m["input_rows"], m["physical_lines"], m["blank_lines"]) == (0, 3, 3)
    assert m["warnings"] == ["input has no header: 3 line(s), all blank; 0 rows"]


def test_duplicate_header_names_fail_with_one_line(spark, tmp_path):
    path = write_csv(tmp_path, HEADER.rstrip(b"\n") + b",Country\n" + ROW1 + b",X\n")
    with pytest.raises(InputError, match=r"^duplicate column name\(s\) in header: Country in /"):
        clean(spark, tmp_path, path, RUN)


def test_nul_bytes_never_reach_clean_output(spark, tmp_path):
    body = HEADER + b"1,A\x00B,30,M,USA,2021-01-01,2023-01-01,1,10,No\n" + ROW2 + b"\n"
    m = clean(spark, tmp_path, write_csv(tmp_path, body), RUN)
    assert m["quarantined_by_reason"] == {"bad_encoding": 1}
    assert [r["customer_id"] for r in read_output(spark, tmp_path, "clean", RUN)] == [2]
    (q,) = read_output(spark, tmp_path, "quarantine", RUN)
    assert q["Name"] == "A\x00B" and q["reasons"] == ["bad_encoding"]


def test_200k_character_lines_are_quarantined_or_clean_never_a_crash(spark, tmp_path):
    """Three 200k-character lines in one input (one run): no field separator, only separators,
    and a well-formed row with a 200k-character name."""
    chars, commas = b"x" * 200_000, b"," * 200_000
    long_name = b"1," + b"y" * 200_000 + b",30,M,USA,2021-01-01,,1,1,No"
    body = HEADER + b"\n".join([chars, commas, long_name, ROW1]) + b"\n"
    m = clean(spark, tmp_path, write_csv(tmp_path, body), RUN)
    assert m["input_rows"] == 4 == m["clean_rows"] + m["quarantined_rows"]
    # the long name is a valid row: id 1 twice, so one of the two is a duplicate
    assert m["quarantined_by_reason"] == {"malformed_row": 2, "duplicate": 1}
    assert m["clean_rows"] == 1
    quarantined = read_output(spark, tmp_path, "quarantine", RUN)
    malformed = sorted(q["raw_record"] for q in quarantined if q["reasons"] == ["malformed_row"])
    assert malformed == sorted([commas.decode(), chars.decode()])


def test_source_uri_names_the_s3_object_in_manifest_and_quarantine(spark, tmp_path):
    body = HEADER + ROW1 + b"\n" + b"abc,Bad,30,M,USA,2021-01-01,,1,1,No\n"
    uri = "s3://raw-bucket/churn/run_date=2023-08-01/customers.csv"
    m = clean(spark, tmp_path, write_csv(tmp_path, body), RUN, source_uri=uri)
    assert m["input"] == uri
    (q,) = read_output(spark, tmp_path, "quarantine", RUN)
    assert q["source_file"] == uri and q["reasons"] == ["bad_customer_id"]
    published = json.loads(
        (tmp_path / "out/clean" / f"run_date={RUN}" / "_manifest.json").read_text()
    )
    assert published["input"] == uri


def test_without_source_uri_the_local_file_is_named(spark, tmp_path):
    path = write_csv(tmp_path, HEADER + b"abc,Bad,30,M,USA,2021-01-01,,1,1,No\n")
    clean(spark, tmp_path, path, RUN)
    (q,) = read_output(spark, tmp_path, "quarantine", RUN)
    assert q["source_file"] == f"file://{path}"  # as input_file_name() names it


@pytest.mark.parametrize("run_date", ["20230801", "2023-02-30", "../x"])
def test_bad_run_date_fails_before_reading(spark, tmp_path, run_date):
    with pytest.raises(InputError, match="--run_date"):
        clean(spark, tmp_path, tmp_path / "does-not-exist.csv", run_date)


def test_reconciliation_counts_lines_not_parsed_rows():
    counts = {
        "clean_rows": 5,
        "quarantined_rows": 1,
        "duplicates": {"exact": 1, "conflicting": 0},
        "quarantined_by_reason": {"duplicate": 1},
    }
    _reconcile(counts, {"physical_lines": 8, "blank_lines": 1, "header_lines": 1})
    # a row the parser dropped shows up as a line that reached neither output
    with pytest.raises(ReconciliationError, match="7 data lines"):
        _reconcile(counts, {"physical_lines": 9, "blank_lines": 1, "header_lines": 1})
    with pytest.raises(ReconciliationError):  # duplicates must add up too
        _reconcile(
            {**counts, "duplicates": {"exact": 0, "conflicting": 0}},
            {"physical_lines": 8, "blank_lines": 1, "header_lines": 1},
        )
