import json

import pytest
from invoke import Exit

from mlpipe.tasks import asl
from tests.unit.task_context import ctx


def test_render_writes_validated_definitions(tmp_path, capsys):
    asl.render_(ctx(), target="aws", env="prod", out=str(tmp_path))
    churn = json.loads((tmp_path / "churn.asl.json").read_text())
    assert (
        churn["States"]["Clean"]["Parameters"]["Arguments"]["--output"]
        == "s3://mlpipe-prod-data-${account_id}/curated/churn/"
    )
    assert "rendered churn" in capsys.readouterr().out


def test_validate_all_ok(capsys):
    asl.validate_(ctx(), target="local")
    out = capsys.readouterr().out
    assert out.count(" ok") == 3


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"target": "gcp"}, "error: unknown target 'gcp': choose one of local, localstack, aws"),
        (
            {"pipeline": "nope"},
            "error: unknown pipeline 'nope': choose one of churn, emr, inference",
        ),
        (
            {"env": "Prod_1"},
            "error: env must be 1-20 ASCII lower-case letters, digits and dashes, starting with a letter (it is part of every bucket and role name), got 'Prod_1'",
        ),
    ],
)
def test_bad_arguments_are_one_line_exits(kwargs, message):
    with pytest.raises(Exit) as err:
        asl.validate_(ctx(), **kwargs)
    assert err.value.message == message and err.value.code == 2
