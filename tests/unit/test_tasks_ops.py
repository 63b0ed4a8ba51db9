"""status / logs / graph tasks with MockContext: they parse arguments and print what the library
returns; a bad argument is a one-line exit. A bare `invoke` starts no work."""

import pytest
from invoke import Exit

from mlpipe import graph, logs, runs, status
from mlpipe.asl import render
from mlpipe.config import PIPELINES
from mlpipe.tasks import namespace, ops
from tests.unit.task_context import ctx


def test_bare_invoke_runs_no_task():
    assert namespace.default is None
    assert all(not t.is_default for t in namespace.tasks.values())


def test_status_prints_the_library_rows(monkeypatch, capsys):
    calls = []

    def fake(settings, pipelines, limit):
        calls.append((settings.target, settings.env, list(pipelines), limit))
        return [{"pipeline": "churn", "execution": "churn-x", "failing state": "Clean"}]

    monkeypatch.setattr(status, "recent_executions", fake)
    ops.status(ctx(), target="aws", env="qa", limit="3")
    ops.status(ctx(), "emr", target="aws")
    assert calls == [("aws", "qa", list(PIPELINES), 3), ("aws", "dev", ["emr"], 10)]
    out = capsys.readouterr().out
    assert "recent executions" in out and "churn-x" in out and "Clean" in out


def test_status_without_executions(monkeypatch, capsys):
    monkeypatch.setattr(status, "recent_executions", lambda *a: [])
    ops.status(ctx(), target="aws")
    assert capsys.readouterr().out == "no executions yet\n"


@pytest.mark.parametrize(
    "task, args, message",
    [
        (
            ops.status,
            ("nope",),
            "error: unknown pipeline 'nope': choose one of churn, emr, inference",
        ),
        (ops.logs, (), "error: name a pipeline: churn, emr, inference"),
        (ops.logs, ("nope",), "error: name a pipeline: churn, emr, inference"),
        (ops.graph, (), "error: name a pipeline: churn, emr, inference"),
    ],
)
def test_bad_pipeline_is_a_one_line_exit(task, args, message):
    with pytest.raises(Exit) as err:
        task(ctx(), *args, target="aws")
    assert (err.value.message, err.value.code) == (message, 2)


def test_graph_bad_format_is_a_one_line_exit():
    with pytest.raises(Exit) as err:
        ops.graph(ctx(), "churn", format="pdf", target="aws")
    assert (err.value.message, err.value.code) == (
        "error: unknown format 'pdf': mermaid, dot, png or svg",
        2,
    )


class FakeSfn:
    def __init__(self, executions):
        self.executions = executions

    def list_executions(self, stateMachineArn):
        return {"executions": self.executions}


def test_logs_prints_each_task_log_of_the_chosen_execution(monkeypatch, capsys):
    import mlpipe.aws

    executions = [
        {"name": "churn-new", "status": "SUCCEEDED", "executionArn": "arn:new"},
        {"name": "churn-old", "status": "FAILED", "executionArn": "arn:old"},
    ]
    monkeypatch.setattr(mlpipe.aws, "client", lambda settings, service: FakeSfn(executions))
    monkeypatch.setattr(runs, "history", lambda sfn, arn: [{"arn": arn}])
    monkeypatch.setattr(
        logs,
        "execution_logs",
        lambda settings, events: [logs.TaskLog(f"glue run of {events[0]['arn']}", ["output: [x]"])],
    )
    ops.logs(ctx(), "churn", target="localstack")
    ops.logs(ctx(), "churn", execution="churn-old", target="localstack")
    out = capsys.readouterr().out
    assert out.splitlines() == [
        "churn execution churn-new SUCCEEDED",
        "glue run of arn:new",
        "  output: [x]",  # printed verbatim, not as rich markup
        "churn execution churn-old FAILED",
        "glue run of arn:old",
        "  output: [x]",
    ]
    with pytest.raises(Exit, match="error: no execution churn-gone for churn"):
        ops.logs(ctx(), "churn", execution="churn-gone", target="localstack")


def test_graph_writes_mermaid_of_the_rendered_definition(tmp_path, capsys):
    out = tmp_path / "g.mmd"
    ops.graph(ctx(), "emr", target="aws", out=str(out))
    expected = graph.mermaid(render("emr", ops.settings_for(ctx(), "aws")))
    assert out.read_text() == expected
    assert capsys.readouterr().out == f"{expected}\nwrote {out}\n"


def test_graph_colours_an_execution_and_names_a_missing_one(monkeypatch, tmp_path):
    definition = render("churn", ops.settings_for(ctx(), "aws"))
    events = [
        {"type": "TaskStateEntered", "stateEnteredEventDetails": {"name": definition["StartAt"]}},
        {"type": "TaskStateExited", "stateExitedEventDetails": {"name": definition["StartAt"]}},
    ]
    monkeypatch.setattr(status, "execution_history", lambda s, p, name: ("RUNNING", events))
    ops.graph(
        ctx(), "churn", execution="run-1", format="dot", target="aws", out=str(tmp_path / "g")
    )
    assert (tmp_path / "g").read_text() == graph.dot(
        definition, graph.outcomes(definition, events), "churn run-1 RUNNING"
    )

    def missing(settings, pipeline, name):
        raise status.NoSuchExecution(f"no execution {name!r} of {pipeline}")

    monkeypatch.setattr(status, "execution_history", missing)
    with pytest.raises(Exit) as err:
        ops.graph(ctx(), "churn", execution="gone", target="aws", out=str(tmp_path / "h"))
    assert err.value.message == "error: no execution 'gone' of churn: see `invoke status churn`"
