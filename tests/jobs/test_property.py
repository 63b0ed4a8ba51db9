"""Property: on generated dirty data, nothing is lost and clean output obeys every rule."""

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlpipe.datagen import DEFAULT_RATES, generate_churn_csv
from tests.jobs.helpers import clean, read_output

pytestmark = pytest.mark.spark
RUN = dt.date(2023, 8, 1)


@pytest.mark.slow  # 6 clean runs (hostile, edge and oracle tests pin the known cases)
@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 2**31),
    n_rows=st.integers(1, 300),
    scale=st.floats(0.0, 20.0),
    bom=st.booleans(),
    crlf=st.booleans(),
)
def test_reconciliation_and_clean_rules(spark, tmp_path_factory, seed, n_rows, scale, bom, crlf):
    work = tmp_path_factory.mktemp("prop")
    path = work / "dirty.csv"
    rates = {k: min(1.0, v * scale) for k, v in DEFAULT_RATES.items()}
    generate_churn_csv(path, n_rows, seed=seed, rates=rates, run_date=RUN, bom=bom, crlf=crlf)
    # the clean job itself (its reconciliation included), then its published clean rows
    counts = clean(spark, work, path, RUN.isoformat())
    clean_rows = read_output(spark, work, "clean", RUN.isoformat())
    lines = {k: counts[k] for k in ("physical_lines", "blank_lines", "header_lines")}

    assert counts["input_rows"] == n_rows  # one row per data line, none dropped by the reader
    assert lines == {"physical_lines": n_rows + 1, "blank_lines": 0, "header_lines": 1}
    assert (
        counts["input_rows"]
        == counts["clean_rows"] + counts["quarantined_rows"]
        == len(clean_rows) + counts["quarantined_rows"]
    )
    ids = [r["customer_id"] for r in clean_rows]
    assert len(ids) == len(set(ids))
    for r in clean_rows:
        assert r["customer_id"] > 0 and r["country"]
        assert r["signup_date"] <= RUN
        assert r["last_purchase_date"] is None or r["signup_date"] <= r["last_purchase_date"] <= RUN
        assert r["total_purchases"] >= 0 and r["total_spent"] >= 0
        assert r["age"] is None or 0 <= r["age"] <= 120
        assert r["gender"] in {"Male", "Female", "Other", "Unknown"}
        assert all("\ufffd" not in str(v) for v in r.values())
