"""How mlpipe starts Spark locally: the one place for session settings.

Every local caller takes its settings from here: the jobs under spark-submit (``invoke
jobs.local``, the local cloud's Glue and EMR runtimes), the local cloud's warm driver, the
benchmarks (job and floor alike) and the tests. Settings that a job needs on AWS Glue as well
(SQL behaviour: parser policy, ANSI, time zone) live in ``churn_transforms.io.SESSION_CONF``,
which ships with the jobs and is applied by ``churn_transforms.io.get_spark``; they are merged
in here too so that a spark-submit command shows every setting in use.
"""

from __future__ import annotations

import os
import shutil
import sys
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
    "spark.driver.memory": "2g",
}


def session_conf(overrides: dict[str, str] | None = None) -> dict[str, str]:
    """Launch settings (``DEFAULT_CONF``) plus the jobs' SQL settings, then ``overrides``."""
    from churn_transforms.io import SESSION_CONF

    return {**DEFAULT_CONF, **SESSION_CONF, **(overrides or {})}


def driver_java_options() -> str:
    """The driver JVM's options: the log4j config, plus ``$MLPIPE_SPARK_JAVA_OPTIONS``."""
    extra = os.environ.get(JAVA_OPTIONS_ENV, "").strip()
    return f"-Dlog4j2.configurationFile=file:{LOG4J}" + (f" {extra}" if extra else "")


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
