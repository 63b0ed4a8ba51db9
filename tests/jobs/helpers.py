"""Run the clean/features job bodies on CSV bytes and read the results back."""

from __future__ import annotations

from pathlib import Path

from churn_transforms.io import resolve_published
from churn_transforms.jobs import run_clean, run_features

HEADER = b"CustomerID,Name,Age,Gender,Country,SignupDate,LastPurchaseDate,TotalPurchases,TotalSpent,Churned\n"


def write_csv(tmp_path: Path, body: bytes, name: str = "input.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(body)
    return path


def clean(spark, tmp_path: Path, csv_path: Path, run_date: str = "2023-08-01", **extra) -> dict:
    args = {
        "input": str(csv_path),
        "output": str(tmp_path / "out" / "clean"),
        "quarantine": str(tmp_path / "out" / "quarantine"),
        "run_date": run_date,
        **extra,
    }
    return run_clean(spark, args)


def features(spark, tmp_path: Path, run_date: str = "2023-08-01") -> dict:
    args = {
        "clean": str(tmp_path / "out" / "clean"),
        "features": str(tmp_path / "out" / "features"),
        "run_date": run_date,
    }
    return run_features(spark, args)


def read(spark, path: Path) -> list[dict]:
    return [r.asDict() for r in spark.read.parquet(str(path)).collect()]


def published(spark, tmp_path: Path, output: str, run_date: str = "2023-08-01") -> str:
    """The prefix of ``output`` (clean, quarantine, by_country, by_customer) of the published
    run, resolved through its manifest as every reader does."""
    base = "features" if output.startswith("by_") else "clean"
    own = str(tmp_path / "out" / "quarantine") if output == "quarantine" else None
    return resolve_published(spark, str(tmp_path / "out" / base), run_date, output, own)


def read_output(spark, tmp_path: Path, output: str, run_date: str = "2023-08-01") -> list[dict]:
    return read(spark, published(spark, tmp_path, output, run_date))
