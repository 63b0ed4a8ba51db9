"""What `terraform plan` really plans, read from `terraform show -json` (issue 17).

The plan runs offline against an in-process moto server carrying the local cloud's patches (it
answers STS and ValidateStateMachineDefinition; the plan reads nothing else), for the aws-dev
variables of two environments. Every IAM policy is known at plan time (terraform/main.tf builds
ARNs from names), so:

- an offline IAM linter (parliament, which ships AWS's action/resource/condition database)
  fails on actions scoped to resources they cannot take, unknown actions or conditions;
- our own rules: every iam:PassRole names iam:PassedToService, service trust policies name
  aws:SourceAccount, no Allow of a whole service;
- two environments plan to disjoint resource names.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess

import pytest

from mlpipe.asl import render_all
from mlpipe.config import load_settings
from mlpipe.deploy.terraform import TF_DIR, find_plugin_dir, terraform_bin
from mlpipe.packaging import package_jobs

# one worker computes the two plans once (a module fixture would run again in each xdist worker)
pytestmark = [pytest.mark.slow, pytest.mark.timeout(300), pytest.mark.xdist_group("tfplan")]

# parliament's database gaps, each checked against AWS's Service Authorization Reference:
KNOWN_LINTER_GAPS = {
    # ListExecutions takes a stateMachine ARN (or a mapRun ARN); parliament only accepts mapRun.
    ("RESOURCE_MISMATCH", "states:ListExecutions"),
    # kms:ResourceAliases is a KMS condition key for operations on a key (AWS KMS docs);
    # parliament does not attach it to the key actions.
    ("UNKNOWN_CONDITION_FOR_ACTION", "kms:GenerateDataKey"),
    ("UNKNOWN_CONDITION_FOR_ACTION", "kms:Decrypt"),
}
# Services that do not document aws:SourceAccount when assuming a role (a condition on it would
# block them): EC2 instance profiles, Glue job roles.
NO_SOURCE_KEYS = {"ec2.amazonaws.com", "glue.amazonaws.com"}
RESOURCE_POLICIES = {
    "aws_kms_key",
    "aws_sns_topic_policy",
    "aws_s3_bucket_policy",
    "aws_sqs_queue_policy",
}
FAILING_ISSUES = {
    "RESOURCE_MISMATCH",
    "UNKNOWN_ACTION",
    "UNKNOWN_PREFIX",
    "UNKNOWN_CONDITION_FOR_ACTION",
    "INVALID_ARN",
    "MALFORMED",
    "RESOURCE_STAR",
}


def _unavailable() -> str | None:
    try:
        terraform_bin()
    except Exception as exc:  # noqa: BLE001 - any reason is a skip reason
        return f"terraform >= 1.10 not found ({exc})"
    if find_plugin_dir() is None:
        return "no hashicorp/aws provider mirror on this machine (see tf_plugin_dir)"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def plans(tmp_path_factory):
    """{env: plan JSON} for envs dev and prod with the aws-dev variables."""
    reason = _unavailable()
    if reason:
        if os.environ.get("MLPIPE_REQUIRE_TERRAFORM"):
            pytest.fail(reason)
        pytest.skip(reason)
    from moto.server import ThreadedMotoServer

    from mlpipe.local_cloud.patches import apply_all

    apply_all()
    base = tmp_path_factory.mktemp("plan")
    tf = base / "terraform"
    shutil.copytree(
        TF_DIR, tf, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*", "backend_override.tf")
    )
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "TF_IN_AUTOMATION": "1",
        "CHECKPOINT_DISABLE": "1",
    }
    for key in ("AWS_PROFILE", "AWS_CA_BUNDLE", "TF_CLI_CONFIG_FILE"):
        env.pop(key, None)
    tf_bin = terraform_bin()
    init = subprocess.run(
        [tf_bin, "init", "-input=false", "-no-color", f"-plugin-dir={find_plugin_dir()}"],
        cwd=tf,
        env=env,
        capture_output=True,
        text=True,
    )
    assert init.returncode == 0, init.stdout + init.stderr
    port = _free_port()
    server = ThreadedMotoServer(port=port, verbose=False)
    server.start()
    out = {}
    try:
        for name in ("dev", "prod"):
            build = base / f"build-{name}"
            render_all(load_settings(target="aws", env=name), build / "asl")
            package_jobs(build)  # the job scripts and the zip, as Stack.build makes them
            (build / "models" / "abalone").mkdir(parents=True)
            (build / "models" / "abalone" / "model.tar.gz").write_bytes(b"model")
            plan_file = base / f"{name}.tfplan"
            proc = subprocess.run(
                [
                    tf_bin,
                    "plan",
                    "-input=false",
                    "-no-color",
                    "-lock=false",
                    f"-state={base / (name + '.tfstate')}",
                    f"-out={plan_file}",
                    "-var-file=environments/aws-dev.tfvars",
                    f"-var=env={name}",
                    f"-var=endpoint=http://127.0.0.1:{port}",
                    f"-var=build_dir={build}",
                    '-var=alert_emails=["ops@example.com"]',
                    "-var=emr_subnet_id=subnet-0abc1234",
                ],
                cwd=tf,
                env=env,
                capture_output=True,
                text=True,
                timeout=240,
            )
            assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
            show = subprocess.run(
                [tf_bin, "show", "-json", str(plan_file)],
                cwd=tf,
                env=env,
                capture_output=True,
                text=True,
            )
            assert show.returncode == 0, show.stderr
            out[name] = json.loads(show.stdout)
    finally:
        server.stop()
    return out


def resources(plan: dict):
    def walk(module):
        yield from module.get("resources", [])
        for child in module.get("child_modules", []):
            yield from walk(child)

    yield from walk(plan["planned_values"]["root_module"])


def policies(plan: dict):
    """(address, attribute, resource type, parsed document) of every policy in the plan."""
    for r in resources(plan):
        values = r.get("values", {})
        for attr in ("policy", "assume_role_policy"):
            text = values.get(attr)
            if text:
                yield r["address"], attr, r["type"], json.loads(text)


def _statements(doc: dict):
    sts = doc.get("Statement", [])
    return sts if isinstance(sts, list) else [sts]


def _as_list(value):
    return value if isinstance(value, list) else [value]


# --------------------------------------------------------------------------- the linter


def lint(doc: dict, rtype: str = "aws_iam_role_policy", attr: str = "policy") -> list[str]:
    """Problems in one policy document: parliament's findings (less known database gaps) and
    our own rules. Trust policies get our rules only (they have no Resource by design)."""
    from parliament import analyze_policy_string

    problems = []
    if attr == "policy":
        analysed = analyze_policy_string(json.dumps(doc), include_community_auditors=False)
        for finding in analysed.findings:
            if finding.issue not in FAILING_ISSUES:
                continue
            if finding.issue == "RESOURCE_STAR" and rtype in RESOURCE_POLICIES:
                continue  # "*" in a key/topic/bucket policy means that resource itself
            details = finding.detail if isinstance(finding.detail, list) else [finding.detail]
            for detail in details:
                action = detail.get("action") if isinstance(detail, dict) else None
                text = str(detail)
                if action is None and "for action " in text:
                    action = text.rsplit("for action ", 1)[1].strip()
                if (finding.issue, action) in KNOWN_LINTER_GAPS:
                    continue
                problems.append(f"{finding.issue}: {text}")
    for st in _statements(doc):
        actions = _as_list(st.get("Action", []))
        conditions = st.get("Condition", {})
        keys = {k for block in conditions.values() for k in block}
        if st.get("Effect") == "Allow":
            for action in actions:
                if action == "*" or action.endswith(":*"):
                    problems.append(f"Allow of a whole service: {action}")
            if "iam:PassRole" in actions and "iam:PassedToService" not in keys:
                problems.append(f"iam:PassRole without iam:PassedToService on {st.get('Resource')}")
        if attr == "assume_role_policy":
            services = _as_list(st.get("Principal", {}).get("Service", []))
            if services and not set(services) <= NO_SOURCE_KEYS and "aws:SourceAccount" not in keys:
                problems.append(f"trust of {services} without aws:SourceAccount")
    return problems


# --------------------------------------------------------------------------- tests


def test_every_policy_is_known_at_plan_time(plans):
    for rc in plans["dev"]["resource_changes"]:
        unknown = rc["change"].get("after_unknown", {})
        for attr in ("policy", "assume_role_policy"):
            if rc["type"] != "aws_s3_bucket" and rc["type"] != "aws_sns_topic":
                assert unknown.get(attr) is not True, f"{rc['address']}.{attr} is unknown at plan"
    # 9 trust + 9 role policies + the key, the topic and 3 bucket policies
    assert len(list(policies(plans["dev"]))) == 23


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_planned_policies_pass_the_iam_linter(plans, env):
    problems = [
        f"{address}.{attr}: {p}"
        for address, attr, rtype, doc in policies(plans[env])
        for p in lint(doc, rtype, attr)
    ]
    assert problems == []


def _find(plan, address_part, sid):
    for address, _, _, doc in policies(plan):
        if address_part in address:
            for st in _statements(doc):
                if st.get("Sid") == sid:
                    return st
    raise AssertionError(f"no statement {sid} in {address_part}")


def test_run_job_flow_is_on_star_with_request_tags(plans):
    st = _find(plans["dev"], "module.sfn_emr.aws_iam_role_policy", "EmrCreateTaggedClusters")
    assert st["Resource"] == "*" and st["Action"] == "elasticmapreduce:RunJobFlow"
    assert st["Condition"]["StringEquals"] == {
        "aws:RequestTag/for-use-with-amazon-emr-managed-policies": "true",
        "aws:RequestTag/Project": "mlpipe",
        "aws:RequestTag/Environment": "dev",
    }


def test_emr_service_role_may_pass_the_instance_role_to_ec2(plans):
    st = _find(plans["dev"], "module.emr_roles.aws_iam_role_policy.service", "PassInstanceRole")
    assert st["Resource"] == "arn:aws:iam::123456789012:role/mlpipe-dev-emr-ec2"
    assert st["Condition"] == {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}


def test_sagemaker_lists_the_bucket_by_prefix(plans):
    st = _find(plans["dev"], "module.sagemaker_model.aws_iam_role_policy", "ListInputs")
    assert st["Resource"] == "arn:aws:s3:::mlpipe-dev-data-123456789012"
    assert st["Condition"]["StringLike"]["s3:prefix"] == ["raw/abalone/", "raw/abalone/*"]


def test_alerts_topic_is_encrypted_and_both_alert_sources_may_publish(plans):
    plan = plans["dev"]
    topic = next(r for r in resources(plan) if r["address"] == "module.alerts.aws_sns_topic.this")
    assert topic["values"].get("kms_master_key_id") != "alias/aws/sns"
    key_policy = next(doc for a, _, t, doc in policies(plan) if t == "aws_kms_key")
    services = {
        s
        for st in _statements(key_policy)
        for s in _as_list(st.get("Principal", {}).get("Service", []))
    }
    assert {"events.amazonaws.com", "cloudwatch.amazonaws.com"} <= services
    events = _find(plan, "module.alerts.aws_sns_topic_policy", "EventBridgePublish")
    alarms = _find(plan, "module.alerts.aws_sns_topic_policy", "CloudWatchAlarmsPublish")
    assert events["Condition"]["ArnEquals"]["aws:SourceArn"] == [
        "arn:aws:events:us-east-1:123456789012:rule/mlpipe-dev-alerts-execution-stopped",
        "arn:aws:events:us-east-1:123456789012:rule/mlpipe-dev-alerts-execution-failed-unnotified",
        "arn:aws:events:us-east-1:123456789012:rule/mlpipe-dev-alerts-glue-job-failed",
    ]
    assert alarms["Condition"]["ArnLike"]["aws:SourceArn"] == (
        "arn:aws:cloudwatch:us-east-1:123456789012:alarm:mlpipe-dev-*"
    )


def test_an_aws_deploy_has_a_budget_for_the_alert_addresses(plans):
    (budget,) = [r for r in resources(plans["dev"]) if r["type"] == "aws_budgets_budget"]
    assert budget["values"]["limit_amount"] == "5.00"
    for notification in budget["values"]["notification"]:
        assert notification["subscriber_email_addresses"] == ["ops@example.com"]


def test_state_machines_get_the_templatefile_values(plans):
    machines = {
        r["values"]["name"]: json.loads(r["values"]["definition"])
        for r in resources(plans["dev"])
        if r["type"] == "aws_sfn_state_machine"
    }
    emr = machines["mlpipe-dev-emr-partition"]["States"]["CreateCluster"]
    assert emr["Parameters"]["Instances"]["Ec2SubnetId"] == "subnet-0abc1234"
    assert emr["Resource"] == "arn:aws:states:::elasticmapreduce:createCluster"
    text = json.dumps(machines)
    assert "${" not in text and "arn:aws:sns:us-east-1:123456789012:mlpipe-dev-alerts" in text


NAME_ATTRIBUTES = ("name", "bucket", "alarm_name", "dashboard_name", "role_name")
SHARED = {"aws_s3_object": "key", "aws_iam_role_policy": "name"}  # scoped to their bucket/role


def _names(plan) -> dict[str, str]:
    out = {}
    for r in resources(plan):
        if r["mode"] != "managed" or r["type"] in SHARED:
            continue
        for attr in NAME_ATTRIBUTES:
            value = r.get("values", {}).get(attr)
            if isinstance(value, str) and value:
                out[f"{r['type']}:{value}"] = r["address"]
    return out


def test_two_environments_plan_disjoint_names(plans):
    dev, prod = _names(plans["dev"]), _names(plans["prod"])
    assert len(dev) >= 30
    assert set(dev) & set(prod) == set()
    for key in dev:
        assert "mlpipe-dev" in key or "mlpipe_dev" in key or "/mlpipe-dev" in key, key
    # account-wide singletons are not created per environment
    assert not any(r["type"] == "aws_iam_service_linked_role" for r in resources(plans["dev"]))


# The linter must be able to fail: the defects issue 17 found, as they were planned.
@pytest.mark.parametrize(
    "statement, problem",
    [
        (
            {
                "Effect": "Allow",
                "Action": "elasticmapreduce:RunJobFlow",
                "Resource": "arn:aws:elasticmapreduce:us-east-1:123456789012:cluster/*",
            },
            "RESOURCE_MISMATCH",
        ),
        (
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:ListBucket"],
                "Resource": "arn:aws:s3:::mlpipe-dev-data-123456789012/raw/abalone/*",
            },
            "RESOURCE_MISMATCH",
        ),
        (
            {
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": "arn:aws:iam::123456789012:role/mlpipe-dev-emr-service",
            },
            "iam:PassRole without iam:PassedToService",
        ),
        ({"Effect": "Allow", "Action": "glue:*", "Resource": "*"}, "Allow of a whole service"),
        (
            {"Effect": "Allow", "Action": "glue:StartJobRunz", "Resource": "*"},
            "UNKNOWN_ACTION",
        ),
    ],
)
def test_the_linter_catches_issue_17_defects(statement, problem):
    doc = {"Version": "2012-10-17", "Statement": [statement]}
    assert any(p.startswith(problem) for p in lint(doc)), lint(doc)


def test_trust_without_source_account_is_caught():
    doc = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Principal": {"Service": "states.amazonaws.com"},
            }
        ],
    }
    assert lint(doc, "aws_iam_role", "assume_role_policy") == [
        "trust of ['states.amazonaws.com'] without aws:SourceAccount"
    ]
