"""The local cloud for integration tests: one server per session on a free port, real HTTP.

Set MLPIPE_TARGET=localstack (and MLPIPE_ENDPOINT) to run the same tests against LocalStack
instead; by default they run against the embedded local cloud started here.
"""

from __future__ import annotations

import os
import socket
import uuid

import pytest

from mlpipe import ROOT
from mlpipe.config import load_settings
from mlpipe.deploy.local import LocalDeployer
from mlpipe.local_cloud.control import LocalCloud

# Glue Timeouts are in minutes; the test server counts a "minute" as this many seconds.
MINUTE_SECONDS = "3"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def local_cloud(tmp_path_factory):
    target = os.environ.get("MLPIPE_TARGET", "local")
    if target != "local":
        if not os.environ.get("MLPIPE_ENDPOINT"):
            pytest.skip(f"MLPIPE_TARGET={target} needs MLPIPE_ENDPOINT")
        yield None
        return
    cloud = LocalCloud(
        tmp_path_factory.mktemp("local-cloud"),
        port=free_port(),
        env={"MLPIPE_GLUE_MINUTE_SECONDS": MINUTE_SECONDS},
    )
    cloud.start()
    mp = pytest.MonkeyPatch()
    mp.setenv("MLPIPE_ENDPOINT", cloud.endpoint)
    yield cloud
    mp.undo()
    cloud.stop()


def unique_settings(**overrides):
    """Settings with names of their own, so tests never share resources."""
    uid = uuid.uuid4().hex[:6]
    names = {
        "churn_state_machine": f"churn-{uid}",
        "clean_job": f"clean-{uid}",
        "features_job": f"features-{uid}",
    }
    return load_settings(
        target=os.environ.get("MLPIPE_TARGET", "local"), env=f"it-{uid}", names=names, **overrides
    )


@pytest.fixture
def deployed(local_cloud, tmp_path):
    settings = unique_settings()
    changes = LocalDeployer(settings, tmp_path / "build").deploy(pipelines=("churn",))
    return settings, changes


@pytest.fixture(scope="session")
def sample_csv():
    return ROOT / "data" / "customer_churn_data.csv"
