"""The lab-1 sample, end to end through both job bodies, against hand-written rows."""

from datetime import date

import pytest

from mlpipe import ROOT
from tests.jobs.helpers import clean, features, published, read_output

pytestmark = pytest.mark.spark
SAMPLE = ROOT / "data" / "customer_churn_data.csv"
RUN = "2023-08-01"

# (customer_id, name, age, age_imputed, gender, country, signup, last, purchases, spent, churned)
EXPECTED_CLEAN = [
    (
        101,
        "John Smith",
        34,
        False,
        "Male",
        "USA",
        date(2021, 6, 1),
        date(2023, 7, 15),
        15,
        1230.50,
        False,
    ),
    (
        102,
        "Maria Garcia",
        29,
        False,
        "Female",
        "Canada",
        date(2022, 1, 20),
        date(2023, 6, 10),
        8,
        745.00,
        False,
    ),
    (
        103,
        "Liu Wei",
        45,
        False,
        "Male",
        "China",
        date(2020, 11, 5),
        date(2021, 12, 12),
        3,
        210.90,
        True,
    ),
    (
        104,
        "Sara Khan",
        31,
        False,
        "Female",
        "UK",
        date(2021, 2, 15),
        date(2023, 3, 18),
        10,
        880.75,
        False,
    ),
    (
        105,
        "Pedro Silva",
        34,
        True,
        "Male",
        "Brazil",
        date(2021, 9, 25),
        date(2023, 2, 5),
        6,
        502.00,
        True,
    ),
    (106, "Aisha Ali", 38, False, "Female", "UAE", date(2022, 5, 30), None, 5, 430.00, False),
    (
        107,
        "Takeshi Tanaka",
        41,
        False,
        "Male",
        "Japan",
        date(2020, 8, 10),
        date(2022, 10, 21),
        12,
        999.99,
        True,
    ),
    (
        108,
        "Anna Müller",
        27,
        False,
        "Female",
        "Germany",
        date(2022, 3, 12),
        date(2023, 7, 1),
        9,
        815.20,
        False,
    ),
    (
        109,
        "Kofi Mensah",
        35,
        False,
        "Male",
        "Ghana",
        date(2021, 7, 18),
        date(2023, 1, 30),
        4,
        330.00,
        True,
    ),
    (
        110,
        "Lara Rossi",
        30,
        False,
        "Female",
        "Italy",
        date(2021, 12, 22),
        date(2023, 6, 28),
        7,
        640.80,
        False,
    ),
]
COLS = [
    "customer_id",
    "name",
    "age",
    "age_imputed",
    "gender",
    "country",
    "signup_date",
    "last_purchase_date",
    "total_purchases",
    "total_spent",
    "churned",
]


@pytest.fixture(scope="module")
def lab_run(module_spark, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lab")
    manifest = clean(module_spark, tmp, SAMPLE, RUN)
    fmanifest = features(module_spark, tmp, RUN)
    return tmp, manifest, fmanifest


def test_clean_rows_match_hand_written(spark, lab_run):
    tmp, manifest, _ = lab_run
    rows = sorted(read_output(spark, tmp, "clean", RUN), key=lambda r: r["customer_id"])
    assert [tuple(r[c] for c in COLS) for r in rows] == EXPECTED_CLEAN


def test_manifest_counts_and_reconciliation(lab_run):
    _, m, _ = lab_run
    assert (m["input_rows"], m["clean_rows"], m["quarantined_rows"]) == (11, 10, 1)
    assert m["quarantined_by_reason"] == {"duplicate": 1}
    assert m["duplicates"] == {"exact": 1, "conflicting": 0}
    assert m["age_imputed"] == 1 and m["age_median"] == 34
    assert m["reconciled"] is True


def test_duplicate_goes_to_quarantine_with_original_fields(spark, lab_run):
    tmp, _, _ = lab_run
    (q,) = read_output(spark, tmp, "quarantine", RUN)
    assert q["CustomerID"] == "105" and q["Age"] is None and q["TotalSpent"] == "502.00"
    assert q["reasons"] == ["duplicate"]


def test_published_manifest_names_the_run_prefixes(spark, lab_run):
    tmp, manifest, fmanifest = lab_run
    day = tmp / "out" / "clean" / f"run_date={RUN}"
    assert (day / "_SUCCESS").exists() and (day / "_manifest.json").exists()
    run = manifest["run_id"]
    assert manifest["outputs"] == {
        "clean": f"{tmp}/out/clean/run_date={RUN}/run_id={run}",
        "quarantine": f"{tmp}/out/quarantine/run_date={RUN}/run_id={run}",
    }
    assert published(spark, tmp, "clean", RUN) == manifest["outputs"]["clean"]
    assert fmanifest["clean_run_id"] == run
    assert sorted(p.name for p in day.iterdir() if not p.name.startswith(".")) == [
        "_SUCCESS",
        "_manifest.json",
        f"run_id={run}",
    ]


def test_country_features_one_customer_each(spark, lab_run):
    tmp, _, fm = lab_run
    rows = read_output(spark, tmp, "by_country", RUN)
    by_country = {r["country"]: r for r in rows}
    assert fm["countries"] == 10 and fm["customer_rows"] == 10
    for cid, _n, age, _i, _g, country, _s, _l, purchases, spent, churned in EXPECTED_CLEAN:
        r = by_country[country]
        assert r["customers"] == 1, cid
        assert r["avg_total_spent"] == pytest.approx(spent)
        assert r["churn_rate"] == (1.0 if churned else 0.0)
        assert r["avg_age"] == age and r["avg_purchases"] == purchases


def test_customer_features_hand_computed(spark, lab_run):
    tmp, _, _ = lab_run
    rows = {r["customer_id"]: r for r in read_output(spark, tmp, "by_customer", RUN)}
    john = rows[101]
    assert john["tenure_days"] == (date(2023, 8, 1) - date(2021, 6, 1)).days == 791
    assert john["recency_days"] == (date(2023, 8, 1) - date(2023, 7, 15)).days == 17
    assert john["avg_order_value"] == pytest.approx(1230.50 / 15)
    assert john["spent_vs_country_avg"] == pytest.approx(1.0) and john["churned"] == 0
    aisha = rows[106]
    assert aisha["recency_days"] is None and aisha["last_purchase_missing"] is True
    assert rows[105]["age"] == 34 and rows[105]["age_imputed"] is True and rows[105]["churned"] == 1
