"""The Terraform lifecycle on the local cloud: init offline -> apply (a stack of the test's
own, ``fresh_stack``) -> a second plan has no changes -> the pipeline runs on what Terraform
made -> destroy leaves no resource of the deployment. Marker ``lifecycle``: its own xdist
worker and local cloud (tests/integration/conftest.py)."""

from __future__ import annotations

import shlex

import pytest
from botocore.exceptions import ClientError

from mlpipe import pipelines, runs
from mlpipe.aws import client
from mlpipe.deploy.terraform import find_plugin_dir

pytestmark = [pytest.mark.server, pytest.mark.slow, pytest.mark.lifecycle]


def deployment_resources(settings) -> dict[str, list[str]]:
    """Every resource of the deployment still in the cloud, by kind (names carry the prefix)."""
    prefix = settings.prefix
    found: dict[str, list[str]] = {}

    def keep(kind, names):
        hits = sorted(n for n in names if n.startswith(prefix) or f"/{prefix}" in n)
        if hits:
            found[kind] = hits

    keep("bucket", [b["Name"] for b in client(settings, "s3").list_buckets()["Buckets"]])
    keep("glue job", client(settings, "glue").list_jobs()["JobNames"])
    keep(
        "state machine",
        [
            m["name"]
            for m in client(settings, "stepfunctions").list_state_machines()["stateMachines"]
        ],
    )
    keep(
        "topic",
        [t["TopicArn"].split(":")[-1] for t in client(settings, "sns").list_topics()["Topics"]],
    )
    keep(
        "queue",
        [u.rsplit("/", 1)[-1] for u in client(settings, "sqs").list_queues().get("QueueUrls", [])],
    )
    keep("rule", [r["Name"] for r in client(settings, "events").list_rules()["Rules"]])
    keep(
        "alarm",
        [a["AlarmName"] for a in client(settings, "cloudwatch").describe_alarms()["MetricAlarms"]],
    )
    keep("role", [r["RoleName"] for r in client(settings, "iam").list_roles()["Roles"]])
    keep(
        "policy",
        [p["PolicyName"] for p in client(settings, "iam").list_policies(Scope="Local")["Policies"]],
    )
    keep("model", [m["ModelName"] for m in client(settings, "sagemaker").list_models()["Models"]])
    keep(
        "log group",
        [g["logGroupName"] for g in client(settings, "logs").describe_log_groups()["logGroups"]],
    )
    try:
        budgets = client(settings, "budgets").describe_budgets(AccountId=settings.account_id)
        keep("budget", [b["BudgetName"] for b in budgets.get("Budgets", [])])
    except ClientError:
        pass
    keys = client(settings, "kms").list_aliases()["Aliases"]
    keep("kms alias", [a["AliasName"].removeprefix("alias/") for a in keys])
    return found


@pytest.mark.timeout(600)
def test_apply_replan_run_destroy(fresh_stack, sample_csv, run_date):
    stack = fresh_stack
    settings = stack.settings
    init = stack.init_cmd()
    if find_plugin_dir(stack.plugin_dir):
        assert any(arg.startswith("-plugin-dir=") for arg in init), shlex.join(init)

    # what Terraform made, read back from the APIs (not from Terraform's state)
    made = deployment_resources(settings)
    assert {
        "bucket",
        "glue job",
        "state machine",
        "topic",
        "queue",
        "rule",
        "role",
        "model",
    } <= set(made)
    assert len(made["state machine"]) == 3 and len(made["glue job"]) == 2

    code, output = stack.run(stack.plan_cmd(detailed_exitcode=True), ok=(0, 2), echo=None)
    changed = [ln for ln in output.splitlines() if " will be " in ln or " must be " in ln]
    assert code == 0, f"a second plan must say No changes, not: {changed}"

    launched = pipelines.launch(settings, "churn", run_date, sample_csv)
    result = runs.follow(settings, launched.execution_arn, on_event=lambda e: None, timeout=300)
    assert result.status == "SUCCEEDED", runs.failure_line("churn", result)

    stack.destroy(echo=None)
    assert stack.resources() == []
    assert deployment_resources(settings) == {}
