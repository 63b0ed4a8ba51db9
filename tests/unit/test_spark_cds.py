"""The Spark class-data archive (mlpipe.spark): found, built once in the background without
anyone waiting, never retried or forced when it can't be had."""

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
    monkeypatch.setattr(sp, "_start_builder", lambda: pytest.fail("a failed build is retried"))
    assert sp.build_cds_archive() is None
    assert sp.build_cds_archive() is None and sp.ensure_cds_archive() is None
    assert len(calls) == 1
    assert (
        capsys.readouterr().err.strip() == "mlpipe: no Spark class-data archive (no base archive)"
    )
    assert "SharedArchiveFile" not in sp.driver_java_options()


def test_disabled_means_no_archive_and_no_build(cds_dir, monkeypatch):
    monkeypatch.setenv(sp.CDS_ENV, "0")
    monkeypatch.setattr(sp, "_build_cds", lambda *a: pytest.fail("built"))
    monkeypatch.setattr(sp, "_start_builder", lambda: pytest.fail("builder started"))
    assert sp.cds_archive() is None and sp.ensure_cds_archive() is None
    assert sp.build_cds_archive() is None


def test_a_missing_archive_starts_one_builder_and_nobody_waits(cds_dir, monkeypatch):
    started = []
    monkeypatch.setattr(sp.subprocess, "Popen", lambda cmd, **kw: started.append(cmd))
    monkeypatch.setattr(sp, "_builder_started", False)
    assert sp.ensure_cds_archive() is None  # this driver starts without it, at once
    assert "SharedArchiveFile" not in sp.driver_java_options()
    assert started == [[sp.sys.executable, "-m", "mlpipe.spark", "--build-cds"]]  # once
    archive = sp.cds_archive()
    with open(cds_dir / ".lock", "w") as lock:  # a builder at work holds the lock
        sp.fcntl.flock(lock, sp.fcntl.LOCK_EX)
        assert sp.ensure_cds_archive() is None
    assert len(started) == 1
    archive.write_bytes(b"built")
    assert sp.ensure_cds_archive() == archive


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
    archive = sp.build_cds_archive()
    assert archive is not None and archive.read_bytes() == b"new"
    assert not stale.exists() and [p.name for p in cds_dir.glob("*.tmp")] == []
    assert seen["env"][sp.CDS_ENV] == "0"  # the dumping JVM maps no archive itself


def test_a_workload_that_writes_nothing_leaves_no_archive(cds_dir, monkeypatch):
    monkeypatch.setattr(
        sp.subprocess,
        "run",
        lambda cmd, **kw: subprocess.CompletedProcess(cmd, 1, "", "ERROR: no java\n"),
    )
    assert sp.build_cds_archive() is None
    assert [p.suffix for p in cds_dir.iterdir() if p.name != ".lock"] == [".failed"]
