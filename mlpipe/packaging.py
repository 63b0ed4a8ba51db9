"""Build the artefacts the jobs ship with: the transform package as a zip for
Glue's ``--extra-py-files`` (and spark-submit's ``--py-files``)."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from mlpipe import ROOT

GLUE_DIR = ROOT / "glue_jobs"
TRANSFORMS = GLUE_DIR / "churn_transforms"
GLUE_SCRIPTS = {
    "clean": GLUE_DIR / "clean_customers.py",
    "features": GLUE_DIR / "build_features.py",
}


def build_transforms_zip(build_dir: Path) -> Path:
    """Zip ``churn_transforms`` deterministically (sorted, fixed timestamps) so its md5
    changes only when the code does (Terraform uploads it with ``etag = filemd5``)."""
    out = Path(build_dir) / "glue" / "churn_transforms.zip"
    out.parent.mkdir(parents=True, exist_ok=True)
    files = sorted(p for p in TRANSFORMS.rglob("*.py"))
    tmp = out.with_suffix(".zip.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in files:
            info = zipfile.ZipInfo(str(path.relative_to(GLUE_DIR)), date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            zf.writestr(info, path.read_bytes(), zipfile.ZIP_DEFLATED)
    tmp.replace(out)
    return out


EMR_APP = ROOT / "emr_jobs" / "partition_dataset.py"


def build_model_artifact(
    build_dir: Path,
    force: bool = False,
    serving_env: bool | None = None,
    venv_root: Path | None = None,
) -> tuple[Path, dict[str, Any]]:
    """``<build>/models/abalone/model.tar.gz``, trained in a venv pinned to the SageMaker
    serving image's versions (mlpipe.serving), so that the image can unpickle it.

    Reused while it was built with the image's versions (unless ``force``). ``serving_env``:
    True requires the pinned venv (AWS deploys), False trains in this interpreter (enough for
    the local cloud, which serves with this interpreter), None (default) uses the venv when the
    image's Python is installed here and falls back to this interpreter otherwise. The venv
    lives under ``venv_root`` (default ``build_dir``): ``serving/<tag>/venv``.
    """
    import json
    import tarfile

    from mlpipe import serving

    out = Path(build_dir) / "models" / "abalone" / "model.tar.gz"
    use_venv = serving_env
    if use_venv is None:
        use_venv = serving.find_python(serving.image()["python"]) is not None
    if out.exists() and not force:
        with tarfile.open(out, "r:gz") as tar:
            member = tar.extractfile("metrics.json")
            metrics: dict[str, Any] = json.loads(member.read()) if member else {}
        if not use_venv or serving.matches_image(metrics.get("versions", {})):
            return out, metrics
    if use_venv:
        metrics = serving.train_in_serving_env(Path(venv_root or build_dir), out)
        metrics.pop("artifact", None)
        return out, metrics
    from abalone_model.train import library_versions, package, train

    model, metrics = train()
    return package(model, out, metrics), {**metrics, "versions": library_versions()}
