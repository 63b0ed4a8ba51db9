"""SageMaker: DescribeModel as the Terraform AWS provider reads it."""

from __future__ import annotations

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


PATCHES = {"sagemaker_model_vpc_config": _patch_sagemaker_model_vpc_config}
