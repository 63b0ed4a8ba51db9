"""Finders for S3 (output prefixes; with ``include_data`` everything and the buckets) and the
IAM roles of the deployment."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from mlpipe.cleanup.model import Resource, Scope, pages

OUTPUT_PREFIXES = (
    "curated/",
    "quarantine/",
    "features/",
    "tmp/",
    "predictions/",
    "emr/",
    "glue/",
    "models/",
)


def _versions(s3: Any, bucket: str, prefix: str) -> list[dict[str, str]]:
    out = []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
        out += [
            {"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
        ]
    return out


def _delete_versions(s3: Any, bucket: str, keys: list[dict[str, str]]) -> None:
    for start in range(0, len(keys), 1000):
        answer = s3.delete_objects(
            Bucket=bucket, Delete={"Objects": keys[start : start + 1000], "Quiet": True}
        )
        if answer.get("Errors"):
            first = answer["Errors"][0]
            raise RuntimeError(f"{first.get('Key')}: {first.get('Message', first.get('Code'))}")


def find_s3(scope: Scope) -> Iterator[Resource]:
    s3 = scope.client("s3")
    for bucket in s3.list_buckets().get("Buckets", []):
        name = bucket["Name"]
        try:
            tags = s3.get_bucket_tagging(Bucket=name)["TagSet"]
        except ClientError:
            continue
        if not scope.ours(tags):
            continue
        for prefix in [""] if scope.include_data else list(OUTPUT_PREFIXES):
            keys = _versions(s3, name, prefix)
            if keys:
                label = f"s3://{name}/{prefix}" + ("" if prefix else " (everything)")
                yield Resource(
                    "s3 objects",
                    label,
                    f"{len(keys)} object version(s)",
                    delete=partial(_delete_versions, s3, name, keys),
                )
        if scope.include_data:
            yield Resource("s3 bucket", name, delete=partial(s3.delete_bucket, Bucket=name))


def find_iam(scope: Scope) -> Iterator[Resource]:
    iam = scope.client("iam")
    for role in pages(iam.list_roles, "Roles", "Marker", "Marker"):
        name = role["RoleName"]
        if not scope.ours(iam.list_role_tags(RoleName=name).get("Tags", [])):
            continue

        def delete(n: str = name) -> None:
            for profile in iam.list_instance_profiles_for_role(RoleName=n)["InstanceProfiles"]:
                iam.remove_role_from_instance_profile(
                    InstanceProfileName=profile["InstanceProfileName"], RoleName=n
                )
                iam.delete_instance_profile(InstanceProfileName=profile["InstanceProfileName"])
            for policy in iam.list_attached_role_policies(RoleName=n)["AttachedPolicies"]:
                iam.detach_role_policy(RoleName=n, PolicyArn=policy["PolicyArn"])
            for policy in iam.list_role_policies(RoleName=n)["PolicyNames"]:
                iam.delete_role_policy(RoleName=n, PolicyName=policy)
            iam.delete_role(RoleName=n)

        yield Resource("iam role", name, delete=delete)
