"""Render the Jinja2 ASL templates and validate the result.

``render(pipeline, settings)`` -> definition dict; ``validate(definition)`` -> list of
problems (statelint's and ours), each naming the state. Template mistakes raise
``AslError`` with a one-line message naming the template and line.
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Iterator
from pathlib import Path

import jinja2

from mlpipe import ROOT
from mlpipe.config import PIPELINES, Settings

ASL_DIR = ROOT / "asl"
SYNC_SUFFIX = ".sync"


class AslError(ValueError):
    """A template that does not render to valid JSON, or a definition that fails validation."""


def _tojson(value) -> str:
    """JSON for a template value; an undefined value fails as StrictUndefined does."""
    if isinstance(value, jinja2.Undefined):
        value._fail_with_undefined_error()
    return json.dumps(value)


def _env(template_dir: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
    )
    env.filters["tojson"] = _tojson
    return env


def template_name(pipeline: str) -> str:
    return f"{pipeline}.asl.json.j2"


def render_text(pipeline: str, context: dict, template_dir: Path = ASL_DIR) -> str:
    name = template_name(pipeline)
    try:
        return _env(template_dir).get_template(name).render(**context)
    except jinja2.TemplateSyntaxError as exc:
        raise AslError(f"{exc.filename or exc.name}:{exc.lineno}: {exc.message}") from None
    except jinja2.TemplateNotFound as exc:
        raise AslError(f"template not found: {exc.name} in {template_dir}") from None
    except jinja2.UndefinedError as exc:
        where = _template_frame(exc, template_dir) or name
        raise AslError(f"{where}: {exc.message}") from None


def _template_frame(exc: BaseException, template_dir: Path) -> str | None:
    """``file:line`` of the innermost template frame in a Jinja runtime error."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith(".j2")]
    if not frames:
        return None
    frame = frames[-1]
    try:
        shown = Path(frame.filename).relative_to(template_dir.parent)
    except ValueError:
        shown = Path(frame.filename).name
    return f"{shown}:{frame.lineno}"


def render(pipeline: str, settings: Settings, template_dir: Path = ASL_DIR) -> dict:
    """The definition for ``pipeline`` as a dict (rendered, parsed, not yet validated)."""
    text = render_text(pipeline, settings.asl_context(pipeline), template_dir)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise AslError(
            f"{template_name(pipeline)}: rendered JSON is invalid at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None


# --------------------------------------------------------------------------- validation


def transitions(state: dict) -> Iterator[str]:
    if "Next" in state:
        yield state["Next"]
    for choice in state.get("Choices", []):
        if "Next" in choice:
            yield choice["Next"]
    if "Default" in state:
        yield state["Default"]
    for catcher in state.get("Catch", []):
        if "Next" in catcher:
            yield catcher["Next"]


def _is_terminal(state: dict) -> bool:
    return state.get("Type") in ("Succeed", "Fail") or state.get("End") is True


def _resource(state: dict) -> str:
    return str(state.get("Resource", ""))


def invariant_problems(definition: dict) -> list[str]:
    """Our rules on top of statelint: Catch, timeouts, cluster termination, reachability."""
    states: dict = definition.get("States", {})
    problems: list[str] = []
    for name, state in states.items():
        for target in transitions(state):
            if target not in states:
                problems.append(f"state {name!r}: Next {target!r} points to a missing state")
        if state.get("Type") == "Task":
            if not state.get("Catch"):
                problems.append(f"state {name!r}: Task has no Catch")
            if (
                _resource(state).endswith(SYNC_SUFFIX)
                and "TimeoutSeconds" not in state
                and "TimeoutSecondsPath" not in state
            ):
                problems.append(f"state {name!r}: .sync Task has no TimeoutSeconds")
    reachable = _reachable(states, definition.get("StartAt"))
    for name in states:
        if name not in reachable:
            problems.append(f"state {name!r}: unreachable from StartAt")
    for name, state in states.items():
        if "createCluster" in _resource(state) and state.get("Next") in states:
            leak = _path_skipping_terminate(states, state["Next"])
            if leak:
                problems.append(
                    f"state {name!r}: path {' -> '.join([name, *leak])} ends without TerminateCluster"
                )
    return problems


def _reachable(states: dict, start: str | None) -> set[str]:
    seen: set[str] = set()
    todo = [start] if start in states else []
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(t for t in transitions(states[name]) if t in states)
    return seen


def _path_skipping_terminate(states: dict, start: str) -> list[str] | None:
    """A path from ``start`` to a terminal state that never enters a terminateCluster task."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack:
        name, path = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        state = states[name]
        if "terminateCluster" in _resource(state):
            continue
        if _is_terminal(state):
            return path
        stack.extend((t, [*path, t]) for t in transitions(state) if t in states)
    return None


def statelint_problems(definition: dict) -> list[str]:
    from statelint.linter import Linter

    return [str(p) for p in Linter.validate(definition)]


def validate(definition: dict) -> list[str]:
    return statelint_problems(definition) + invariant_problems(definition)


def render_all(settings: Settings, out_dir: Path, pipelines=PIPELINES) -> dict[str, Path]:
    """Render and validate each pipeline, writing ``<out_dir>/<name>.asl.json``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for pipeline in pipelines:
        definition = render(pipeline, settings)
        problems = validate(definition)
        if problems:
            raise AslError(f"{template_name(pipeline)}: " + "; ".join(problems))
        path = out_dir / f"{pipeline}.asl.json"
        path.write_text(json.dumps(definition, indent=2) + "\n", encoding="utf-8")
        written[pipeline] = path
    return written
