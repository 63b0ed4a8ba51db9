"""SageMaker StopTransformJob on the local cloud: the job ends Stopped and writes nothing."""

from __future__ import annotations

import io
import tarfile
import time
import uuid

import pytest

from mlpipe.aws import endpoint_client

pytestmark = [pytest.mark.server]

INFERENCE = """
import time
def model_fn(model_dir):
    return None
def input_fn(body, content_type):
    return body.splitlines()
def predict_fn(rows, model):
    time.sleep(0.5)
    return [str(len(r)) for r in rows]
def output_fn(predictions, accept):
    return "\\n".join(predictions)
"""


def model_tar() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        data = INFERENCE.encode()
        info = tarfile.TarInfo("code/inference.py")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def wait_status(sm, name: str, wanted: set[str], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while True:
        status = sm.describe_transform_job(TransformJobName=name)["TransformJobStatus"]
        if status in wanted or time.monotonic() > deadline:
            return status
        time.sleep(0.3)


@pytest.mark.timeout(120)
def test_stop_transform_job_stops_it_and_nothing_is_written(local_cloud):
    if local_cloud is None:
        pytest.skip("needs the embedded local cloud")
    uid = uuid.uuid4().hex[:6]
    bucket, name = f"tf-{uid}", f"tf-{uid}"
    verify = str(local_cloud.ca_bundle)
    s3 = endpoint_client("s3", local_cloud.endpoint, verify=verify)
    sm = endpoint_client("sagemaker", local_cloud.endpoint, verify=verify)
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="model/model.tar.gz", Body=model_tar())
    for i in range(30):  # 30 objects x 0.5 s each: 15 s of work
        s3.put_object(Bucket=bucket, Key=f"in/{i:02d}.csv", Body=b"a,b\nc,d\n")
    sm.create_model(
        ModelName=name,
        ExecutionRoleArn="arn:aws:iam::123456789012:role/sm",
        PrimaryContainer={"Image": "img", "ModelDataUrl": f"s3://{bucket}/model/model.tar.gz"},
    )
    sm.create_transform_job(
        TransformJobName=name,
        ModelName=name,
        TransformInput={
            "DataSource": {
                "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{bucket}/in/"}
            },
            "ContentType": "text/csv",
            "SplitType": "Line",
        },
        TransformOutput={"S3OutputPath": f"s3://{bucket}/out/"},
        TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1},
    )
    time.sleep(2)
    assert sm.describe_transform_job(TransformJobName=name)["TransformJobStatus"] == "InProgress"
    sm.stop_transform_job(TransformJobName=name)
    assert wait_status(sm, name, {"Stopped", "Completed", "Failed"}, 30) == "Stopped"
    time.sleep(1)
    assert s3.list_objects_v2(Bucket=bucket, Prefix="out/").get("KeyCount") == 0
