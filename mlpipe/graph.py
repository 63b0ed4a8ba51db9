"""Draw a state machine, with the states an execution passed through coloured by outcome.

Outcomes: ``succeeded`` (entered and left normally), ``caught`` (failed, then left through a
Catch), ``failed`` (the execution failed there, or a Fail state), ``not_reached``.
Formats: Mermaid (no install needed) and Graphviz DOT (rendered to PNG/SVG by ``dot``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mlpipe.asl import transitions

STYLES = {
    "succeeded": ("#c8e6c9", "#2e7d32", "#000000"),
    "caught": ("#ffe0b2", "#ef6c00", "#000000"),
    "failed": ("#ffcdd2", "#c62828", "#000000"),
    "not_reached": ("#f5f5f5", "#9e9e9e", "#9e9e9e"),
}
FAILURE_EVENTS = {"TaskFailed", "TaskTimedOut", "TaskStartFailed", "TaskSubmitFailed"}
EXTENSIONS = {"mermaid": "mmd", "dot": "dot", "png": "png", "svg": "svg"}


class GraphError(RuntimeError):
    pass


def outcomes(definition: dict[str, Any], events: list[dict[str, Any]]) -> dict[str, str]:
    result = {name: "not_reached" for name in definition["States"]}
    current, failed_here = None, False
    for e in events:
        if "stateEnteredEventDetails" in e:
            current, failed_here = e["stateEnteredEventDetails"]["name"], False
            result[current] = (
                "failed"
                if definition["States"].get(current, {}).get("Type") == "Fail"
                else "succeeded"
            )
        elif e["type"] in FAILURE_EVENTS:
            failed_here = True
        elif "stateExitedEventDetails" in e and failed_here:
            result[e["stateExitedEventDetails"]["name"]] = "caught"
        elif e["type"] in ("ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted") and current:
            result[current] = "failed"
    return result


def _node_id(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def _label(name: str, state: dict[str, Any]) -> str:
    resource = (
        str(state.get("Resource", "")).rsplit(":::", 1)[-1]
        if state.get("Resource")
        else state.get("Type", "")
    )
    return f"{name}\\n{resource}"


def _edges(state: dict[str, Any]) -> Iterator[tuple[str, bool]]:
    catch_targets = {c.get("Next") for c in state.get("Catch", [])}
    for target in dict.fromkeys(transitions(state)):
        yield target, target in catch_targets and target != state.get("Next")


def mermaid(definition: dict[str, Any], result: dict[str, str] | None = None) -> str:
    lines = ["flowchart TD"]
    for name, state in definition["States"].items():
        lines.append(f'  {_node_id(name)}["{_label(name, state).replace(chr(92) + "n", "<br/>")}"]')
    lines.append(f"  start((start)) --> {_node_id(definition['StartAt'])}")
    for name, state in definition["States"].items():
        for target, is_catch in _edges(state):
            arrow = "-. catch .->" if is_catch else "-->"
            lines.append(f"  {_node_id(name)} {arrow} {_node_id(target)}")
    if result:
        for outcome, (fill, stroke, color) in STYLES.items():
            lines.append(f"  classDef {outcome} fill:{fill},stroke:{stroke},color:{color}")
        for name, outcome in result.items():
            lines.append(f"  class {_node_id(name)} {outcome}")
    return "\n".join(lines) + "\n"


def dot(definition: dict[str, Any], result: dict[str, str] | None = None, title: str = "") -> str:
    lines = [
        "digraph G {",
        f'  label="{title}"; labelloc=t; rankdir=TB;',
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fillcolor="#ffffff"];',
    ]
    for name, state in definition["States"].items():
        fill, stroke, color = (
            STYLES[(result or {}).get(name, "not_reached")]
            if result
            else ("#ffffff", "#424242", "#000000")
        )
        lines.append(
            f'  {_node_id(name)} [label="{_label(name, state)}", fillcolor="{fill}", color="{stroke}", fontcolor="{color}"];'
        )
    lines.append(
        f'  start [shape=circle, label="", width=0.2, style=filled, fillcolor="#424242"]; start -> {_node_id(definition["StartAt"])};'
    )
    for name, state in definition["States"].items():
        for target, is_catch in _edges(state):
            style = ' [style=dashed, label="catch"]' if is_catch else ""
            lines.append(f"  {_node_id(name)} -> {_node_id(target)}{style};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_image(dot_source: str, out: Path, fmt: str) -> Path:
    exe = shutil.which("dot")
    if not exe:
        raise GraphError(
            f"--format {fmt} needs Graphviz's `dot` (apt-get install graphviz); --format mermaid needs nothing"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [exe, f"-T{fmt}", "-o", str(out)],
        input=dot_source,
        text=True,
        check=True,
        capture_output=True,
    )
    return out


def write(
    definition: dict[str, Any],
    path: Path,
    fmt: str,
    result: dict[str, str] | None = None,
    title: str = "",
) -> str | None:
    """Draw ``definition`` to ``path`` in ``fmt`` (a key of EXTENSIONS); returns the text written
    for mermaid and dot, None for images."""
    if fmt not in EXTENSIONS:
        raise GraphError(f"unknown format {fmt!r}: {', '.join(EXTENSIONS)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt in ("png", "svg"):
        render_image(dot(definition, result, title), path, fmt)
        return None
    text = mermaid(definition, result) if fmt == "mermaid" else dot(definition, result, title)
    path.write_text(text)
    return text
