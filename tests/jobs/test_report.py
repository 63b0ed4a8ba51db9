"""The manifest table checks reconciliation against the physical lines, not only the parser."""

from rich.console import Console

from churn_transforms.layout import manifest_uri, published_prefix
from mlpipe.report import manifest_table

MANIFEST = {
    "run_date": "2023-08-01",
    "run_id": "r1",
    "physical_lines": 13,
    "blank_lines": 1,
    "header_lines": 1,
    "input_rows": 11,
    "clean_rows": 10,
    "quarantined_rows": 1,
    "quarantined_by_reason": {"duplicate": 1},
    "duplicates": {"exact": 1, "conflicting": 0},
    "age_imputed": 1,
    "age_median": 34,
    "outputs_relative": {"clean": "run_date=2023-08-01/run_id=r1"},
}


def render(manifest) -> str:
    console = Console(record=True, width=120)
    console.print(manifest_table(manifest))
    return console.export_text()


def test_reconciled_manifest_shows_lines_and_ok():
    text = render(MANIFEST)
    assert "run_id=r1" in text and "13 / 1 / 1" in text
    assert "OK" in text and "MISMATCH" not in text


def test_a_line_missing_from_the_outputs_is_a_mismatch():
    assert "MISMATCH" in render({**MANIFEST, "physical_lines": 14})


def test_readers_resolve_outputs_under_their_own_base():
    assert manifest_uri("s3://b/curated/churn/", "2023-08-01") == (
        "s3://b/curated/churn/run_date=2023-08-01/_manifest.json"
    )
    assert published_prefix(MANIFEST, "clean", "s3://b/curated/churn/") == (
        "s3://b/curated/churn/run_date=2023-08-01/run_id=r1"
    )
