"""`invoke graph`: the rendered ASL drawn with an execution's path coloured by outcome."""

import shutil

import pytest

from mlpipe.asl import render
from mlpipe.graph import GraphError, dot, mermaid, outcomes, render_image
from tests.asl.conftest import SETTINGS, run_case


def test_failed_churn_path_is_coloured(cloud):
    _, events, _ = run_case(cloud, "churn", "PermanentGlueFailure")
    definition = render("churn", SETTINGS)
    result = outcomes(definition, events)
    assert result == {
        "ResolveRunDate": "succeeded",
        "DefaultRunDate": "not_reached",
        "ResolveInput": "succeeded",
        "DefaultInput": "succeeded",
        "Clean": "caught",
        "CleanFailed": "succeeded",
        "BuildFeatures": "not_reached",
        "BuildFeaturesFailed": "not_reached",
        "Succeeded": "not_reached",
        "NotifyFailure": "succeeded",
        "Failed": "failed",
    }
    text = mermaid(definition, result)
    assert text.startswith("flowchart TD\n")
    assert "  Clean -. catch .-> CleanFailed" in text and "  Clean --> BuildFeatures" in text
    assert (
        "  class Clean caught" in text
        and "  class Failed failed" in text
        and "  class BuildFeatures not_reached" in text
    )


def test_happy_emr_path(cloud):
    _, events, _ = run_case(cloud, "emr", "HappyPath")
    result = outcomes(render("emr", SETTINGS), events)
    assert [s for s, o in result.items() if o == "succeeded"] == [
        "ResolveRunDate",
        "ResolveInput",
        "DefaultInput",
        "CheckAlreadyRunning",
        "AlreadyRunning",
        "CheckInput",
        "HasInput",
        "CreateCluster",
        "AddStep",
        "TerminateCluster",
        "Succeeded",
    ]


def test_plain_graph_without_execution():
    text = mermaid(render("inference", SETTINGS))
    assert "classDef" not in text and "CreateTransformJob --> NotifySuccess" in text


@pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz `dot` not installed (.ci/run installs it)"
)
@pytest.mark.parametrize("fmt, magic", [("png", b"\x89PNG"), ("svg", b"<?xml")])
def test_png_and_svg(cloud, tmp_path, fmt, magic):
    _, events, _ = run_case(cloud, "churn", "PermanentGlueFailure")
    definition = render("churn", SETTINGS)
    out = render_image(
        dot(definition, outcomes(definition, events), "churn failed"), tmp_path / f"g.{fmt}", fmt
    )
    assert out.read_bytes().startswith(magic)


def test_missing_dot_is_one_line(monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(GraphError, match=r"needs Graphviz's `dot` \(apt-get install graphviz\)"):
        render_image("digraph {}", tmp_path / "x.png", "png")
