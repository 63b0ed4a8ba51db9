"""CPU of one short-lived Spark JVM, with the JVM options in $MLPIPE_SPARK_JAVA_OPTIONS: a
cold session plus three clean runs of a two-row file (what a test worker's JVM does).

    python -m benchmarks.jvm_options                     # the JVM's defaults
    MLPIPE_SPARK_JAVA_OPTIONS="-XX:TieredStopAtLevel=1 -XX:+UseSerialGC" python -m benchmarks.jvm_options

    MLPIPE_SPARK_CDS=0 python -m benchmarks.jvm_options    # without the class-data archive

Prints wall seconds, each clean run's seconds and the JVM's CPU seconds (user + sys of this
process's children). Alternate the two a few times: the machine is noisy.
"""

from __future__ import annotations

import os
import resource
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
        work = Path(tempfile.mkdtemp())
        began = time.time()
        clean(session, work, write_csv(work, BODY), "2023-08-01")
        laps.append(round(time.time() - began, 2))
    session.stop()
    wall = time.time() - start
    gateway = SparkContext._gateway
    if gateway is not None:
        gateway.proc.kill()
        gateway.proc.wait()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    options = os.environ.get("MLPIPE_SPARK_JAVA_OPTIONS", "") or "(defaults)"
    print(
        f"{options}: wall {wall:.1f} s, clean runs {laps} s, JVM CPU {usage.ru_utime + usage.ru_stime:.1f} s"
    )


if __name__ == "__main__":
    main()
