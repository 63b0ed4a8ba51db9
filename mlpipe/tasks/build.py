"""Packaging."""

from invoke import task

from mlpipe.packaging import build_transforms_zip
from mlpipe.tasks._common import repo_path, setting


@task(help={"build-dir": "output directory (default: mlpipe.build_dir)"})
def package(c, build_dir=None):
    """Build job artefacts: the churn_transforms zip for --extra-py-files."""
    out = build_transforms_zip(repo_path(setting(c, "build_dir", build_dir)))
    print(f"packaged {out}")
    return out
