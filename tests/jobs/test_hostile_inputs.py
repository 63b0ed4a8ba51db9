"""Issue 14, job level: inputs that used to lose rows, pass NULs or crash, each against the
hand-computed outcome."""

import json

import pytest

from churn_transforms.errors import InputError
from churn_transforms.jobs import ReconciliationError, _reconcile
from tests.jobs.helpers import HEADER, clean, features, read_output, write_csv

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


# ------------------------------------------------------------------ found by a probe of new inputs


def test_dates_before_the_gregorian_switch_are_kept_not_a_failed_write(spark, tmp_path):
    body = HEADER + b"1,A,30,M,USA,0001-01-01,,1,10,No\n2,B,31,F,UK,1500-06-15,2023-01-01,1,1,No\n"
    m = clean(spark, tmp_path, write_csv(tmp_path, body), RUN)
    assert (m["clean_rows"], m["quarantined_rows"]) == (2, 0)
    rows = {r["customer_id"]: r for r in read_output(spark, tmp_path, "clean", RUN)}
    assert str(rows[1]["signup_date"]) == "0001-01-01"
    assert str(rows[2]["signup_date"]) == "1500-06-15"  # as written, not shifted by a calendar
    features(spark, tmp_path, RUN)  # reads them back
    assert {r["customer_id"] for r in read_output(spark, tmp_path, "by_customer", RUN)} == {1, 2}


def test_a_header_of_thousands_of_columns_is_read_not_a_stack_overflow(spark, tmp_path):
    pad = b"," * 3000  # the empty trailing columns a spreadsheet export can leave
    body = HEADER.rstrip(b"\n") + pad + b"\n" + ROW1 + pad + b"\n" + ROW2 + pad + b"\n"
    m = clean(spark, tmp_path, write_csv(tmp_path, body), RUN)
    assert (m["input_rows"], m["clean_rows"], m["quarantined_rows"]) == (2, 2, 0)


def test_a_line_past_the_parsers_field_limit_refuses_the_input_in_one_line(spark, tmp_path):
    from churn_transforms.io import MAX_COLUMNS

    body = HEADER + ROW1 + b"\n" + b"," * (MAX_COLUMNS + 1) + b"\n" + ROW2 + b"\n"
    path = write_csv(tmp_path, body)
    with pytest.raises(InputError) as err:
        clean(spark, tmp_path, path, RUN)
    assert str(err.value).startswith(f"a line of {path} has more than 1,000,000 fields")
    assert not (tmp_path / "out" / "clean" / f"run_date={RUN}" / "_manifest.json").exists()


def test_fields_are_trimmed_of_tabs_and_other_controls_like_spaces(spark, tmp_path):
    body = HEADER + (
        b"\t1\t,A, 30\t,\tM,\tusa\t,2021-01-01\t,\t2023-01-01,\t3,10\t,yes\t\n"
        b"2,B,31,\t,\t,2021-01-01,\t,0,0,No\n"  # blank gender and country, blank last purchase
        b"3,C,32,F,\x0bUK\x0c,2021-01-01,,1,1,\x1fNo\n"
    )
    m = clean(spark, tmp_path, write_csv(tmp_path, body), RUN)
    assert m["quarantined_by_reason"] == {"missing_country": 1}
    (row,) = [r for r in read_output(spark, tmp_path, "clean", RUN) if r["customer_id"] == 1]
    assert (row["age"], row["gender"], row["country"], row["total_purchases"]) == (
        30,
        "Male",
        "USA",
        3,
    )
    assert str(row["last_purchase_date"]) == "2023-01-01" and row["churned"] is True
    (uk,) = [r for r in read_output(spark, tmp_path, "clean", RUN) if r["customer_id"] == 3]
    assert uk["country"] == "UK"


def test_quotes_follow_rfc_4180_and_a_backslash_is_a_plain_character(spark, tmp_path):
    body = HEADER + (
        b'1,"O""Brien",30,M,USA,2021-01-01,,1,1,No\n'
        b'2,"say ""hi"", ok",30,M,USA,2021-01-01,,1,1,No\n'
        b'3,"C:\\dir\\",30,M,USA,2021-01-01,,1,1,No\n'
    )
    m = clean(spark, tmp_path, write_csv(tmp_path, body), RUN)
    assert (m["clean_rows"], m["quarantined_rows"]) == (3, 0)
    names = {r["customer_id"]: r["name"] for r in read_output(spark, tmp_path, "clean", RUN)}
    assert names == {1: 'O"Brien', 2: 'say "hi", ok', 3: "C:\\dir\\"}


def test_java_number_suffixes_are_not_numbers_and_minus_zero_is_zero(spark, tmp_path):
    body = HEADER + (
        b"1,A,30d,M,USA,2021-01-01,,1,10f,No\n"  # Java's parseDouble takes both
        b"2,B,31,F,UK,2021-01-01,,1,-0,No\n"
    )
    m = clean(spark, tmp_path, write_csv(tmp_path, body), RUN)
    assert m["quarantined_by_reason"] == {"bad_total_spent": 1}
    (row,) = read_output(spark, tmp_path, "clean", RUN)
    assert row["customer_id"] == 2 and str(row["total_spent"]) == "0.0"


@pytest.mark.parametrize(
    "second",
    [
        b"CustomerID,Name,TotalPurchases,Gender,Country,SignupDate,LastPurchaseDate,Age,TotalSpent,Churned\n"
        b"11,B,5,M,UK,2021-01-01,2023-01-01,40,1,No\n",
        b"11,A,30,M,USA,2021-01-01,2023-01-01,1,10,No\n12,B,31,F,UK,2021-01-01,,0,0,Yes\n",
    ],
    ids=["columns-reordered", "no-header"],
)
def test_a_directory_whose_files_differ_in_header_is_refused_not_misread(spark, tmp_path, second):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.csv").write_bytes(HEADER + ROW1 + b"\n")
    (folder / "b.csv").write_bytes(b"\n" + second)
    with pytest.raises(InputError) as err:
        clean(spark, tmp_path, folder, RUN)
    assert str(err.value).startswith(f"b.csv in {folder} does not start with the same header")
    assert not (tmp_path / "out" / "clean" / f"run_date={RUN}" / "_manifest.json").exists()


def test_a_directory_whose_files_share_the_header_is_read_whole(spark, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.csv").write_bytes(HEADER + ROW1 + b"\n")
    header = HEADER.replace(b"CustomerID", b" customerid ")  # the same names, as matched
    (folder / "b.csv").write_bytes(b"\n" + header + ROW2 + b"\n")
    (folder / "_ignored.csv").write_bytes(b"not,a,header\n")  # Spark's reader skips these
    m = clean(spark, tmp_path, folder, RUN)
    assert (m["input_rows"], m["clean_rows"], m["header_lines"]) == (2, 2, 2)


def test_run_id_subdirectories_of_a_run_date_are_checked_too(spark, tmp_path):
    """A scheduled run reads raw/churn/run_date=D/, whose files sit in run_id=R/ folders."""
    folder = tmp_path / "in"
    (folder / "run_id=r1").mkdir(parents=True)
    (folder / "run_id=r2").mkdir()
    (folder / "run_id=r1" / "a.csv").write_bytes(HEADER + ROW1 + b"\n")
    reordered = HEADER.replace(b"Age,Gender", b"Gender,Age")
    (folder / "run_id=r2" / "b.csv").write_bytes(reordered + b"2,B,F,31,UK,2021-01-01,,0,0,Yes\n")
    with pytest.raises(InputError) as err:
        clean(spark, tmp_path, folder, RUN)
    assert str(err.value).startswith(f"run_id=r2/b.csv in {folder} does not start with the same")
