"""What a cleanup plan is made of: resources, their order, the report, and the scope."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from mlpipe.aws import client
from mlpipe.config import Settings

# Deletion order: what runs (and bills) stops first; what others depend on goes last.
ORDER = [
    "sfn execution",
    "glue job run",
    "emr cluster",
    "transform job",
    "state machine",
    "eventbridge rule",
    "glue crawler",
    "glue job",
    "glue database",
    "sagemaker model",
    "cloudwatch alarm",
    "log stream",
    "log group",
    "sns topic",
    "sqs queue",
    "s3 objects",
    "s3 bucket",
    "iam role",
]
# Running work: stopped first, and waited for, before anything is deleted.
RUNNING_KINDS = ("sfn execution", "glue job run", "emr cluster", "transform job")


@dataclass
class Resource:
    kind: str
    name: str
    state: str = ""
    cost: str = ""
    delete: Callable[[], None] | None = field(default=None, repr=False, compare=False)
    # for running work: True once it has really stopped (checked after ``delete``)
    settled: Callable[[], bool] | None = field(default=None, repr=False, compare=False)

    @property
    def rank(self) -> int:
        return ORDER.index(self.kind)


@dataclass
class Report:
    deleted: list[Resource] = field(default_factory=list)
    failed: list[tuple[Resource, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


@dataclass
class Scope:
    """Who is ours (tags ``Project`` and ``Environment``) and how to reach the services."""

    settings: Settings
    include_data: bool = False

    @property
    def want(self) -> dict[str, str]:
        return {"Project": self.settings.project, "Environment": self.settings.env}

    def client(self, service: str) -> Any:
        return client(self.settings, service)

    def ours(self, tags: Any) -> bool:
        if isinstance(tags, list):
            tags = {t.get("Key", t.get("key")): t.get("Value", t.get("value")) for t in tags}
        return all((tags or {}).get(k) == v for k, v in self.want.items())


def pages(
    call: Callable[..., Any],
    key: str,
    token_in: str = "NextToken",
    token_out: str = "NextToken",
    **kwargs: Any,
) -> Iterator[Any]:
    """Every item of a paginated list call."""
    while True:
        page = call(**kwargs)
        yield from page.get(key, [])
        token = page.get(token_out)
        if not token:
            return
        kwargs[token_in] = token


def gone(exc: ClientError) -> bool:
    """The resource no longer exists. Some services (SageMaker) say so with a
    ValidationException; others use that code for real refusals (a protected EMR cluster)."""
    code = exc.response["Error"].get("Code", "")
    message = exc.response["Error"].get("Message", "").lower()
    if code == "ValidationException":
        return any(s in message for s in ("could not find", "not found", "does not exist"))
    return code == "ResourceNotFoundException" or any(
        s in code for s in ("NotFound", "NoSuch", "DoesNotExist", "EntityNotFound", "NonExistent")
    )


Finder = Callable[[Scope], Iterator[Resource]]
