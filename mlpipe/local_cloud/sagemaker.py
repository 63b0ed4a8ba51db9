"""SageMaker batch transform for the local cloud.

moto stores models and marks every transform job Completed at once. Here ``CreateTransformJob``
starts InProgress and a worker thread

1. downloads the model's ``ModelDataUrl`` (model.tar.gz) and extracts it;
2. loads ``code/inference.py`` and calls the scikit-learn container contract:
   ``model_fn(model_dir)``, then per batch ``input_fn -> predict_fn -> output_fn``;
3. transforms every object under the ``S3Prefix`` input, split by line (``SplitType: Line``),
   and with ``DataProcessing.JoinSource = Input`` writes each input row plus its prediction;
4. writes ``<S3OutputPath>/<object name>.out`` for every input object once all of them are
   transformed, and ends Completed; or Failed with a FailureReason, writing nothing.

``StopTransformJob`` (patch ``sagemaker_stop_transform_job``) sets the job's stop flag: the
worker checks it between batches, writes nothing, and the job ends Stopped.
"""

from __future__ import annotations

import importlib.util
import logging
import shutil
import sys
import tarfile
import tempfile
import threading
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

from mlpipe.aws import endpoint_client, split_s3
from mlpipe.local_cloud.clock import naive_utcnow
from mlpipe.local_cloud.staging import list_keys

LOG = logging.getLogger("mlpipe.local_cloud.sagemaker")
DEFAULT_MAX_PAYLOAD_MB = 6


class TransformError(Exception):
    pass


class TransformStopped(Exception):
    pass


def join_output(
    input_lines: list[str], predictions: list[str], join_source: str | None
) -> list[str]:
    """Output rows: the prediction alone, or (JoinSource=Input) the input row plus it."""
    if len(predictions) != len(input_lines):
        raise TransformError(
            f"model returned {len(predictions)} predictions for {len(input_lines)} records"
        )
    if join_source == "Input":
        return [f"{row},{pred}" for row, pred in zip(input_lines, predictions, strict=True)]
    return predictions


def batches(lines: list[str], max_bytes: int) -> list[list[str]]:
    out: list[list[str]] = []
    current: list[str] = []
    size = 0
    for line in lines:
        if current and size + len(line) + 1 > max_bytes:
            out.append(current)
            current, size = [], 0
        current.append(line)
        size += len(line) + 1
    if current:
        out.append(current)
    return out


def load_contract(model_dir: Path) -> ModuleType:
    """Import code/inference.py under a fresh module name (no cross-job leakage)."""
    script = model_dir / "code" / "inference.py"
    if not script.exists():
        raise TransformError("model.tar.gz has no code/inference.py")
    spec = importlib.util.spec_from_file_location(f"mlpipe_inference_{uuid.uuid4().hex}", script)
    if spec is None or spec.loader is None:
        raise TransformError(f"cannot import {script}")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(script.parent))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(script.parent))
    missing = [
        fn for fn in ("model_fn", "input_fn", "predict_fn", "output_fn") if not hasattr(module, fn)
    ]
    if missing:
        raise TransformError(f"inference.py lacks {', '.join(missing)}")
    return module


class SageMakerRuntime:
    def __init__(self, endpoint: str, work_root: Path):
        self.endpoint = endpoint
        self.work_root = Path(work_root)

    def install(self) -> None:
        """Hook this runtime into moto (the hook lives in mlpipe/local_cloud/patches/)."""
        from mlpipe.local_cloud.patches.sagemaker import hook_sagemaker_runtime

        hook_sagemaker_runtime(self)

    def _run(self, job: Any, model: Any) -> None:
        self.work_root.mkdir(parents=True, exist_ok=True)
        workdir = Path(tempfile.mkdtemp(prefix="transform-", dir=self.work_root))
        try:
            if model is None:
                raise TransformError(f"model {job.model_name!r} not found")
            self._transform(job, model, workdir)
            job.transform_job_status = "Completed"
        except TransformStopped:
            job.transform_job_status = "Stopped"
        except Exception as exc:
            LOG.info("transform %s failed: %s", job.transform_job_name, exc)
            job.failure_reason = f"ClientError: {type(exc).__name__}: {exc}".splitlines()[0][:1024]
            job.transform_job_status = "Failed"
        finally:
            job.transform_end_time = job.last_modified_time = naive_utcnow()
            shutil.rmtree(workdir, ignore_errors=True)

    def _transform(self, job: Any, model: Any, workdir: Path) -> None:
        s3 = endpoint_client("s3", self.endpoint)
        data_url = (model.primary_container or {}).get("ModelDataUrl")
        if not data_url:
            raise TransformError(f"model {job.model_name!r} has no PrimaryContainer.ModelDataUrl")
        bucket, key = split_s3(data_url)
        archive = workdir / "model.tar.gz"
        s3.download_file(bucket, key, str(archive))
        model_dir = workdir / "model"
        try:
            with tarfile.open(archive, "r:gz") as tar:
                tar.extractall(model_dir, filter="data")
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise TransformError(
                f"model artifact {data_url} is not a valid model.tar.gz ({exc})"
            ) from None
        contract = load_contract(model_dir)
        loaded = contract.model_fn(str(model_dir))

        tin, tout = job.transform_input, job.transform_output
        content_type = tin.get("ContentType", "text/csv")
        accept = tout.get("Accept", "text/csv")
        join = (job.data_processing or {}).get("JoinSource")
        max_bytes = int(job.max_payload_in_mb or DEFAULT_MAX_PAYLOAD_MB) * 1024 * 1024
        in_bucket, in_prefix = split_s3(tin["DataSource"]["S3DataSource"]["S3Uri"])
        out_bucket, out_prefix = split_s3(tout["S3OutputPath"])
        objects = [k for k in list_keys(s3, in_bucket, in_prefix) if not k.endswith("/")]
        if not objects:
            raise TransformError(
                f"no input objects under {tin['DataSource']['S3DataSource']['S3Uri']}"
            )
        stopped = getattr(job, "_mlpipe_stopped", None) or threading.Event()
        outputs: list[tuple[str, bytes]] = []
        for obj in objects:
            text = s3.get_object(Bucket=in_bucket, Key=obj)["Body"].read().decode("utf-8")
            lines = (
                [ln for ln in text.splitlines() if ln.strip()]
                if tin.get("SplitType") == "Line"
                else [text]
            )
            out_lines: list[str] = []
            for batch in batches(lines, max_bytes):
                if stopped.is_set():
                    raise TransformStopped()
                payload = contract.input_fn("\n".join(batch), content_type)
                response = contract.output_fn(contract.predict_fn(payload, loaded), accept)
                response = response.decode() if isinstance(response, bytes) else str(response)
                out_lines += join_output(
                    batch, [p for p in response.splitlines() if p.strip()], join
                )
            relative = (
                obj[len(in_prefix) :].lstrip("/")
                if obj.startswith(in_prefix) and obj != in_prefix
                else obj.rsplit("/", 1)[-1]
            )
            out_key = (
                f"{out_prefix.rstrip('/')}/{relative}.out" if out_prefix else f"{relative}.out"
            )
            outputs.append((out_key, ("\n".join(out_lines) + "\n").encode()))
        if stopped.is_set():
            raise TransformStopped()
        for out_key, body in outputs:  # nothing is written unless every object transformed
            s3.put_object(Bucket=out_bucket, Key=out_key, Body=body)
