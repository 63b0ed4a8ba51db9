"""S3 and the policy evaluator behind bucket policies."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from mlpipe.local_cloud.patches._registry import ORIGINALS

# --------------------------------------------------------------------------- s3_secure_transport
# Our buckets deny every request whose ``aws:SecureTransport`` is false (TLS-only policy).
# moto (1) evaluates only ``StringEquals`` and ignores any other operator, so the Deny always
# applies, (2) returns DENIED for any statement whose condition does not hold, even an Allow
# or a Deny that should simply not apply, and (3) passes no request context to bucket
# policies. This patch records whether each request arrived over TLS, passes it to bucket
# policies as ``aws:SecureTransport``, and evaluates conditions as IAM does: every operator
# must hold (a missing key fails it unless the operator ends in IfExists); a statement whose
# condition fails does not apply (NEUTRAL).

SECURE_TRANSPORT: ContextVar[str | None] = ContextVar("mlpipe_secure_transport", default=None)


def _as_list(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [str(v) for v in values]


def _lower_bool(value: str) -> str:
    return value.strip().lower()


def _numeric(op: Callable[[float, float], bool]) -> Callable[[str, str], bool]:
    def check(actual: str, expected: str) -> bool:
        try:
            return op(float(actual), float(expected))
        except ValueError:
            return False

    return check


OPERATORS = {
    "StringEquals": lambda a, e: a == e,
    "StringNotEquals": lambda a, e: a != e,
    "StringEqualsIgnoreCase": lambda a, e: a.lower() == e.lower(),
    "StringNotEqualsIgnoreCase": lambda a, e: a.lower() != e.lower(),
    "StringLike": lambda a, e: fnmatch.fnmatchcase(a, e),
    "StringNotLike": lambda a, e: not fnmatch.fnmatchcase(a, e),
    "ArnEquals": lambda a, e: a == e,
    "ArnNotEquals": lambda a, e: a != e,
    "ArnLike": lambda a, e: fnmatch.fnmatchcase(a, e),
    "ArnNotLike": lambda a, e: not fnmatch.fnmatchcase(a, e),
    "Bool": lambda a, e: _lower_bool(a) == _lower_bool(e),
    "NumericEquals": _numeric(lambda a, e: a == e),
    "NumericNotEquals": _numeric(lambda a, e: a != e),
    "NumericLessThan": _numeric(lambda a, e: a < e),
    "NumericLessThanEquals": _numeric(lambda a, e: a <= e),
    "NumericGreaterThan": _numeric(lambda a, e: a > e),
    "NumericGreaterThanEquals": _numeric(lambda a, e: a >= e),
}
NEGATED = {op for op in OPERATORS if "Not" in op}


class UnsupportedCondition(ValueError):
    pass


def condition_holds(condition: dict[str, Any], context: dict[str, str]) -> bool:
    """True when every operator/key of an IAM ``Condition`` block holds for ``context``."""
    for operator, pairs in condition.items():
        base = operator.removeprefix("ForAnyValue:").removeprefix("ForAllValues:")
        if_exists = base.endswith("IfExists")
        base = base.removesuffix("IfExists")
        for key, expected in pairs.items():
            actual = next((v for k, v in context.items() if k.lower() == key.lower()), None)
            if base == "Null":
                wanted = _lower_bool(_as_list(expected)[0]) == "true"
                if (actual is None) != wanted:
                    return False
                continue
            check = OPERATORS.get(base)
            if check is None:
                raise UnsupportedCondition(f"condition operator {operator} is not supported")
            if actual is None:
                if if_exists:
                    continue
                return False
            values = _as_list(expected)
            if base in NEGATED:
                ok = all(check(actual, e) for e in values)
            else:
                ok = any(check(actual, e) for e in values)
            if not ok:
                return False
    return True


def _patch_s3_secure_transport() -> None:
    from moto.iam.access_control import IAMPolicyStatement, PermissionResult
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication
    from moto.s3.models import FakeBucket

    ORIGINALS["s3_secure_transport"] = (
        IAMPolicyStatement.is_action_permitted,
        FakeBucket.get_permission,
        DomainDispatcherApplication.__call__,
    )
    original_call = DomainDispatcherApplication.__call__

    def call(self: Any, environ: dict[str, Any], start_response: Any) -> Any:
        token = SECURE_TRANSPORT.set(
            "true" if environ.get("wsgi.url_scheme") == "https" else "false"
        )
        try:
            return original_call(self, environ, start_response)
        finally:
            SECURE_TRANSPORT.reset(token)

    def is_action_permitted(
        self: Any,
        action: str,
        resource: str = "*",
        principal: Any = None,
        incoming: dict[str, str] | None = None,
    ) -> Any:
        statement = self._statement
        if "NotAction" in statement:
            concerned = not self._check_element_matches("NotAction", action)
        else:
            concerned = self._check_element_matches("Action", action)
        if not concerned:
            return PermissionResult.NEUTRAL
        if self.is_unknown_principal(statement.get("Principal")):
            return PermissionResult.NEUTRAL
        if principal and not self._check_principal(principal):
            return PermissionResult.NEUTRAL
        if statement.get("Condition") and not condition_holds(
            statement["Condition"], incoming or {}
        ):
            return PermissionResult.NEUTRAL
        if statement.get("Resource") and not self._check_element_matches("Resource", resource):
            return PermissionResult.NEUTRAL
        if statement.get("Effect") == "Deny":
            return PermissionResult.DENIED
        return PermissionResult.PERMITTED

    def get_permission(self: Any, action: str, resource: str) -> Any:
        from moto.iam.access_control import IAMPolicy

        if self.policy is None:
            return PermissionResult.NEUTRAL
        context: dict[str, str] = {}
        secure = SECURE_TRANSPORT.get()
        if secure is not None:
            context["aws:SecureTransport"] = secure
        return IAMPolicy(self.policy.decode()).is_action_permitted(
            action, resource, incoming_condition_values=context
        )

    DomainDispatcherApplication.__call__ = call
    IAMPolicyStatement.is_action_permitted = is_action_permitted
    FakeBucket.get_permission = get_permission


# --------------------------------------------------------------------------- s3_delete_marker_dispose
# Deleting every version of a key in a versioned bucket (DeleteObjects with VersionIds, as
# the provider does for force_destroy) pops the key's version list and calls dispose() on
# each entry; delete markers have no dispose(), so the request fails with HTTP 500 and
# terraform destroy waits forever on the bucket. A delete marker holds no data to dispose.


def _patch_s3_delete_marker_dispose() -> None:
    from moto.s3.models import FakeDeleteMarker

    ORIGINALS["s3_delete_marker_dispose"] = getattr(FakeDeleteMarker, "dispose", None)
    FakeDeleteMarker.dispose = lambda self, garbage=False: None


PATCHES = {
    "s3_secure_transport": _patch_s3_secure_transport,
    "s3_delete_marker_dispose": _patch_s3_delete_marker_dispose,
}
