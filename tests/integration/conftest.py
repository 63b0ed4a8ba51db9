"""Integration tests: one endpoint, one Terraform-made stack per session, real HTTP.

By default a local cloud server starts on a free port in a temporary state dir, and
``INVOKE_MLPIPE_LOCAL_STATE_DIR`` points every client (and Terraform) at it: the same
config loader a user's tasks use. With ``INVOKE_MLPIPE_TARGET=localstack`` the same tests
run against LocalStack at ``INVOKE_MLPIPE_LOCALSTACK_ENDPOINT`` (default
http://localhost:4566) and no local cloud starts.

The ``stack`` fixture applies the project's Terraform (the HCL users apply to AWS) once per
session for an env of its own; tests use their own run dates so they never share a run. The
lifecycle tests (marker ``lifecycle``, test_terraform_lifecycle.py) are the two ends of the
``stack`` group: the first checks the apply and a second plan, the last destroys the stack.
"""

from __future__ import annotations

import itertools
import os
import socket
import uuid

import pytest

from mlpipe import ROOT
from mlpipe.config import load_settings
from tests.conftest import CLOUD_NICENESS, STACK_NICENESS, raise_priority

# Glue Timeouts are in minutes; the test server counts a "minute" as this many seconds.
MINUTE_SECONDS = "3"
REQUIRE_TERRAFORM = "MLPIPE_REQUIRE_TERRAFORM"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def resolve_endpoint() -> tuple[str, str | None]:
    """(target, endpoint) from the mlpipe config (invoke.yaml + INVOKE_MLPIPE_*)."""
    settings = load_settings()
    return settings.target, settings.endpoint


def terraform_missing() -> str | None:
    """Why Terraform can't run here (no binary >= 1.10, no provider mirror), else None."""
    from mlpipe.deploy.terraform import (
        TerraformUnavailable,
        find_plugin_dir,
        provider_installed,
        terraform_bin,
    )

    try:
        terraform_bin()
        if find_plugin_dir(os.environ.get("INVOKE_MLPIPE_TF_PLUGIN_DIR", "")) is None and not (
            provider_installed()
        ):
            return "no hashicorp/aws provider mirror found (set INVOKE_MLPIPE_TF_PLUGIN_DIR) and none installed"
    except TerraformUnavailable as exc:
        return str(exc)
    return None


def skip_or_fail(reason: str) -> None:
    if os.environ.get(REQUIRE_TERRAFORM):
        pytest.fail(f"{reason} ({REQUIRE_TERRAFORM} is set: Terraform must run here)")
    pytest.skip(reason)


def pytest_collection_modifyitems(items):
    """Under pytest-xdist, the long-waiting groups start first, each on a worker of its own
    with its own local cloud: the tests on the session's Terraform stack (``stack``: one apply,
    with the ``lifecycle`` tests first and last), then the other local-cloud tests (``cloud``);
    workers left free run everything else."""
    here = os.path.dirname(__file__)
    group_order = {"stack": 0, "cloud": 1}
    in_group = {"first": 0, None: 1, "last": 2}
    for item in items:
        if str(item.fspath).startswith(here):
            group = "stack" if "stack" in getattr(item, "fixturenames", ()) else "cloud"
            lifecycle = item.get_closest_marker("lifecycle")
            order = lifecycle.kwargs.get("order") if lifecycle else None
            item.add_marker(pytest.mark.xdist_group(group))
            item.user_properties.append(("group_order", (group_order[group], in_group[order])))
    items.sort(key=lambda item: dict(item.user_properties).get("group_order", (2, 0)))


@pytest.fixture(scope="session")
def local_cloud(tmp_path_factory):
    target, endpoint = resolve_endpoint()
    if target != "local":
        from mlpipe.local_cloud.control import endpoint_reachable

        if not endpoint_reachable(endpoint):
            pytest.skip(f"target {target}: nothing answers at {endpoint} (start LocalStack first)")
        yield None
        return
    from mlpipe.local_cloud.control import LocalCloud
    from mlpipe.local_cloud.server import PRESTART_ENV

    raise_priority(CLOUD_NICENESS)  # before the server starts: it inherits it (tests/conftest.py)
    state_dir = tmp_path_factory.mktemp("local-cloud")
    cloud = LocalCloud(
        state_dir,
        port=free_port(),
        env={
            "MLPIPE_GLUE_MINUTE_SECONDS": MINUTE_SECONDS,
            # rate() schedules: a minute is MINUTE_SECONDS, checked every second
            "MLPIPE_SCHEDULE_MINUTE_SECONDS": MINUTE_SECONDS,
            "MLPIPE_SCHEDULER_INTERVAL": "1",
            PRESTART_ENV: "1",
        },
    )
    cloud.start()
    mp = pytest.MonkeyPatch()
    mp.setenv("INVOKE_MLPIPE_LOCAL_STATE_DIR", str(state_dir))
    yield cloud
    mp.undo()
    cloud.stop()


@pytest.fixture(scope="session")
def _stack_priority():
    """The stack group is the suite's longest chain: full CPU priority for this worker and,
    since this fixture comes before ``local_cloud``, for the server and Terraform it starts."""
    raise_priority(STACK_NICENESS)


@pytest.fixture(scope="session")
def session_stack(_stack_priority, local_cloud, tmp_path_factory):
    """The full stack applied by Terraform for env ``it<uid>``, once per session (worker).
    On the embedded local cloud it is not destroyed at the end: the cloud's state dies with
    its process right after (the group's last test destroys it and checks); on LocalStack
    whatever is left is destroyed."""
    reason = terraform_missing()
    if reason:
        skip_or_fail(reason)
    deployed = apply_fresh_stack(tmp_path_factory)
    yield deployed
    if local_cloud is None and deployed.resources():
        deployed.destroy(echo=None)


STACK_APPLY_ATTEMPTS = 3


def apply_fresh_stack(tmp_path_factory):
    """Apply the full stack for a new env ``it<uid>`` and return it."""
    from mlpipe.config import load_defaults
    from mlpipe.deploy.terraform import Stack, TerraformFailed

    def fresh() -> Stack:
        base = tmp_path_factory.mktemp("stack")
        return Stack(
            settings=load_settings(env=f"it{uuid.uuid4().hex[:6]}"),
            build_dir=base / "build",
            state_dir=base / "tf",
            plugin_dir=load_defaults().get("tf_plugin_dir", "") or "",
        )

    # Seen under heavy load (both attempts failed once in a CI run on 2026-12-06): the provider
    # retried an IAM create whose first attempt had succeeded (EntityAlreadyExists, or
    # LimitExceeded adding the role to an instance profile twice). Each retry applies a fresh
    # env with names of its own; the warning keeps every failure visible.
    import warnings

    for attempt in range(1, STACK_APPLY_ATTEMPTS + 1):
        deployed = fresh()
        try:
            deployed.apply(echo=None)
            return deployed
        except TerraformFailed as exc:
            if attempt == STACK_APPLY_ATTEMPTS:
                raise
            warnings.warn(
                f"stack apply {attempt} failed, applying a fresh env: {exc}", stacklevel=1
            )
    raise AssertionError("unreachable")


@pytest.fixture
def stack(session_stack):
    """The session's stack (applied again if something destroyed it, so any order is safe)."""
    if not session_stack.resources():
        session_stack.apply(echo=None)
    return session_stack


_dates = itertools.count(1)


@pytest.fixture
def run_date() -> str:
    """A run date of this test's own (one run per pipeline and date at a time)."""
    n = next(_dates)
    return f"2024-{1 + n // 28:02d}-{1 + n % 28:02d}"


@pytest.fixture(scope="session")
def sample_csv():
    return ROOT / "data" / "customer_churn_data.csv"
