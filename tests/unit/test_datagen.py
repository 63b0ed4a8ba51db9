import csv

import pytest

from mlpipe.datagen import HEADER, generate_churn_csv


def test_same_seed_same_bytes(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    generate_churn_csv(a, 500, seed=7)
    generate_churn_csv(b, 500, seed=7)
    assert a.read_bytes() == b.read_bytes()
    generate_churn_csv(b, 500, seed=8)
    assert a.read_bytes() != b.read_bytes()


def test_row_count_header_and_chunks(tmp_path):
    path = tmp_path / "x.csv"
    stats = generate_churn_csv(path, 1234, chunk_rows=100, rates={})
    lines = path.read_text().splitlines()
    assert lines[0] == HEADER and len(lines) == 1235 and stats.rows == 1234
    ids = [row[0] for row in csv.reader(lines[1:])]
    assert len(set(ids)) == 1234  # no defects: every id unique, every row well formed
    assert all(len(row) == 10 for row in csv.reader(lines[1:]))


def test_defects_are_injected_and_counted(tmp_path):
    path = tmp_path / "x.csv"
    stats = generate_churn_csv(
        path, 2000, seed=1, rates={"bad_encoding": 0.05, "malformed_row": 0.05}, bom=True, crlf=True
    )
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    assert raw.count(b"\xff") == stats.defects["bad_encoding"] > 0
    rows = list(csv.reader(raw.decode("utf-8", errors="replace").lstrip("\ufeff").splitlines()))
    malformed = [r for r in rows[1:] if len(r) != 10]
    assert len(malformed) == stats.defects["malformed_row"] > 0
    assert {len(r) for r in malformed} <= {9, 11}  # last field dropped or one field added


def test_unknown_defect_rejected(tmp_path):
    with pytest.raises(ValueError, match="unknown defect kind"):
        generate_churn_csv(tmp_path / "x.csv", 10, rates={"typo": 0.1})
