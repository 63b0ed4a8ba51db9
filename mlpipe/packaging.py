"""Build the artefacts the jobs ship with: the Glue and EMR entry scripts, the transform
package as a zip for Glue's ``--extra-py-files`` (and spark-submit's ``--py-files``), and the
model. Terraform uploads them from the build dir and reads nothing outside it."""

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


def package_jobs(build_dir: Path) -> list[Path]:
    """Everything the jobs ship with, in ``build_dir``: ``glue/<entry script>``,
    ``glue/churn_transforms.zip`` and ``emr/partition_dataset.py`` (the keys they get in the
    artifacts bucket). Copies are byte-identical, so Terraform's ``filemd5`` etags change only
    when the code does."""
    out = [build_transforms_zip(build_dir)]
    copies = [(src, Path(build_dir) / "glue" / src.name) for src in GLUE_SCRIPTS.values()]
    copies.append((EMR_APP, Path(build_dir) / "emr" / EMR_APP.name))
    for src, dest in copies:
        dest.parent.mkdir(parents=True, exist_ok=True)
        data = src.read_bytes()
        if not dest.exists() or dest.read_bytes() != data:
            tmp = dest.with_suffix(dest.suffix + ".tmp")
            tmp.write_bytes(data)
            tmp.replace(dest)
        out.append(dest)
    return out


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
