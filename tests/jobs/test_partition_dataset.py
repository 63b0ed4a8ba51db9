"""The EMR partition app on real local Spark (in-process run + spark-submit)."""

import subprocess
import sys

import pytest

from mlpipe import ROOT
from mlpipe.datagen import TELEMETRY_SCHEMA, generate_telemetry_csv
from mlpipe.spark import spark_submit_cmd

sys.path.insert(0, str(ROOT / "emr_jobs"))
import partition_dataset as app  # noqa: E402

pytestmark = pytest.mark.spark


def test_partitions_hold_each_class_with_its_rows(spark, tmp_path):
    counts = generate_telemetry_csv(tmp_path / "in.csv", 500, seed=2)
    summary = app.run(
        spark,
        app.parse_args(
            [
                "--input",
                str(tmp_path / "in.csv"),
                "--partition-by",
                "class",
                "--output",
                str(tmp_path / "out"),
                "--schema",
                TELEMETRY_SCHEMA,
            ]
        ),
    )
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


@pytest.mark.slow
def test_missing_partition_column_via_spark_submit(tmp_path):
    (tmp_path / "in.csv").write_text("player_id,level\np1,3\n")
    proc = subprocess.run(
        spark_submit_cmd(
            str(ROOT / "emr_jobs" / "partition_dataset.py"),
            [
                "--input",
                str(tmp_path / "in.csv"),
                "--partition-by",
                "class",
                "--output",
                str(tmp_path / "out"),
            ],
        ),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2
    output = proc.stdout + proc.stderr
    assert (
        f"ERROR: partition column 'class' not found (columns: player_id, level) in {tmp_path / 'in.csv'}"
        in output
    )
    assert not (tmp_path / "out").exists()
