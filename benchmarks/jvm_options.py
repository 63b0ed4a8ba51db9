"""CPU of one short-lived Spark JVM, with the JVM options in $MLPIPE_SPARK_JAVA_OPTIONS: a
cold session plus three clean runs of a two-row file (what a test worker's JVM does).

    python -m benchmarks.jvm_options                     # the JVM's defaults
    MLPIPE_SPARK_JAVA_OPTIONS="-XX:TieredStopAtLevel=1 -XX:+UseSerialGC" python -m benchmarks.jvm_options

    MLPIPE_SPARK_CDS=0 python -m benchmarks.jvm_options    # without the class-data archive

Prints wall seconds, each clean run's seconds and the JVM's CPU seconds (user + sys); then,
on the same warm JVM, the JVM and Python CPU seconds of one tiny clean + features run (mean
of six). Alternate runs a few times: the machine is noisy.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from mlpipe import ROOT

sys.path.insert(0, str(ROOT / "glue_jobs"))
sys.path.insert(0, str(ROOT))

BODY = (
    b"CustomerID,Name,Age,Gender,Country,SignupDate,LastPurchaseDate,TotalPurchases,TotalSpent,Churned\n"
    b"1,A,30,M,USA,2021-01-01,2023-01-01,1,10,No\n2,B,31,F,UK,2021-01-01,,0,0,Yes\n"
)


def main() -> None:
    from pyspark import SparkContext

    from mlpipe.spark import local_session
    from tests.jobs.helpers import clean, write_csv

    start = time.time()
    session = local_session("jvm-options", {"spark.sql.shuffle.partitions": "4"})
    laps = []
    for _ in range(3):
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            began = time.time()
            clean(session, work, write_csv(work, BODY), "2023-08-01")
            laps.append(round(time.time() - began, 2))
    wall = time.time() - start
    gateway = SparkContext._gateway
    assert gateway is not None
    cold = _jvm_cpu(gateway.proc.pid)  # the JVM's start plus the three runs
    warm_jvm, warm_py = _warm_runs(session, gateway.proc.pid)
    session.stop()
    gateway.shutdown()
    gateway.proc.kill()
    gateway.proc.wait()
    options = os.environ.get("MLPIPE_SPARK_JAVA_OPTIONS", "") or "(defaults)"
    print(f"{options}: wall {wall:.1f} s, clean runs {laps} s, JVM CPU {cold:.1f} s")
    print(f"warm clean + features: JVM CPU {warm_jvm:.2f} s, Python CPU {warm_py:.2f} s per run")


def _jvm_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _warm_runs(session, pid: int, runs: int = 6) -> tuple[float, float]:
    """Mean JVM and Python CPU seconds of one clean + features run on the warm session."""
    from tests.jobs.helpers import clean, features, write_csv

    def run() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            clean(session, Path(tmp), write_csv(Path(tmp), BODY), "2023-08-01")
            features(session, Path(tmp), "2023-08-01")

    run()
    jvm, py = _jvm_cpu(pid), time.process_time()
    for _ in range(runs):
        run()
    return (_jvm_cpu(pid) - jvm) / runs, (time.process_time() - py) / runs


if __name__ == "__main__":
    main()
