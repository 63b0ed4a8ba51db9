"""Calling invoke tasks in tests: a context with the project's invoke.yaml, and the one-line
exit every refused argument must give."""

from __future__ import annotations

from typing import Any

import pytest
from invoke import Config, Exit, MockContext

from mlpipe import ROOT


def ctx(run: Any = None, **mlpipe: Any) -> MockContext:
    """A MockContext over the project's invoke.yaml, ``mlpipe.<key>`` overridden by ``mlpipe``;
    ``run`` answers ``c.run`` (without it, any ``c.run`` fails the test)."""
    config = Config(project_location=str(ROOT))
    config.load_project()
    config.mlpipe.update(mlpipe)
    return MockContext(config=config) if run is None else MockContext(config=config, run=run)


def one_line_exit(call, code: int | None = None) -> str:
    """``call()`` must exit non-zero (``code`` if given) with one ``error: ...`` line."""
    with pytest.raises(Exit) as exc:
        call()
    message = str(exc.value.message)
    assert exc.value.code != 0 and "\n" not in message and message.startswith("error: ")
    if code is not None:
        assert exc.value.code == code, message
    return message
