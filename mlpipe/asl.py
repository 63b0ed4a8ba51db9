"""Render the Jinja2 ASL templates and validate the result.

``render(pipeline, settings)`` -> definition dict; ``validate(definition)`` -> list of
problems (statelint's and ours), each naming the state. Template mistakes raise
``AslError`` with a one-line message naming the template and line.

Two flavours: ``render(..., terraform=False)`` fills in the account, region and partition
(what tests and the engine run); ``render(..., terraform=True)`` leaves them, and the EMR
subnet, as ``templatefile()`` variables (``${account_id}``, ``${region}``, ``${partition}``,
``${emr_subnet_id}``) that the state_machine module fills in from the provider configuration
and var.emr_subnet_id: one source for every ARN Terraform deploys. ``render_all`` writes the
Terraform flavour unless told otherwise.
"""

from __future__ import annotations

import json
import re
import traceback
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

import jinja2

from mlpipe import ROOT
from mlpipe.config import PIPELINES, Settings

ASL_DIR = ROOT / "asl"
SYNC_SUFFIX = ".sync"
# The Fail state after NotifyFailure; terraform/modules/alerts (var.notified_error) skips it.
NOTIFIED_ERROR = "PipelineFailed"
# A Glue task's TimeoutSeconds = the job's Timeout + this, so Glue ends a run before Step
# Functions stops waiting for it.
GLUE_TIMEOUT_MARGIN = 300
# Terraform templatefile() variables the Terraform flavour leaves in the definition.
TERRAFORM_VARS = ("account_id", "region", "partition", "emr_subnet_id")


def partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


class _TerraformSettings(Settings):
    """Settings whose account, region and partition are Terraform template variables."""

    @property
    def account_id(self) -> str:
        return "${account_id}"

    def arn(self, service: str, resource: str) -> str:
        return f"arn:${{partition}}:{service}:{self.region}:{self.account_id}:{resource}"


def _for_terraform(settings: Settings) -> Settings:
    values = {f.name: getattr(settings, f.name) for f in fields(settings) if f.init}
    values["region"] = "${region}"
    values["emr"] = {**settings.emr, "subnet_id": "${emr_subnet_id}"}
    return _TerraformSettings(**values)


def context(pipeline: str, settings: Settings, terraform: bool = False) -> dict[str, Any]:
    """The template context: Settings.asl_context plus the ASL-only constants."""
    if terraform:
        settings = _for_terraform(settings)
    ctx = settings.asl_context(pipeline)
    ctx.setdefault("partition", "${partition}" if terraform else partition_of(settings.region))
    if not terraform and ctx["partition"] != "aws":
        # Settings.arn() writes the commercial partition; the region decides it.
        ctx["topic_arn"] = ctx["topic_arn"].replace("arn:aws:", f"arn:{ctx['partition']}:", 1)
    ctx.setdefault("notified_error", NOTIFIED_ERROR)
    ctx.setdefault("glue_timeout_margin", GLUE_TIMEOUT_MARGIN)
    return ctx


class AslError(ValueError):
    """A template that does not render to valid JSON, or a definition that fails validation."""


def _tojson(value: Any) -> str:
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


def render_text(pipeline: str, context: dict[str, Any], template_dir: Path = ASL_DIR) -> str:
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
        shown = str(Path(frame.filename).relative_to(template_dir.parent))
    except ValueError:
        shown = Path(frame.filename).name
    return f"{shown}:{frame.lineno}"


def render(
    pipeline: str, settings: Settings, template_dir: Path = ASL_DIR, terraform: bool | None = None
) -> dict[str, Any]:
    """The definition for ``pipeline`` as a dict (rendered, parsed, not yet validated).
    ``terraform=None``: the Terraform flavour for the aws target (its account is only known to
    Terraform and STS), the concrete one elsewhere."""
    if terraform is None:
        terraform = settings.target == "aws"
    text = render_text(pipeline, context(pipeline, settings, terraform), template_dir)
    try:
        definition: dict[str, Any] = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AslError(
            f"{template_name(pipeline)}: rendered JSON is invalid at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    return definition


# --------------------------------------------------------------------------- validation


def transitions(state: dict[str, Any]) -> Iterator[str]:
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


def _is_terminal(state: dict[str, Any]) -> bool:
    return state.get("Type") in ("Succeed", "Fail") or state.get("End") is True


def _resource(state: dict[str, Any]) -> str:
    return str(state.get("Resource", ""))


def invariant_problems(definition: dict[str, Any]) -> list[str]:
    """Our rules on top of statelint: Catch, timeouts, cluster termination, reachability."""
    states: dict[str, Any] = definition.get("States", {})
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
        problems.extend(_retry_problems(name, state))
        problems.extend(_emr_problems(name, state))
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


# A service error as Step Functions names it: <Service>.<Exception> (e.g. Glue.ThrottlingException).
_SERVICE_ERROR = re.compile(r"^[A-Z][A-Za-z0-9]*\.[A-Za-z0-9]+$")


def _retry_problems(name: str, state: dict[str, Any]) -> Iterator[str]:
    """Retry only errors Step Functions can raise: States.* or service-prefixed names; never
    States.Timeout on a Glue job (the run may still be going: a retry starts a second one)."""
    for retrier in state.get("Retry", []):
        for error in retrier.get("ErrorEquals", []):
            if not (error.startswith("States.") or _SERVICE_ERROR.match(error)):
                yield f"state {name!r}: Retry on {error!r} never matches (service errors carry a prefix, e.g. Glue.{error})"
            if error in ("States.Timeout", "States.ALL") and ":glue:" in _resource(state):
                yield f"state {name!r}: Glue task retries {error} (a timed-out job may still run)"
    for catcher in state.get("Catch", []):
        for error in catcher.get("ErrorEquals", []):
            if not (error.startswith("States.") or _SERVICE_ERROR.match(error)):
                yield f"state {name!r}: Catch on {error!r} never matches"


def _emr_problems(name: str, state: dict[str, Any]) -> Iterator[str]:
    """RunJobFlow under AmazonEMRServicePolicy_v2: the managed-policy tag and a subnet."""
    if "elasticmapreduce:createCluster" not in _resource(state):
        return
    params = state.get("Parameters", {})
    tags = {t.get("Key"): t.get("Value") for t in params.get("Tags", [])}
    if tags.get("for-use-with-amazon-emr-managed-policies") != "true":
        yield f"state {name!r}: cluster lacks the tag for-use-with-amazon-emr-managed-policies=true"
    if "Ec2SubnetId" not in params.get("Instances", {}):
        yield f"state {name!r}: cluster has no Instances.Ec2SubnetId"
    idle = params.get("AutoTerminationPolicy", {}).get("IdleTimeout")
    if idle is None or idle > 900:
        yield f"state {name!r}: AutoTerminationPolicy.IdleTimeout must be set and at most 900 s, got {idle}"


def _reachable(states: dict[str, Any], start: str | None) -> set[str]:
    seen: set[str] = set()
    todo = [start] if start is not None and start in states else []
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(t for t in transitions(states[name]) if t in states)
    return seen


def _path_skipping_terminate(states: dict[str, Any], start: str) -> list[str] | None:
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


def statelint_problems(definition: dict[str, Any]) -> list[str]:
    from statelint.linter import Linter

    return [str(p) for p in Linter.validate(definition)]


def validate(definition: dict[str, Any]) -> list[str]:
    return statelint_problems(definition) + invariant_problems(definition)


def render_all(
    settings: Settings,
    out_dir: Path,
    pipelines: tuple[str, ...] | list[str] = PIPELINES,
    terraform: bool = True,
) -> dict[str, Path]:
    """Render and validate each pipeline, writing ``<out_dir>/<name>.asl.json`` (by default the
    Terraform flavour, which the state_machine module reads with templatefile())."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for pipeline in pipelines:
        definition = render(pipeline, settings, terraform=terraform)
        problems = validate(definition)
        if problems:
            raise AslError(f"{template_name(pipeline)}: " + "; ".join(problems))
        path = out_dir / f"{pipeline}.asl.json"
        path.write_text(json.dumps(definition, indent=2) + "\n", encoding="utf-8")
        written[pipeline] = path
    return written
