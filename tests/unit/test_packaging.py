import zipfile

from mlpipe.packaging import EMR_APP, GLUE_SCRIPTS, build_transforms_zip, package_jobs


def test_zip_is_deterministic_and_importable_layout(tmp_path):
    first = build_transforms_zip(tmp_path / "a").read_bytes()
    second = build_transforms_zip(tmp_path / "b").read_bytes()
    assert first == second
    names = zipfile.ZipFile(tmp_path / "a" / "glue" / "churn_transforms.zip").namelist()
    assert "churn_transforms/__init__.py" in names and "churn_transforms/clean.py" in names
    assert not any("__pycache__" in n for n in names)


def test_package_jobs_puts_every_uploaded_file_in_the_build_dir(tmp_path):
    built = package_jobs(tmp_path)
    # the keys Terraform uploads them to (terraform/main.tf reads only build_dir)
    rel = sorted(str(p.relative_to(tmp_path)) for p in built)
    assert rel == sorted(
        ["glue/churn_transforms.zip", "emr/partition_dataset.py"]
        + [f"glue/{s.name}" for s in GLUE_SCRIPTS.values()]
    )
    assert (tmp_path / "emr" / "partition_dataset.py").read_bytes() == EMR_APP.read_bytes()
    # a rebuild keeps each file as it is (same bytes, so the same etag)
    before = {p: p.stat().st_mtime_ns for p in built if p.suffix == ".py"}
    package_jobs(tmp_path)
    assert {p: p.stat().st_mtime_ns for p in before} == before
