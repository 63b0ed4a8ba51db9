"""Sample and synthetic data."""

from __future__ import annotations

from invoke import Context, task

from mlpipe.datagen import generate_churn_csv
from mlpipe.tasks._common import fail, int_option, repo_path, setting, writing

MAX_ROWS = 10_000_000
PROGRESS_ROWS = 1_000_000  # larger files print their progress


@task(
    help={
        "rows": "number of data rows, 10 to 10,000,000 (default: 1000)",
        "out": "CSV path to write (default: <build_dir>/data/churn_dirty.csv)",
        "seed": "random seed, 0 to 4294967295 (default: 42; same seed, same file)",
        "clean": "no defects at all (every row valid and unique)",
        "force": "replace an existing file outside the build directory",
    }
)
def generate(
    c: Context,
    rows: str = "1000",
    out: str | None = None,
    seed: str = "42",
    clean: bool = False,
    force: bool = False,
) -> None:
    """Generate a dirty churn CSV with a fixed seed (written whole, or not at all)."""
    count = int_option("rows", rows, 10, MAX_ROWS)
    number = int_option("seed", seed, 0, 2**32 - 1)
    build_dir = repo_path(setting(c, "build_dir")).resolve()
    path = repo_path(out) if out else build_dir / "data" / "churn_dirty.csv"
    if path.is_dir():
        fail(f"--out {path} is a directory: name the CSV file to write", code=2)
    if path.exists() and not force and not path.resolve().is_relative_to(build_dir):
        fail(f"{path} exists and is outside {build_dir}: pass --force to replace it", code=2)

    def progress(done: int) -> None:
        print(f"  {done:,} of {count:,} rows", flush=True)

    with writing(path, "the CSV"):
        stats = generate_churn_csv(
            path,
            count,
            seed=number,
            rates={} if clean else None,
            progress=progress if count > PROGRESS_ROWS else None,
        )
    injected = ", ".join(f"{k}={v}" for k, v in sorted(stats.defects.items()) if v) or "none"
    print(f"wrote {stats.rows} rows to {path} (defects: {injected})")
