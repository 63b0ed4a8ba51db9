"""The suite's own guard rails: every test runs under pytest-timeout, with the budgets chosen
in tests/conftest.py (slow tests, and the first user of a costly session fixture, get more)."""

import pytest

from tests import conftest


def test_pytest_timeout_is_active_with_the_default(pytestconfig):
    assert pytestconfig.pluginmanager.hasplugin("timeout")
    assert float(pytestconfig.getini("timeout")) == 90


class Item:
    def __init__(self, *fixtures, slow=False, timeout=None):
        self.fixturenames = list(fixtures)
        self.markers = {"slow": pytest.mark.slow.mark} if slow else {}
        if timeout:
            self.markers["timeout"] = pytest.mark.timeout(timeout).mark

    def get_closest_marker(self, name):
        return self.markers.get(name)

    def add_marker(self, mark):
        self.markers[mark.name] = mark.mark

    @property
    def limit(self):
        return self.markers["timeout"].args[0] if "timeout" in self.markers else None


class Config:
    def getini(self, name):
        return {"timeout": "90"}[name]


def test_budgets_per_item():
    items = [
        Item(),
        Item("spark", "_spark_session"),
        Item("session_stack", "local_cloud", slow=True),
        Item("session_stack", slow=True, timeout=42),
        Item(),
    ]
    conftest.pytest_collection_modifyitems(Config(), items)
    setup, teardown = conftest.SETUP_BUDGET, conftest.TEARDOWN_BUDGET
    budget = {name: setup[name] + teardown[name] for name in setup}
    assert [i.limit for i in items] == [
        None,  # the ini default applies
        90 + budget["_spark_session"],  # any Spark user may start (and stop) the worker's JVM
        conftest.SLOW_TIMEOUT + budget["session_stack"] + budget["local_cloud"],
        42,  # an explicit mark wins
        None,
    ]
