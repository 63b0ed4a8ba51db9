"""Sample and synthetic data."""

from __future__ import annotations

from invoke import Context, task

from mlpipe.datagen import generate_churn_csv
from mlpipe.tasks._common import repo_path


@task(
    help={
        "rows": "number of data rows (10 .. 10,000,000)",
        "out": "CSV path to write",
        "seed": "random seed (same seed, same file)",
        "clean": "no defects at all (every row valid and unique)",
    }
)
def generate(
    c: Context,
    rows: int = 1000,
    out: str = "build/data/churn_dirty.csv",
    seed: int = 42,
    clean: bool = False,
) -> None:
    """Generate a dirty churn CSV with a fixed seed."""
    path = repo_path(out)
    stats = generate_churn_csv(path, int(rows), seed=int(seed), rates={} if clean else None)
    injected = ", ".join(f"{k}={v}" for k, v in sorted(stats.defects.items()) if v) or "none"
    print(f"wrote {stats.rows} rows to {path} (defects: {injected})")
