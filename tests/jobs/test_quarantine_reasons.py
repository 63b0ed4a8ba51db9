"""A hostile CSV exercises every quarantine reason; each row's exact reasons are asserted."""

import pytest

from tests.jobs.helpers import clean, features, read_output, write_csv

pytestmark = pytest.mark.spark
RUN = "2023-08-01"

HEADER = b"\xef\xbb\xbf customerid ,NAME,age,Gender,COUNTRY,SignupDate,LastPurchaseDate,TotalPurchases,TotalSpent,Churned\r\n"
ROWS = [
    # name                 line                                                                  expected reasons (None = clean)
    ("Smith, John", b'201,"Smith, John",40,m,usa,2021-01-01,2023-01-01,5,100.00,yes', None),
    ("Enc", b"202,Enc\xff,30,F,USA,2021-01-01,2023-01-01,5,100,No", ["bad_encoding"]),
    ("BadSignup", b"203,BadSignup,30,F,USA,2021-13-01,2023-01-01,5,100,No", ["bad_signup_date"]),
    ("NegSpend", b"204,NegSpend,30,F,USA,2021-01-01,2023-01-01,5,-5.00,No", ["bad_total_spent"]),
    ("AbcAge", b"205,AbcAge,abc,F, USA ,2021/01/01,2023-01-01T10:00:00Z,5,100,No", None),
    ("OldAge", b"206,OldAge,250,F,Usa,2021-01-01,2023-01-01,5,100,No", None),
    ("Extra", b"207,Extra,30,F,USA,2021-01-01,2023-01-01,5,100,No,extra", ["malformed_row"]),
    ("Short", b"208,Short,30,F", ["malformed_row"]),
    ("NoId", b"abc,NoId,30,F,USA,2021-01-01,2023-01-01,5,100,No", ["bad_customer_id"]),
    ("NoCountry", b"210,NoCountry,30,F,  ,2021-01-01,2023-01-01,5,100,No", ["missing_country"]),
    ("BadLast", b"211,BadLast,30,F,USA,2021-01-01,2023-99-01,5,100,No", ["bad_last_purchase_date"]),
    ("Before", b"212,Before,30,F,USA,2022-01-01,2021-01-01,5,100,No", ["purchase_before_signup"]),
    ("Future", b"213,Future,30,F,USA,2021-01-01,2023-09-01,5,100,No", ["date_after_run_date"]),
    ("BadPurch", b"214,BadPurch,30,F,USA,2021-01-01,2023-01-01,-1,100,No", ["bad_total_purchases"]),
    ("BadChurn", b"215,BadChurn,30,F,USA,2021-01-01,2023-01-01,5,100,maybe", ["bad_churned"]),
    (
        "Smith, John",
        b'201,"Smith, John",40,m,usa,2021-01-01,2022-06-01,5,100.00,yes',
        ["duplicate"],
    ),
    (
        "Multi",
        b"216,Multi,30,F,,2021-01-01,2023-01-01,-1,100,No",
        ["missing_country", "bad_total_purchases"],
    ),
    ("Gender", b"217,Gender,,x,uk,2021-01-01,,0,0,FALSE", None),
    ("Ok", b"218,Ok,30,female,canada,2021-01-01,2023-01-01,5,100,1", None),
]


@pytest.fixture(scope="module")
def hostile(module_spark, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    path = write_csv(tmp, HEADER + b"\r\n".join(line for _, line, _ in ROWS) + b"\r\n")
    manifest = clean(module_spark, tmp, path, RUN)
    return tmp, manifest


def test_each_row_gets_its_exact_reasons(spark, hostile):
    tmp, _ = hostile
    quarantined = read_output(spark, tmp, "quarantine", RUN)
    got = sorted((q["Name"], q["reasons"]) for q in quarantined)
    expected = [(name.replace("Enc", "Enc\ufffd"), reasons) for name, _, reasons in ROWS if reasons]
    assert got == sorted(expected)
    short = next(q for q in quarantined if q["Name"] == "Short")
    assert short["raw_record"] == "208,Short,30,F"  # the original line is kept


def test_clean_rows_are_normalised(spark, hostile):
    tmp, manifest = hostile
    rows = {r["customer_id"]: r for r in read_output(spark, tmp, "clean", RUN)}
    assert sorted(rows) == [201, 205, 206, 217, 218]
    john = rows[201]
    assert (john["name"], john["gender"], john["country"], john["churned"]) == (
        "Smith, John",
        "Male",
        "USA",
        True,
    )
    assert str(john["last_purchase_date"]) == "2023-01-01"  # the later of the two copies
    assert (
        str(rows[205]["signup_date"]) == "2021-01-01"
        and str(rows[205]["last_purchase_date"]) == "2023-01-01"
    )
    assert rows[205]["country"] == "USA" and rows[206]["country"] == "USA"
    assert (rows[217]["gender"], rows[217]["country"], rows[217]["churned"]) == (
        "Other",
        "UK",
        False,
    )
    assert rows[218]["country"] == "Canada" and rows[218]["churned"] is True
    # valid ages of clean rows: 40 and 30 -> median 35, imputed for abc, 250 and empty
    assert manifest["age_median"] == 35
    assert {cid: (r["age"], r["age_imputed"]) for cid, r in rows.items()} == {
        201: (40, False),
        205: (35, True),
        206: (35, True),
        217: (35, True),
        218: (30, False),
    }


def test_manifest_reconciles_and_counts_reasons(hostile):
    _, m = hostile
    assert m["input_rows"] == len(ROWS) == m["clean_rows"] + m["quarantined_rows"]
    assert m["quarantined_by_reason"]["malformed_row"] == 2
    assert m["quarantined_by_reason"]["missing_country"] == 2
    assert m["duplicates"] == {"exact": 0, "conflicting": 1}


def test_features_safe_on_zero_purchases(spark, hostile):
    tmp, _ = hostile
    features(spark, tmp, RUN)
    rows = {r["customer_id"]: r for r in read_output(spark, tmp, "by_customer", RUN)}
    assert rows[217]["avg_order_value"] == 0.0
    assert rows[217]["spent_vs_country_avg"] is None  # the UK average spend is 0
    assert rows[217]["last_purchase_missing"] is True
