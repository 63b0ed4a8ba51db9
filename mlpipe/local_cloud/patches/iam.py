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


def warm_up(account_id: str = "123456789012") -> None:
    """Build the account's IAM backend (1,500+ managed policies) before the server answers:
    built on the first request instead, it can take seconds under load, long enough for the
    Terraform provider to time out and retry a CreateRole that succeeded (EntityAlreadyExists)."""
    from moto.iam.models import iam_backends

    iam_backends[account_id]["global"]


PATCHES = {"iam_aws_managed_policies": _patch_iam_aws_managed_policies}
