import zipfile

from mlpipe.packaging import build_transforms_zip


def test_zip_is_deterministic_and_importable_layout(tmp_path):
    first = build_transforms_zip(tmp_path / "a").read_bytes()
    second = build_transforms_zip(tmp_path / "b").read_bytes()
    assert first == second
    names = zipfile.ZipFile(tmp_path / "a" / "glue" / "churn_transforms.zip").namelist()
    assert "churn_transforms/__init__.py" in names and "churn_transforms/clean.py" in names
    assert not any("__pycache__" in n for n in names)
