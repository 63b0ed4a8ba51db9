"""Every change mlpipe makes to moto 5.2.5, named, in one place: one module per service.

Each patch fills a gap that our state machines, runtimes or the Terraform AWS provider hit,
and has a regression test (tests/unit/test_moto_patches.py) that fails when a moto upgrade
changes the behaviour it works around, so the patch can be dropped or redone.
``apply_all()`` is idempotent; the local cloud server and the test fixtures call it.
Private moto imports live only in this package.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mlpipe.local_cloud.patches import budgets, glue, iam, s3, sagemaker, sfn, stops
from mlpipe.local_cloud.patches._registry import ORIGINALS
from mlpipe.local_cloud.patches.sfn import (
    MOCK_CONFIG_ENV,
    SYNC_GUARD_LINE,
    SYNC_POLL_SECONDS,
    MockConfigError,
    iso_start_time,
    load_mock_test_case,
    mock_error_name,
)

__all__ = [
    "MOCK_CONFIG_ENV",
    "ORIGINALS",
    "PATCHES",
    "SYNC_GUARD_LINE",
    "SYNC_POLL_SECONDS",
    "MockConfigError",
    "apply_all",
    "iso_start_time",
    "load_mock_test_case",
    "mock_error_name",
]

PATCHES: dict[str, Callable[[], None]] = {
    **sfn.PATCHES,
    **iam.PATCHES,
    **s3.PATCHES,
    **glue.PATCHES,
    **sagemaker.PATCHES,
    **budgets.PATCHES,
    **stops.PATCHES,
}
_APPLIED: set[str] = set()


def serve_state_machines() -> None:
    """Configure moto to execute state machines (its ASL interpreter), as the server needs."""
    from moto.core.config import default_user_config

    default_user_config.setdefault("stepfunctions", {})["execute_state_machine"] = True


def moto_wsgi_app() -> tuple[Any, Any]:
    """moto's WSGI app (every service on one port) and its request handler."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )

    return DomainDispatcherApplication(create_backend_app), MotoRequestHandler


def apply_all() -> list[str]:
    """Apply every patch once; return the names applied now."""
    applied = []
    for name, patch in PATCHES.items():
        if name not in _APPLIED:
            patch()
            _APPLIED.add(name)
            applied.append(name)
    return applied
