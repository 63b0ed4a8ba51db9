"""EMR steps on the local cloud publish their outputs only when they succeed."""

from __future__ import annotations

import time

import pytest

from mlpipe.aws import endpoint_client
from tests.integration.glue_helpers import TinyJob

pytestmark = [pytest.mark.server, pytest.mark.slow, pytest.mark.spark]
DAY = "2023-08-01"


def run_step(cloud, job: TinyJob, *extra: str) -> dict:
    emr = endpoint_client("emr", cloud.endpoint, verify=str(cloud.ca_bundle))
    cluster = emr.run_job_flow(
        Name=f"safety-{job.uid}",
        ReleaseLabel="emr-7.5.0",
        Instances={
            "InstanceGroups": [
                {"InstanceRole": "MASTER", "InstanceType": "m5.xlarge", "InstanceCount": 1}
            ],
            "KeepJobFlowAliveWhenNoSteps": False,
        },
        JobFlowRole="r",
        ServiceRole="r",
        Steps=[
            {
                "Name": "tiny",
                "ActionOnFailure": "CONTINUE",
                "HadoopJarStep": {
                    "Jar": "command-runner.jar",
                    "Args": [
                        "spark-submit",
                        job.uri("code/job.py"),
                        "--output",
                        job.uri("out/"),
                        "--run_date",
                        DAY,
                        *extra,
                    ],
                },
            }
        ],
    )["JobFlowId"]
    deadline = time.monotonic() + 180
    while True:
        (step,) = emr.list_steps(ClusterId=cluster)["Steps"]
        if step["Status"]["State"] in ("COMPLETED", "FAILED", "CANCELLED"):
            return step
        assert time.monotonic() < deadline, step
        time.sleep(0.5)


@pytest.mark.timeout(300)
def test_a_failed_step_publishes_nothing_and_a_good_one_does(local_cloud):
    if local_cloud is None:
        pytest.skip("needs the embedded local cloud")
    job = TinyJob(local_cloud)
    assert run_step(local_cloud, job, "--fail", "yes")["Status"]["State"] == "FAILED"
    assert job.keys("out/") == {}
    assert run_step(local_cloud, job)["Status"]["State"] == "COMPLETED"
    assert list(job.keys("out/")) == [f"out/run_date={DAY}/result.txt"]
