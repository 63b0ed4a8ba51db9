"""One benchmark measurement: clean + features on local Spark in one fresh JVM, in one session
(``run_clean_and_features``: the features job uses the clean rows still in memory). Prints a JSON line (JVM start included).

    python -m benchmarks.spark_run INPUT.csv OUT_DIR [SHUFFLE_PARTITIONS]
"""

import json
import shutil
import sys
import time

# Session settings for both the job and the floor run (benchmarks.floor_run): the defaults of
# mlpipe.spark with a larger heap, so the 1e7-row run is not measuring GC.
BENCH_CONF = {"spark.driver.memory": "6g"}


def jvm_cost(spark) -> dict:
    """The driver JVM's CPU seconds so far (all its threads) and the part of them its JIT
    compilers spent (``CompilationMXBean``): what a short-lived JVM pays to compile its code."""
    jvm = spark.sparkContext._jvm
    cpu = jvm.java.lang.ProcessHandle.current().info().totalCpuDuration()
    compilation = jvm.java.lang.management.ManagementFactory.getCompilationMXBean()
    return {
        "jvm_cpu_s": round(cpu.get().toMillis() / 1000, 2) if cpu.isPresent() else None,
        "jit_s": round(compilation.getTotalCompilationTime() / 1000, 2),
    }


def main(argv):
    started = time.perf_counter()
    source, out = argv[0], argv[1]
    partitions = argv[2] if len(argv) > 2 else "8"
    from churn_transforms.io import resolve_published
    from churn_transforms.jobs import run_clean_and_features
    from mlpipe.spark import local_session

    spark = local_session("bench", {**BENCH_CONF, "spark.sql.shuffle.partitions": partitions})
    session = time.perf_counter()
    shutil.rmtree(out, ignore_errors=True)
    manifest, fmanifest = run_clean_and_features(
        spark,
        {
            "input": source,
            "output": f"{out}/clean",
            "quarantine": f"{out}/q",
            "run_date": "2023-08-01",
        },
        {"clean": f"{out}/clean", "features": f"{out}/features", "run_date": "2023-08-01"},
    )
    done = time.perf_counter()
    cost = jvm_cost(spark)
    by_country = resolve_published(spark, f"{out}/features", "2023-08-01", "by_country")
    rows = spark.read.parquet(by_country).collect()
    print(
        "BENCH "
        + json.dumps(
            {
                "session_s": session - started,
                "clean_s": manifest["timings"]["total_s"],
                "features_s": fmanifest["timings"]["total_s"],
                "phases": {
                    **{f"clean.{k}": v for k, v in manifest["timings"].items()},
                    **{f"features.{k}": v for k, v in fmanifest["timings"].items()},
                },
                "total_s": done - started,
                **cost,
                "input_rows": manifest["input_rows"],
                "clean_rows": manifest["clean_rows"],
                "quarantined_rows": manifest["quarantined_rows"],
                "age_median": manifest["age_median"],
                "by_country": {
                    r["country"]: {
                        k: r[k]
                        for k in (
                            "customers",
                            "avg_total_spent",
                            "churn_rate",
                            "avg_age",
                            "avg_purchases",
                        )
                    }
                    for r in rows
                },
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
