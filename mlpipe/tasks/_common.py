"""Helpers shared by task modules: config defaults and one-line failures."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from invoke import Context, Exit

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
