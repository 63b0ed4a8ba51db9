"""How mlpipe starts Spark locally: the one place for session settings.

Every local caller takes its settings from here: the jobs under spark-submit (``invoke
jobs.local``, the local cloud's Glue and EMR runtimes), the local cloud's warm driver, the
benchmarks (job and floor alike) and the tests. Settings that a job needs on AWS Glue as well
(SQL behaviour: parser policy, ANSI, time zone) live in ``churn_transforms.io.SESSION_CONF``,
which ships with the jobs and is applied by ``churn_transforms.io.get_spark``; they are merged
in here too so that a spark-submit command shows every setting in use.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from mlpipe import ROOT

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

LOG4J = ROOT / "mlpipe" / "conf" / "log4j2.properties"
MASTER = "local[2]"
# Extra JVM options for every local driver (the test suite sets C1-only JIT and the serial GC
# here: it runs many short-lived JVMs on two cores, where C2 compile threads cost more than
# they give back). Empty by default: jobs and benchmarks run with the JVM's defaults.
JAVA_OPTIONS_ENV = "MLPIPE_SPARK_JAVA_OPTIONS"
DEFAULT_CONF = {
    "spark.ui.enabled": "false",
    "spark.sql.shuffle.partitions": "8",
    # Adaptive execution re-plans after every shuffle stage; on one local executor with 8
    # shuffle partitions it has nothing to coalesce or split, and re-planning costs the driver
    # more than it saves: a tiny clean run 3.9 -> 2.9 CPU-s. Glue keeps its own default (on).
    "spark.sql.adaptive.enabled": "false",
    "spark.driver.memory": "2g",
}


def session_conf(overrides: dict[str, str] | None = None) -> dict[str, str]:
    """Launch settings (``DEFAULT_CONF``) plus the jobs' SQL settings, then ``overrides``."""
    from churn_transforms.io import SESSION_CONF

    return {**DEFAULT_CONF, **SESSION_CONF, **(overrides or {})}


def driver_java_options() -> str:
    """The driver JVM's options: the log4j config, the class-data archive (``cds_archive``,
    built in the background on first use) and ``$MLPIPE_SPARK_JAVA_OPTIONS``."""
    options = [f"-Dlog4j2.configurationFile=file:{LOG4J}"]
    archive = ensure_cds_archive()
    if archive:
        options += [f"-XX:SharedArchiveFile={archive}", *CDS_QUIET]
    extra = os.environ.get(JAVA_OPTIONS_ENV, "").strip()
    return " ".join(options + ([extra] if extra else []))


# --------------------------------------------------------------------------- class data sharing
# A JVM that maps an archive of the classes a Spark job loads (AppCDS) skips parsing and
# verifying them: Spark's start plus a first small job take about a quarter less CPU
# (`python -m benchmarks.jvm_options`). The archive is built once per JVM and Spark install, in
# the background by the first driver that misses it (that driver and any started meanwhile run
# without it), by a small clean + features run under -XX:ArchiveClassesAtExit. Every local
# driver maps it (tests, warm driver, spark-submit, benchmarks: job and floor alike); a JVM
# whose classpath or flags do not match it ignores it (-Xshare:auto) and starts as before.
CDS_ENV = "MLPIPE_SPARK_CDS"  # "0": no archive
CDS_DIR_ENV = "MLPIPE_SPARK_CDS_DIR"
CDS_DIR = ROOT / ".mlpipe" / "cache" / "cds"
CDS_QUIET = ("-Xlog:cds=off", "-Xlog:cds+dynamic=off")  # JVM warnings would go to stdout
CDS_BUILD_TIMEOUT = 300


def _java() -> Path | None:
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home, "bin", "java")) if home else shutil.which("java")
    return Path(os.path.realpath(java)) if java and os.path.exists(java) else None


def cds_archive() -> Path | None:
    """Where the archive for this java and this Spark lives (None: disabled, or no java)."""
    if os.environ.get(CDS_ENV, "1") == "0":
        return None
    java = _java()
    if java is None:
        return None
    import pyspark

    jars = Path(pyspark.__file__).parent / "jars"
    stat = java.stat()
    listing = sorted(os.listdir(jars)) if jars.is_dir() else []
    key = f"{java}|{stat.st_size}|{stat.st_mtime_ns}|{pyspark.__version__}|{jars}|{listing}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    base = Path(os.environ.get(CDS_DIR_ENV) or CDS_DIR)
    return base / f"spark-{pyspark.__version__}-{digest}.jsa"


def ensure_cds_archive() -> Path | None:
    """The archive when it is there. When it is missing, a builder starts in the background
    (``build_cds_archive``; one at a time) and this JVM starts without it: nothing ever waits for
    the archive. None when disabled, missing, or when building failed (``<archive>.failed``)."""
    archive = cds_archive()
    if archive is None or archive.exists():
        return archive
    if _failed(archive).exists():
        return None
    archive.parent.mkdir(parents=True, exist_ok=True)
    with open(archive.parent / ".lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return None  # a builder is at work
    _start_builder()
    return None


def _failed(archive: Path) -> Path:
    """The marker of a build that failed (its reason inside): never retried."""
    return archive.with_name(archive.name + ".failed")


_builder_started = False


def _start_builder() -> None:
    global _builder_started
    if _builder_started:  # once per process; a second builder would only wait for the first
        return
    _builder_started = True
    subprocess.Popen(
        [sys.executable, "-m", "mlpipe.spark", "--build-cds"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # it outlives a short caller (invoke jobs.local, one test)
    )


def build_cds_archive(timeout: float = CDS_BUILD_TIMEOUT) -> Path | None:
    """Build the archive now unless it exists (one builder at a time, across processes): the
    archive, or None when disabled or when building failed (remembered and never retried)."""
    archive = cds_archive()
    if archive is None:
        return None
    archive.parent.mkdir(parents=True, exist_ok=True)
    failed = _failed(archive)
    with open(archive.parent / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be building it
        if archive.exists():
            return archive
        if failed.exists():
            return None
        error = _build_cds(archive, timeout)
        if error:
            failed.write_text(error + "\n")
            print(f"mlpipe: no Spark class-data archive ({error})", file=sys.stderr)
            return None
    return archive


def _build_cds(archive: Path, timeout: float) -> str | None:
    """Build ``archive`` in a child process; returns why it failed, else None."""
    for old in archive.parent.glob("spark-*.jsa"):
        old.unlink(missing_ok=True)  # archives of an earlier java or Spark
    partial = archive.with_name(f"{archive.name}.{os.getpid()}.tmp")
    env = {**os.environ, CDS_ENV: "0"}
    env[JAVA_OPTIONS_ENV] = " ".join(
        [env.get(JAVA_OPTIONS_ENV, ""), f"-XX:ArchiveClassesAtExit={partial}", *CDS_QUIET]
    ).strip()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "mlpipe.spark", "--cds-workload"],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        partial.unlink(missing_ok=True)
        return f"building it took over {timeout:.0f} s"
    if proc.returncode != 0 or not partial.exists():
        partial.unlink(missing_ok=True)
        return error_line(proc.stdout, proc.stderr)
    os.replace(partial, archive)
    return None


def warm_up(spark: SparkSession, rows: int = 200) -> float:
    """A small clean + features run in ``spark`` (temporary files): loads and compiles what a
    first real run would, so that run does not pay for it. Returns its seconds."""
    from churn_transforms.jobs import run_clean, run_features
    from mlpipe.datagen import generate_churn_csv

    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp, "churn.csv")
        generate_churn_csv(csv, rows, seed=1)
        out = {"output": f"{tmp}/clean", "quarantine": f"{tmp}/quarantine"}
        run_clean(spark, {"input": str(csv), "run_date": "2024-01-01", **out})
        run_features(
            spark, {"clean": out["output"], "features": f"{tmp}/features", "run_date": "2024-01-01"}
        )
    return time.perf_counter() - started


def _cds_workload() -> None:
    """What the archive holds: the classes of ``warm_up``'s run (the JVM writes the archive
    when it exits, which this waits for)."""
    from pyspark import SparkContext

    spark = local_session("mlpipe-cds", {"spark.sql.shuffle.partitions": "2"})
    warm_up(spark)
    spark.stop()
    gateway = SparkContext._gateway
    if gateway is not None:
        gateway.shutdown()
        gateway.proc.stdin.close()  # the JVM exits on EOF, writing the archive first
        gateway.proc.wait(timeout=CDS_BUILD_TIMEOUT)


def local_session(
    app_name: str = "mlpipe", conf: dict[str, str] | None = None, master: str = MASTER
) -> SparkSession:
    """A local SparkSession with ``session_conf(conf)``, as the jobs configure it.

    Memory settings only apply when this call starts the JVM (the first session in a process).
    """
    from pyspark.sql import SparkSession

    from churn_transforms.io import get_spark

    builder = SparkSession.builder.master(master).appName(app_name)
    for key, value in session_conf(conf).items():
        builder = builder.config(key, value)
    builder.config(
        "spark.driver.extraJavaOptions", driver_java_options()
    ).getOrCreate().sparkContext.setLogLevel("ERROR")
    return get_spark(app_name, (conf or {}).get("spark.sql.shuffle.partitions"))


def spark_submit_bin() -> str:
    """The spark-submit that ships with the installed pyspark."""
    beside = Path(sys.executable).with_name("spark-submit")
    return str(beside) if beside.exists() else (shutil.which("spark-submit") or "spark-submit")


def spark_submit_cmd(
    script: str,
    args: dict[str, str] | list[str],
    py_files: list[str] | None = None,
    master: str = MASTER,
    conf: dict[str, str] | None = None,
) -> list[str]:
    """argv for ``spark-submit``; ``args`` as a Glue-style dict (``--key value``) or a list."""
    cmd = [spark_submit_bin(), "--master", master]
    for key, value in {**DEFAULT_CONF, **(conf or {})}.items():
        cmd += ["--conf", f"{key}={value}"]
    cmd += ["--driver-java-options", driver_java_options()]
    if py_files:
        cmd += ["--py-files", ",".join(py_files)]
    cmd.append(script)
    if isinstance(args, dict):
        for key, value in args.items():
            cmd += [f"--{key}", str(value)]
    else:
        cmd += list(args)
    return cmd


def error_line(*outputs: str) -> str:
    """The job's one-line error (``ERROR: ...``), else the last non-empty output line.

    spark-submit's PythonRunner merges the driver's stderr into stdout, so callers pass both.
    """
    lines = [ln.strip() for out in outputs for ln in (out or "").splitlines() if ln.strip()]
    for line in reversed(lines):
        if line.startswith("ERROR: "):
            return line[len("ERROR: ") :]
    return lines[-1] if lines else "failed with no output"


if __name__ == "__main__":
    if sys.argv[1:] == ["--cds-workload"]:
        _cds_workload()
    elif sys.argv[1:] == ["--build-cds"]:
        build_cds_archive()
