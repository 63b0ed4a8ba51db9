"""SageMaker scikit-learn container contract for the abalone pipeline model (CSV in, CSV out).

Input rows are headerless ``Sex,Length,Diameter,Height,Whole,Shucked,Viscera,Shell``; the
output is one predicted Rings value per row. Batch transform with ``JoinSource=Input`` appends
it to the input row. Shipped in model.tar.gz as ``code/inference.py``.
"""

from __future__ import annotations

import csv
import io
import os

import joblib
import numpy as np

N_FEATURES = 8


def model_fn(model_dir: str):
    return joblib.load(os.path.join(model_dir, "model.joblib"))


def input_fn(request_body, request_content_type: str = "text/csv"):
    if request_content_type != "text/csv":
        raise ValueError(f"unsupported content type {request_content_type!r}: use text/csv")
    text = request_body.decode("utf-8") if isinstance(request_body, bytes) else request_body
    rows = [r for r in csv.reader(io.StringIO(text)) if r]
    for i, row in enumerate(rows, start=1):
        if len(row) != N_FEATURES:
            raise ValueError(
                f"row {i}: expected {N_FEATURES} fields (Sex + 7 measurements), got {len(row)}"
            )
    data = np.empty((len(rows), N_FEATURES), dtype=object)
    for i, row in enumerate(rows):
        data[i, 0] = row[0].strip()
        data[i, 1:] = [float(v) for v in row[1:]]
    return data


def predict_fn(input_data, model):
    return model.predict(input_data)


def output_fn(prediction, accept: str = "text/csv"):
    if accept not in ("text/csv", "*/*"):
        raise ValueError(f"unsupported accept type {accept!r}: use text/csv")
    return "".join(f"{float(p):.4f}\n" for p in prediction)
