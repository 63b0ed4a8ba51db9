"""The Terraform lifecycle on the local cloud, as the two ends of the ``stack`` group (one
xdist worker, one local cloud, one apply: tests/integration/conftest.py):

- first: init offline -> apply (the session's ``stack``) -> every kind of resource is there,
  read back from the APIs -> a second plan has no changes;
- in between: every pipeline test of the group runs on what Terraform made (churn, emr,
  inference, the lease and stop tests);
- last: destroy -> no resource of the deployment is left in the cloud.

Run alone (``-k lifecycle``), each test still holds: the ``stack`` fixture applies the stack if
it is not there.
"""

from __future__ import annotations

import shlex

import pytest
from botocore.exceptions import ClientError

from mlpipe.aws import client
from mlpipe.deploy.terraform import find_plugin_dir

pytestmark = [pytest.mark.server, pytest.mark.slow]


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


@pytest.mark.lifecycle(order="first")
def test_apply_made_every_kind_of_resource_and_a_second_plan_is_empty(stack):
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


@pytest.mark.lifecycle(order="last")
def test_destroy_leaves_no_resource_of_the_deployment(stack):
    """After every pipeline of the group ran on the stack (runs leave objects in its buckets,
    executions, log streams): destroy removes all of it."""
    settings = stack.settings
    assert deployment_resources(settings)  # there is something to destroy
    stack.destroy(echo=None)
    assert stack.resources() == []
    assert deployment_resources(settings) == {}
