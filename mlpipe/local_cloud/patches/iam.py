"""IAM: the AWS managed policies our roles attach."""

from __future__ import annotations

from mlpipe.local_cloud.patches._registry import ORIGINALS

# --------------------------------------------------------------------------- iam_aws_managed_policies
# moto does not load AWS managed policies by default, so attaching
# arn:aws:iam::aws:policy/service-role/AmazonEMRServicePolicy_v2 (the EMR service role) fails
# with NoSuchEntity. moto ships the documents; its user config switches loading on.


def _patch_iam_aws_managed_policies() -> None:
    from moto.core.config import default_user_config

    iam = default_user_config.setdefault("iam", {})
    ORIGINALS["iam_aws_managed_policies"] = iam.get("load_aws_managed_policies")
    iam["load_aws_managed_policies"] = True


PATCHES = {"iam_aws_managed_policies": _patch_iam_aws_managed_policies}
