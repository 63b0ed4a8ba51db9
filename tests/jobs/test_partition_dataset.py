"""The EMR partition app on real local Spark, in-process (the local cloud's EMR runtime runs
the same script through spark-submit: tests/integration/test_lab2_local_cloud.py)."""

import sys

import pytest

from mlpipe import ROOT
from mlpipe.datagen import TELEMETRY_SCHEMA, generate_telemetry_csv

sys.path.insert(0, str(ROOT / "emr_jobs"))
import partition_dataset as app  # noqa: E402


def argv(tmp_path, *extra: str) -> list[str]:
    """The app's arguments: tmp_path/in.csv partitioned by class into tmp_path/out."""
    out = ["--input", str(tmp_path / "in.csv"), "--partition-by", "class"]
    return out + ["--output", str(tmp_path / "out"), *extra]


pytestmark = pytest.mark.spark


def test_partitions_hold_each_class_with_its_rows(spark, tmp_path):
    counts = generate_telemetry_csv(tmp_path / "in.csv", 500, seed=2)
    summary = app.run(spark, app.parse_args(argv(tmp_path, "--schema", TELEMETRY_SCHEMA)))
    assert summary["partitions"] == counts
    assert sorted(
        p.name for p in (tmp_path / "out").iterdir() if p.name.startswith("class=")
    ) == sorted(f"class={c}" for c in counts)
    levels = spark.read.parquet(str(tmp_path / "out")).schema["level"].dataType.simpleString()
    assert levels == "int"  # the explicit schema, not strings


def test_header_schema_is_all_strings_never_inferred(spark, tmp_path):
    generate_telemetry_csv(tmp_path / "in.csv", 50, seed=2)
    schema = app.header_schema(spark, str(tmp_path / "in.csv"), ",")
    assert {f.dataType.simpleString() for f in schema} == {"string"} and "class" in schema.names


def test_missing_partition_column_exits_2_with_one_line(spark, tmp_path, capsys):
    (tmp_path / "in.csv").write_text("player_id,level\np1,3\n")
    code = app.main(argv(tmp_path))
    output = capsys.readouterr()
    assert code == 2
    assert output.err.strip() == (
        f"ERROR: partition column 'class' not found (columns: player_id, level) in {tmp_path / 'in.csv'}"
    )
    assert not (tmp_path / "out").exists()
