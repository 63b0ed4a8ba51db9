"""The S3 state backend AWS stacks use, exercised for real: `invoke tf.bootstrap`'s bucket on the
local cloud, then the real Terraform S3 backend (init, state written encrypted, S3-native
locking that refuses a second writer) over HTTPS."""

from __future__ import annotations

import json
import uuid

import pytest

from mlpipe.aws import client
from mlpipe.config import load_defaults, load_settings
from mlpipe.deploy.backend import (
    backend_for,
    bootstrap_state_bucket,
    state_bucket_exists,
    state_bucket_tags,
)
from mlpipe.deploy.terraform import Stack, TerraformFailed, TerraformUnavailable, terraform_bin

from .conftest import skip_or_fail, terraform_missing

pytestmark = [pytest.mark.server, pytest.mark.timeout(180)]


def _state(serial: int, lineage: str) -> str:
    return json.dumps(
        {
            "version": 4,
            "terraform_version": "1.11.4",
            "serial": serial,
            "lineage": lineage,
            "outputs": {"marker": {"value": f"serial {serial}", "type": "string"}},
            "resources": [],
        }
    )


def test_s3_backend_bootstrap_state_and_locking(local_cloud, tmp_path):
    reason = terraform_missing()
    if reason:
        skip_or_fail(reason)
    env = f"be{uuid.uuid4().hex[:6]}"
    config = {**load_defaults(), "tf_backend": "s3", "tf_state_bucket": f"mlpipe-tfstate-{env}"}
    settings = load_settings(env=env, config=config)
    backend = backend_for(settings, config)
    stack = Stack(settings, tmp_path / "build", tmp_path / "tf", backend=backend)
    s3 = client(settings, "s3")

    # no bucket yet: a one-line error that says how to make it
    with pytest.raises(TerraformUnavailable, match="invoke tf.bootstrap") as err:
        stack.init(echo=None)
    assert "\n" not in str(err.value)

    # bootstrap: a dry run by default in the task; creates once, protected
    (dry,) = bootstrap_state_bucket(s3, backend, state_bucket_tags(settings), apply=False)
    assert dry.startswith("would ") and not state_bucket_exists(s3, backend.bucket)
    (did,) = bootstrap_state_bucket(s3, backend, state_bucket_tags(settings))
    assert did.startswith("did ") and state_bucket_exists(s3, backend.bucket)
    assert s3.get_bucket_versioning(Bucket=backend.bucket)["Status"] == "Enabled"
    rules = s3.get_bucket_encryption(Bucket=backend.bucket)["ServerSideEncryptionConfiguration"]
    assert rules["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    block = s3.get_public_access_block(Bucket=backend.bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    policy = s3.get_bucket_policy(Bucket=backend.bucket)["Policy"]
    assert "aws:SecureTransport" in policy
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=backend.bucket)["TagSet"]}
    assert tags["Project"] == "mlpipe" and "Environment" not in tags  # env cleanup never matches
    # an existing bucket (it may be the user's, with a policy of its own) is left as it is
    (again,) = bootstrap_state_bucket(s3, backend, {"Other": "tags"})
    assert again.endswith("exists (versioning Enabled); left as it is")
    assert s3.get_bucket_policy(Bucket=backend.bucket)["Policy"] == policy
    assert s3.get_bucket_tagging(Bucket=backend.bucket)["TagSet"] == [
        {"Key": k, "Value": v} for k, v in sorted(tags.items())
    ]

    # the real S3 backend: init, then a state write lands encrypted at the stack's key
    stack.init(echo=None)
    assert (stack.workdir / "backend.tf").read_text() == backend.hcl()
    pushed = tmp_path / "state.json"
    lineage = str(uuid.uuid4())
    pushed.write_text(_state(1, lineage))
    push = [terraform_bin(), "state", "push", "-lock-timeout=0s", str(pushed)]
    stack.run(push, echo=None)
    head = s3.head_object(Bucket=backend.bucket, Key=backend.key)
    assert head["ServerSideEncryption"] == "AES256"
    stored = json.loads(s3.get_object(Bucket=backend.bucket, Key=backend.key)["Body"].read())
    assert stored["serial"] == 1
    lineage = stored["lineage"]  # a push to a new key may take a lineage of its own
    assert stack.outputs() == {"marker": "serial 1"}
    listed = s3.list_objects_v2(Bucket=backend.bucket, Prefix=backend.key)
    assert [o["Key"] for o in listed.get("Contents", [])] == [backend.key]  # lock released

    # a lock held by someone else: a second writer is refused and the state is untouched
    other = {"ID": str(uuid.uuid4()), "Operation": "OperationTypeApply", "Who": "ci@elsewhere"}
    s3.put_object(Bucket=backend.bucket, Key=backend.lock_key, Body=json.dumps(other).encode())
    pushed.write_text(_state(2, lineage))
    with pytest.raises(TerraformFailed, match="state lock"):
        stack.run(push, echo=None)
    stored = json.loads(s3.get_object(Bucket=backend.bucket, Key=backend.key)["Body"].read())
    assert stored["serial"] == 1

    # released: the write goes through, and the old state is still a version of the key
    s3.delete_object(Bucket=backend.bucket, Key=backend.lock_key)
    stack.run(push, echo=None)
    assert stack.outputs() == {"marker": "serial 2"}
    versions = s3.list_object_versions(Bucket=backend.bucket, Prefix=backend.key)["Versions"]
    assert len([v for v in versions if v["Key"] == backend.key]) == 2
