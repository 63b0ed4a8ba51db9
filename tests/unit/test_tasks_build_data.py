"""package / data.generate tasks with MockContext: CLI values override invoke.yaml; exact output."""

import zipfile

from mlpipe.datagen import HEADER
from mlpipe.tasks import build, data
from tests.unit.task_context import ctx


def test_package_uses_build_dir_from_config_unless_given(tmp_path, capsys):
    from_config = build.package(ctx(build_dir=str(tmp_path / "cfg")))
    from_cli = build.package(ctx(build_dir=str(tmp_path / "cfg")), build_dir=str(tmp_path / "cli"))
    shipped = ["glue/churn_transforms.zip", "glue/clean_customers.py", "glue/build_features.py"]
    shipped.append("emr/partition_dataset.py")
    assert from_config == [tmp_path / "cfg" / rel for rel in shipped]
    assert from_cli == [tmp_path / "cli" / rel for rel in shipped]
    for cfg, cli in zip(from_config, from_cli, strict=True):
        assert cfg.read_bytes() == cli.read_bytes()
    assert "churn_transforms/clean.py" in zipfile.ZipFile(from_cli[0]).namelist()
    printed = "".join(f"packaged {p}\n" for p in from_config + from_cli)
    assert capsys.readouterr().out == printed


def test_generate_clean_file_with_cli_strings(tmp_path, capsys):
    out = tmp_path / "c.csv"
    data.generate(ctx(), rows="25", out=str(out), seed="3", clean=True)
    lines = out.read_text().splitlines()
    assert lines[0] == HEADER and len(lines) == 26
    assert capsys.readouterr().out == f"wrote 25 rows to {out} (defects: none)\n"


def test_generate_dirty_file_names_its_defects(tmp_path, capsys):
    out = tmp_path / "d.csv"
    data.generate(ctx(), rows=3000, out=str(out), seed=5)
    printed = capsys.readouterr().out
    assert printed.startswith(f"wrote 3000 rows to {out} (defects: ")
    defects = dict(kv.split("=") for kv in printed.rstrip(")\n").split("(defects: ")[1].split(", "))
    assert len(defects) >= 5 and all(int(v) > 0 for v in defects.values())
