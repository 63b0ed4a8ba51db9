"""Finders for alarms, log groups, the alerts topic and its inbox queue."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from mlpipe.cleanup.model import Resource, Scope, pages
from mlpipe.logs import GLUE_LOG_GROUPS


def find_cloudwatch(scope: Scope) -> Iterator[Resource]:
    cw = scope.client("cloudwatch")
    for alarm in pages(cw.describe_alarms, "MetricAlarms"):
        if scope.ours(cw.list_tags_for_resource(ResourceARN=alarm["AlarmArn"]).get("Tags", [])):
            yield Resource(
                "cloudwatch alarm",
                alarm["AlarmName"],
                alarm.get("StateValue", ""),
                delete=partial(cw.delete_alarms, AlarmNames=[alarm["AlarmName"]]),
            )


def find_logs(scope: Scope) -> Iterator[Resource]:
    logs = scope.client("logs")
    for group in pages(logs.describe_log_groups, "logGroups", "nextToken", "nextToken"):
        name = group["logGroupName"]
        if name in GLUE_LOG_GROUPS.values():
            continue  # shared by every Glue job: only our runs' streams go (jobs.find_glue)
        if scope.ours(logs.list_tags_log_group(logGroupName=name).get("tags", {})):
            yield Resource(
                "log group", name, delete=partial(logs.delete_log_group, logGroupName=name)
            )


def find_sns_sqs(scope: Scope) -> Iterator[Resource]:
    sns, sqs = scope.client("sns"), scope.client("sqs")
    for topic in pages(sns.list_topics, "Topics"):
        arn = topic["TopicArn"]
        if not scope.ours(sns.list_tags_for_resource(ResourceArn=arn).get("Tags", [])):
            continue

        def delete(a: str = arn) -> None:
            for sub in pages(sns.list_subscriptions_by_topic, "Subscriptions", TopicArn=a):
                if sub["SubscriptionArn"].startswith("arn:"):
                    sns.unsubscribe(SubscriptionArn=sub["SubscriptionArn"])
            sns.delete_topic(TopicArn=a)

        yield Resource("sns topic", arn.rsplit(":", 1)[-1], delete=delete)
    for url in pages(sqs.list_queues, "QueueUrls"):
        if scope.ours(sqs.list_queue_tags(QueueUrl=url).get("Tags", {})):
            yield Resource(
                "sqs queue",
                url.rsplit("/", 1)[-1],
                delete=partial(sqs.delete_queue, QueueUrl=url),
            )
