"""Budgets: what the Terraform AWS provider reads for aws_budgets_budget."""

from __future__ import annotations

import json
from typing import Any

from mlpipe.local_cloud.patches._registry import ORIGINALS

# --------------------------------------------------------------------------- budgets_subscribers_tags
# moto's Budgets lacks DescribeSubscribersForNotification (the provider reads each
# notification's subscribers) and the tag APIs (TagResource, UntagResource,
# ListTagsForResource; CreateBudget's ResourceTags), so a budget with an email alert fails to
# apply. Tags are kept per budget ARN on the backend.


def budget_arn(account_id: str, name: str, partition: str = "aws") -> str:
    return f"arn:{partition}:budgets::{account_id}:budget/{name}"


def _tags(backend: Any) -> dict[str, dict[str, str]]:
    if not hasattr(backend, "_mlpipe_tags"):
        backend._mlpipe_tags = {}
    tags: dict[str, dict[str, str]] = backend._mlpipe_tags
    return tags


def _patch_budgets_subscribers_tags() -> None:
    from moto.budgets.exceptions import NotFoundException
    from moto.budgets.responses import BudgetsResponse

    ORIGINALS["budgets_subscribers_tags"] = (
        getattr(BudgetsResponse, "describe_subscribers_for_notification", None),
        BudgetsResponse.create_budget,
        BudgetsResponse.delete_budget,
    )
    create_budget, delete_budget = BudgetsResponse.create_budget, BudgetsResponse.delete_budget

    def describe_subscribers_for_notification(self: Any) -> str:
        account_id = self._get_param("AccountId")
        name = self._get_param("BudgetName")
        wanted = self._get_param("Notification")
        budget = self.backend.budgets[account_id].get(name)
        if budget is None:
            raise NotFoundException(f"Unable to get budget: {name} - the budget doesn't exist.")
        for notification in budget.notifications:
            if notification.details == wanted:
                return json.dumps({"Subscribers": notification.subscribers, "NextToken": None})
        raise NotFoundException("Unable to get subscribers: the notification doesn't exist.")

    def create(self: Any) -> Any:
        out = create_budget(self)
        budget = self._get_param("Budget")
        tags = self._get_param("ResourceTags") or []
        arn = budget_arn(self._get_param("AccountId"), budget["BudgetName"], self.partition)
        _tags(self.backend)[arn] = {t["Key"]: t["Value"] for t in tags}
        return out

    def delete(self: Any) -> Any:
        out = delete_budget(self)
        arn = budget_arn(
            self._get_param("AccountId"), self._get_param("BudgetName"), self.partition
        )
        _tags(self.backend).pop(arn, None)
        return out

    def tag_resource(self: Any) -> str:
        arn = self._get_param("ResourceARN")
        tags = _tags(self.backend).setdefault(arn, {})
        tags.update({t["Key"]: t["Value"] for t in self._get_param("ResourceTags") or []})
        return json.dumps({})

    def untag_resource(self: Any) -> str:
        tags = _tags(self.backend).setdefault(self._get_param("ResourceARN"), {})
        for key in self._get_param("ResourceTagKeys") or []:
            tags.pop(key, None)
        return json.dumps({})

    def list_tags_for_resource(self: Any) -> str:
        tags = _tags(self.backend).get(self._get_param("ResourceARN"), {})
        return json.dumps({"ResourceTags": [{"Key": k, "Value": v} for k, v in tags.items()]})

    BudgetsResponse.describe_subscribers_for_notification = describe_subscribers_for_notification
    BudgetsResponse.create_budget = create
    BudgetsResponse.delete_budget = delete
    BudgetsResponse.tag_resource = tag_resource
    BudgetsResponse.untag_resource = untag_resource
    BudgetsResponse.list_tags_for_resource = list_tags_for_resource


PATCHES = {"budgets_subscribers_tags": _patch_budgets_subscribers_tags}
