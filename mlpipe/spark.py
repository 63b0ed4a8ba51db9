"""How mlpipe invokes Spark locally: one spark-submit command builder for every caller
(``invoke jobs.local``, the local cloud's Glue and EMR runtimes)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from mlpipe import ROOT

LOG4J = ROOT / "mlpipe" / "conf" / "log4j2.properties"
DEFAULT_CONF = {
    "spark.ui.enabled": "false",
    "spark.sql.shuffle.partitions": "8",
    "spark.driver.memory": "2g",
}


def spark_submit_bin() -> str:
    """The spark-submit that ships with the installed pyspark."""
    beside = Path(sys.executable).with_name("spark-submit")
    return str(beside) if beside.exists() else (shutil.which("spark-submit") or "spark-submit")


def spark_submit_cmd(
    script: str,
    args: dict[str, str] | list[str],
    py_files: list[str] | None = None,
    master: str = "local[2]",
    conf: dict[str, str] | None = None,
) -> list[str]:
    """argv for ``spark-submit``; ``args`` as a Glue-style dict (``--key value``) or a list."""
    cmd = [spark_submit_bin(), "--master", master]
    for key, value in {**DEFAULT_CONF, **(conf or {})}.items():
        cmd += ["--conf", f"{key}={value}"]
    cmd += ["--driver-java-options", f"-Dlog4j2.configurationFile=file:{LOG4J}"]
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
