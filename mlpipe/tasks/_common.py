"""Helpers shared by task modules: config defaults and one-line failures."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from invoke import Context, Exit

from mlpipe.targets import PIPELINES, shown

if TYPE_CHECKING:
    from mlpipe.config import Settings


def setting(c: Context, name: str, override: Any = None) -> Any:
    """CLI value if given, else ``mlpipe.<name>`` from invoke.yaml."""
    return override if override not in (None, "") else c.config.mlpipe[name]


def repo_path(value: str | Path) -> Path:
    """``value`` relative to the repository root unless absolute (mlpipe.targets.repo_path)."""
    from mlpipe.targets import repo_path as resolve

    return Path(resolve(str(value)))


def fail(message: str, code: int = 1) -> NoReturn:
    raise Exit(f"error: {message}", code=code)


def check_pipeline(pipeline: str) -> str:
    """``pipeline`` if it names one, else a one-line exit listing them."""
    if pipeline not in PIPELINES:
        fail(f"unknown pipeline {shown(pipeline)}: choose one of {', '.join(PIPELINES)}", code=2)
    return pipeline


def int_option(name: str, value: Any, low: int, high: int) -> int:
    """A whole-number CLI option (declared with a string default, so that invoke hands over
    what was typed instead of failing with a traceback of its own); one line if it is not."""
    try:
        number = int(str(value).strip())
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        fail(f"--{name} must be a whole number from {low:,} to {high:,}, got {shown(value)}", 2)
    return number


# What an output path itself can be wrong about: a directory or a file where the other is
# needed, a missing or read-only parent, no permission, a name too long.
PATH_ERRNOS = {
    errno.EISDIR,
    errno.ENOTDIR,
    errno.ENOENT,
    errno.EACCES,
    errno.EPERM,
    errno.EROFS,
    errno.ENAMETOOLONG,
    errno.EEXIST,
}


@contextmanager
def writing(path: Path, what: str = "output") -> Iterator[None]:
    """Writes to ``path``: a path that cannot be written (a directory, a missing or read-only
    parent, a name too long) is one line naming it, not a traceback."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in PATH_ERRNOS:  # e.g. a closed stdout (EPIPE): not about the path
            raise
        fail(f"cannot write {what} {path}: {exc.strerror or exc}", code=2)


def unreachable(settings: Settings, exc: Exception) -> str:
    hint = " (run `invoke local.up`, then `invoke deploy --target local`)"
    local = settings.target == "local"
    return f"cannot reach {settings.endpoint or 'AWS'}: {type(exc).__name__}{hint if local else ''}"


@contextmanager
def aws_calls(settings: Settings) -> Iterator[None]:
    """A task's AWS calls: an endpoint that does not answer, missing credentials (code 3) or a
    request AWS's own parameter checks refuse (code 2) is one line, not a botocore traceback."""
    from botocore.exceptions import (
        BotoCoreError,
        ConnectionError,
        HTTPClientError,
        ParamValidationError,
    )

    try:
        yield
    except ParamValidationError as exc:
        lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
        fail(f"invalid request: {lines[-1] if lines else exc}"[:300], code=2)
    except (ConnectionError, HTTPClientError) as exc:  # refused, timed out, TLS, reset
        fail(unreachable(settings, exc), code=3)
    except BotoCoreError as exc:  # no credentials or region, a profile not found, ...
        fail(f"{type(exc).__name__}: {exc}".splitlines()[0][:300], code=3)


def settings_for(
    c: Context, target: str | None = None, env: str | None = None, **overrides: Any
) -> Settings:
    """Settings for a task: CLI values, else invoke.yaml; a bad value is a one-line exit."""
    from mlpipe.config import ConfigError, load_settings

    try:
        return load_settings(
            target=setting(c, "target", target),
            env=setting(c, "env", env),
            config=dict(c.config.mlpipe),
            **overrides,
        )
    except ConfigError as exc:
        fail(str(exc), code=2)
