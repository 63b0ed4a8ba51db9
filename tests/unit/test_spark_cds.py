"""The Spark class-data archive (mlpipe.spark.ensure_cds_archive): found, built once, and
never retried or forced when it can't be had."""

import subprocess

import pytest

from mlpipe import spark as sp


@pytest.fixture
def cds_dir(tmp_path, monkeypatch):
    monkeypatch.setenv(sp.CDS_DIR_ENV, str(tmp_path))
    monkeypatch.delenv(sp.CDS_ENV, raising=False)
    return tmp_path


def test_an_existing_archive_is_mapped_by_every_driver(cds_dir, monkeypatch):
    archive = sp.cds_archive()
    assert archive is not None and archive.parent == cds_dir
    archive.write_bytes(b"archive")
    monkeypatch.setattr(sp, "_build_cds", lambda *a: pytest.fail("built again"))
    options = sp.driver_java_options().split()
    assert f"-XX:SharedArchiveFile={archive}" in options
    assert set(sp.CDS_QUIET) <= set(options)  # a mismatch must not print on the job's stdout
    assert "-Xshare:on" not in options  # a JVM that can't map it starts without it


def test_a_failed_build_is_reported_once_and_never_retried(cds_dir, monkeypatch, capsys):
    calls = []

    def fail(archive, timeout):
        calls.append(archive)
        return "no base archive"

    monkeypatch.setattr(sp, "_build_cds", fail)
    assert sp.ensure_cds_archive() is None
    assert sp.ensure_cds_archive() is None
    assert len(calls) == 1
    assert (
        capsys.readouterr().err.strip() == "mlpipe: no Spark class-data archive (no base archive)"
    )
    assert "SharedArchiveFile" not in sp.driver_java_options()


def test_disabled_means_no_archive_and_no_build(cds_dir, monkeypatch):
    monkeypatch.setenv(sp.CDS_ENV, "0")
    monkeypatch.setattr(sp, "_build_cds", lambda *a: pytest.fail("built"))
    assert sp.cds_archive() is None and sp.ensure_cds_archive() is None


def test_a_build_replaces_archives_of_another_java_or_spark(cds_dir, monkeypatch):
    stale = cds_dir / "spark-0.0.0-0000000000000000.jsa"
    stale.write_bytes(b"old")
    seen = {}

    def jvm(cmd, env, **kwargs):  # what the workload's JVM does: write the archive at exit
        seen["env"] = env
        dump = env[sp.JAVA_OPTIONS_ENV].split("-XX:ArchiveClassesAtExit=")[1].split()[0]
        with open(dump, "wb") as f:
            f.write(b"new")
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(sp.subprocess, "run", jvm)
    archive = sp.ensure_cds_archive()
    assert archive is not None and archive.read_bytes() == b"new"
    assert not stale.exists() and [p.name for p in cds_dir.glob("*.tmp")] == []
    assert seen["env"][sp.CDS_ENV] == "0"  # the dumping JVM maps no archive itself


def test_a_workload_that_writes_nothing_leaves_no_archive(cds_dir, monkeypatch):
    monkeypatch.setattr(
        sp.subprocess,
        "run",
        lambda cmd, **kw: subprocess.CompletedProcess(cmd, 1, "", "ERROR: no java\n"),
    )
    assert sp.ensure_cds_archive() is None
    assert [p.suffix for p in cds_dir.iterdir() if p.name != ".lock"] == [".failed"]
