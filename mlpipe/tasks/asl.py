"""State machines: render the Jinja2 templates and validate them."""

from __future__ import annotations

from pathlib import Path

from invoke import Context, task

from mlpipe.asl import AslError, render, render_all, template_name, validate
from mlpipe.config import PIPELINES
from mlpipe.tasks._common import check_pipeline, fail, repo_path, setting, settings_for, writing

HELP = {
    "target": "local | localstack | aws (default: mlpipe.target)",
    "env": "environment name (default: mlpipe.env)",
    "pipeline": "one of churn, emr, inference (default: all)",
}


def _pipelines(pipeline: str | None) -> list[str]:
    return [check_pipeline(pipeline)] if pipeline else list(PIPELINES)


@task(name="render", help={**HELP, "out": "output directory (default: <build_dir>/asl)"})
def render_(
    c: Context,
    target: str | None = None,
    env: str | None = None,
    pipeline: str | None = None,
    out: str | None = None,
) -> dict[str, Path]:
    """Render state machines to build/asl/<pipeline>.asl.json (validated first)."""
    settings = settings_for(c, target, env)
    out_dir = repo_path(out or f"{setting(c, 'build_dir')}/asl")
    try:
        with writing(out_dir, "state machines to"):
            written = render_all(settings, out_dir, _pipelines(pipeline))
    except AslError as exc:
        fail(str(exc))
    for name, path in written.items():
        print(f"rendered {name:<10} -> {path}  (target={settings.target}, env={settings.env})")
    return written


@task(name="validate", help=HELP)
def validate_(
    c: Context, target: str | None = None, env: str | None = None, pipeline: str | None = None
) -> None:
    """Validate state machines with statelint and mlpipe's invariants."""
    settings = settings_for(c, target, env)
    failures = 0
    for name in _pipelines(pipeline):
        try:
            problems = validate(render(name, settings))
        except AslError as exc:
            problems = [str(exc)]
        status = "ok" if not problems else f"{len(problems)} problem(s)"
        print(f"{template_name(name):<24} {status}")
        for problem in problems:
            print(f"  - {problem}")
        failures += bool(problems)
    if failures:
        fail(f"{failures} state machine(s) failed validation")
