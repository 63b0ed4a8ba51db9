"""SageMaker: DescribeModel as the Terraform AWS provider reads it."""

from __future__ import annotations

import threading
from typing import Any

from mlpipe.local_cloud.patches._registry import ORIGINALS

# --------------------------------------------------------------------------- sagemaker_model_vpc_config
# moto's DescribeModel returns an empty ``VpcConfig`` for a model created without one; the
# provider reads it as a vpc_config block with no subnets, which differs from the (absent)
# configuration and forces the model to be replaced on every plan. AWS omits the field.


def _patch_sagemaker_model_vpc_config() -> None:
    from moto.sagemaker.models import Model

    original = Model.response_object
    ORIGINALS["sagemaker_model_vpc_config"] = original

    def response_object(self: Any) -> dict[str, Any]:
        out: dict[str, Any] = original.fget(self)
        vpc = out.get("VpcConfig")
        if not vpc or not (vpc.get("Subnets") or vpc.get("SecurityGroupIds")):
            out.pop("VpcConfig", None)
        return out

    Model.response_object = property(response_object)


def hook_sagemaker_runtime(runtime: Any) -> None:
    """The local SageMaker runtime's hook: CreateTransformJob starts ``runtime``'s transform (the model's inference contract) in a thread."""
    from moto.sagemaker.models import SageMakerModelBackend

    original = SageMakerModelBackend.create_transform_job

    def create_transform_job(backend: Any, *args: Any, **kwargs: Any) -> Any:
        job: Any = original(backend, *args, **kwargs)
        job.transform_job_status = "InProgress"
        job.transform_end_time = None
        model = backend._models.get(job.model_name)
        job._mlpipe_stopped = threading.Event()
        job._mlpipe_stop = job._mlpipe_stopped.set
        threading.Thread(
            target=runtime._run,
            args=(job, model),
            name=f"transform-{job.transform_job_name}",
            daemon=True,
        ).start()
        return job

    # moto's method is replaced on purpose: this is how the runtime hooks in
    SageMakerModelBackend.create_transform_job = create_transform_job  # type: ignore[method-assign,assignment]


PATCHES = {"sagemaker_model_vpc_config": _patch_sagemaker_model_vpc_config}
