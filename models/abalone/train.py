"""Train the abalone pipeline model and package it as a SageMaker model.tar.gz.

python -m abalone_model.train --out build/models/abalone/model.tar.gz
"""

from __future__ import annotations

import argparse
import io
import json
import math
import tarfile
from pathlib import Path

import joblib
import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from abalone_model.data import generate

INFERENCE = Path(__file__).with_name("inference.py")


def build_pipeline() -> Pipeline:
    """One-hot for Sex, scaling for the measurements, a gradient-boosted regressor for Rings."""
    pre = ColumnTransformer(
        [
            ("sex", OneHotEncoder(handle_unknown="ignore"), [0]),
            ("num", StandardScaler(), list(range(1, 8))),
        ]
    )
    return Pipeline(
        [
            ("preprocess", pre),
            (
                "regressor",
                HistGradientBoostingRegressor(max_iter=200, learning_rate=0.05, random_state=0),
            ),
        ]
    )


def as_arrays(rows: list[list]) -> tuple[np.ndarray, np.ndarray]:
    x = np.array([r[:-1] for r in rows], dtype=object)
    y = np.array([r[-1] for r in rows], dtype=float)
    return x, y


def rmse(y_true, y_pred) -> float:
    return math.sqrt(float(np.mean((np.asarray(y_true, float) - np.asarray(y_pred, float)) ** 2)))


def train(rows: int = 4177, seed: int = 11, holdout: float = 0.2):
    """Fit on a synthetic set the size of UCI's (4,177 rows); returns (model, metrics)."""
    data = generate(rows, seed)
    split = int(len(data) * (1 - holdout))
    x_train, y_train = as_arrays(data[:split])
    x_test, y_test = as_arrays(data[split:])
    # One OpenMP thread: on a few thousand rows the fit takes well under a second, and
    # HistGradientBoosting's threads spin-wait for each other, so on a busy machine two of them
    # took 21 CPU-s and 65 s (a test-suite run) against 0.5 CPU-s for one. Same model either way.
    with threadpool_limits(1):
        model = build_pipeline().fit(x_train, y_train)
    baseline = rmse(y_test, np.full_like(y_test, y_train.mean()))
    return model, {
        "rows": rows,
        "seed": seed,
        "holdout_rows": len(y_test),
        "holdout_rmse": round(rmse(y_test, model.predict(x_test)), 4),
        "baseline_rmse": round(baseline, 4),
    }


def library_versions() -> dict:
    """Python and the libraries the pickle depends on (recorded in metrics.json)."""
    import sys
    from importlib.metadata import version

    out = {"python": f"{sys.version_info.major}.{sys.version_info.minor}"}
    for name in ("scikit-learn", "numpy", "scipy", "joblib", "threadpoolctl"):
        out[name] = version(name)
    return out


def package(model, out: Path, metrics: dict) -> Path:
    """model.tar.gz: model.joblib + code/inference.py (the SageMaker scikit-learn layout);
    metrics.json records the library versions the model was pickled with."""
    metrics = {**metrics, "versions": library_versions()}
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    joblib.dump(model, buf)
    members = {
        "model.joblib": buf.getvalue(),
        "code/inference.py": INFERENCE.read_bytes(),
        "metrics.json": json.dumps(metrics).encode(),
    }
    tmp = out.with_suffix(".tmp")
    with tarfile.open(tmp, "w:gz") as tar:
        for name, payload in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            info.mtime = 0
            tar.addfile(info, io.BytesIO(payload))
    tmp.replace(out)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Train and package the abalone model.")
    p.add_argument("--out", default="build/models/abalone/model.tar.gz")
    p.add_argument("--rows", type=int, default=4177)
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--serving-image", default="", help="serving image tag, recorded in metrics")
    args = p.parse_args(argv)
    model, metrics = train(args.rows, args.seed)
    if args.serving_image:
        metrics["serving_image"] = args.serving_image
    path = package(model, Path(args.out), metrics)
    print(json.dumps({**metrics, "versions": library_versions(), "artifact": str(path)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
