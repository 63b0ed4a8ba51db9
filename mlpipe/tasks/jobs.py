"""Run the Glue jobs locally with spark-submit on plain files."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

from invoke import Context, task

from churn_transforms.layout import manifest_uri, published_prefix
from mlpipe.packaging import GLUE_SCRIPTS, build_transforms_zip
from mlpipe.report import manifest_table, print_tables, rows_table
from mlpipe.spark import error_line, spark_submit_cmd
from mlpipe.tasks._common import fail, repo_path, setting


def local_job_commands(
    zip_path: str | Path,
    input_path: str | Path,
    out_dir: str | Path,
    run_date: str,
    date_formats: str | None = None,
) -> list[str]:
    """The two spark-submit command lines, in order (clean, then features)."""
    clean_args = {
        "input": str(input_path),
        "output": f"{out_dir}/clean",
        "quarantine": f"{out_dir}/quarantine",
        "run_date": run_date,
    }
    if date_formats:
        clean_args["date_formats"] = date_formats
    features_args = {
        "clean": f"{out_dir}/clean",
        "features": f"{out_dir}/features",
        "run_date": run_date,
    }
    return [
        shlex.join(
            spark_submit_cmd(str(GLUE_SCRIPTS["clean"]), clean_args, py_files=[str(zip_path)])
        ),
        shlex.join(
            spark_submit_cmd(str(GLUE_SCRIPTS["features"]), features_args, py_files=[str(zip_path)])
        ),
    ]


@task(
    help={
        "input": "churn CSV (default: the lab sample)",
        "run-date": "YYYY-MM-DD; all relative dates derive from it",
        "out": "output directory (clean/, quarantine/, features/)",
        "date-formats": "extra java.time date patterns, comma-separated",
    }
)
def local(
    c: Context,
    input: str | None = None,
    run_date: str | None = None,
    out: str | None = None,
    date_formats: str | None = None,
) -> None:
    """Run clean + features via spark-submit on local files; print the manifest."""
    from mlpipe import pipelines

    input_path = repo_path(setting(c, "sample_input", input))
    run_date = setting(c, "run_date", run_date)
    try:
        pipelines.check_input_file(input_path, directory_ok=True)  # a directory: one job input
        pipelines.check_run_date(run_date)
    except pipelines.RunInputError as exc:
        fail(str(exc), code=2)
    out_dir = repo_path(setting(c, "local_out", out))
    zip_path = build_transforms_zip(repo_path(c.config.mlpipe.build_dir))
    for name, cmd in zip(
        ("clean_customers", "build_features"),
        local_job_commands(zip_path, input_path, out_dir, run_date, date_formats),
        strict=True,
    ):
        print(f"running {name} ...", flush=True)
        result = c.run(cmd, hide=True, warn=True)
        if result.exited != 0:
            fail(
                f"{name} failed: {error_line(result.stdout, result.stderr)}",
                code=result.exited or 1,
            )
    # readers resolve a run date through its published manifest (churn_transforms.layout)
    manifest = json.loads(Path(manifest_uri(str(out_dir / "clean"), run_date)).read_text())
    features = json.loads(Path(manifest_uri(str(out_dir / "features"), run_date)).read_text())
    by_country = published_prefix(features, "by_country", str(out_dir / "features"))
    print_tables(
        manifest_table(manifest),
        rows_table("features by country", _read_rows(Path(by_country), "country")),
    )
    print(f"outputs under {out_dir}")


def _read_rows(path: Path, sort_key: str) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    return sorted(pq.read_table(path).to_pylist(), key=lambda r: r[sort_key])
