"""In-process moto with execute_state_machine, our patches and the mock config."""

import json
import uuid

import boto3
import pytest
from moto import mock_aws

from mlpipe import ROOT
from mlpipe.asl import render
from mlpipe.config import load_settings
from mlpipe.local_cloud.patches import MOCK_CONFIG_ENV, apply_all
from mlpipe.runs import history, wait

REGION = "us-east-1"
SETTINGS = load_settings()


@pytest.fixture(scope="module")
def cloud():
    """Module-scoped: its mock_aws (executing state machines) must not outlive these tests,
    or other tests' in-process moto in the same worker would run their executions too."""
    apply_all()
    mp = pytest.MonkeyPatch()
    mp.setenv(MOCK_CONFIG_ENV, str(ROOT / "localstack" / "sfn-mock-config.json"))
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        sfn = boto3.client("stepfunctions", region_name=REGION)
        sns = boto3.client("sns", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        topic = sns.create_topic(Name=SETTINGS.name("alerts_topic"))["TopicArn"]
        machines = {
            p: sfn.create_state_machine(
                name=SETTINGS.name(f"{p}_state_machine"),
                definition=json.dumps(render(p, SETTINGS)),
                roleArn=SETTINGS.role_arn("churn_sfn_role"),
            )["stateMachineArn"]
            for p in ("churn", "emr", "inference")
        }
        yield {"sfn": sfn, "sns": sns, "sqs": sqs, "topic": topic, "machines": machines}
    mp.undo()


def run_case(cloud, pipeline, case):
    """Subscribe a fresh queue, run the test case, return (describe, events, alerts)."""
    sqs = cloud["sqs"]
    queue = sqs.create_queue(QueueName=f"inbox-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sub = cloud["sns"].subscribe(TopicArn=cloud["topic"], Protocol="sqs", Endpoint=queue_arn)[
        "SubscriptionArn"
    ]
    try:
        arn = cloud["sfn"].start_execution(
            stateMachineArn=f"{cloud['machines'][pipeline]}#{case}",
            name=f"{case}-{uuid.uuid4().hex[:8]}",
            input=json.dumps({"run_date": "2023-08-01"}),
        )["executionArn"]
        desc = wait(cloud["sfn"], arn, timeout=60)
        events = history(cloud["sfn"], arn)
        alerts = [
            json.loads(m["Body"])
            for m in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
        ]
        return desc, events, alerts
    finally:
        cloud["sns"].unsubscribe(SubscriptionArn=sub)
