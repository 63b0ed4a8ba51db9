"""Packaging."""

from __future__ import annotations

from pathlib import Path

from invoke import Context, task

from mlpipe.packaging import package_jobs
from mlpipe.tasks._common import repo_path, setting, writing


@task(help={"build-dir": "output directory (default: mlpipe.build_dir)"})
def package(c: Context, build_dir: str | None = None) -> list[Path]:
    """Build job artefacts: the Glue and EMR entry scripts and the churn_transforms zip."""
    out_dir = repo_path(setting(c, "build_dir", build_dir))
    with writing(out_dir, "job artefacts to"):
        out = package_jobs(out_dir)
    for path in out:
        print(f"packaged {path}")
    return out


@task(
    name="model",
    help={
        "build-dir": "output directory (default: mlpipe.build_dir)",
        "force": "retrain even if the artefact exists",
    },
)
def model(c: Context, build_dir: str | None = None, force: bool = False) -> None:
    """Train the abalone model and package build/models/abalone/model.tar.gz; print holdout RMSE."""
    from mlpipe.packaging import build_model_artifact

    out_dir = repo_path(setting(c, "build_dir", build_dir))
    with writing(out_dir, "the model artefact to"):
        path, metrics = build_model_artifact(out_dir, force=force)
    print(
        f"{path}: holdout RMSE {metrics['holdout_rmse']} rings (mean-baseline {metrics['baseline_rmse']}) on {metrics['holdout_rows']} rows"
    )
