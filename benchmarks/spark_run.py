"""One benchmark measurement: clean + features on local Spark in one fresh JVM, as
`invoke jobs.local` runs them but in one session. Prints a JSON line (JVM start included).

    python -m benchmarks.spark_run INPUT.csv OUT_DIR [SHUFFLE_PARTITIONS]
"""

import json
import shutil
import sys
import time


def main(argv):
    started = time.perf_counter()
    source, out = argv[0], argv[1]
    partitions = argv[2] if len(argv) > 2 else "8"
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
    builder = builder.config("spark.sql.shuffle.partitions", partitions).config(
        "spark.driver.memory", "6g"
    )
    builder.getOrCreate().sparkContext.setLogLevel("ERROR")
    from churn_transforms.io import get_spark
    from churn_transforms.jobs import run_clean, run_features

    spark = get_spark("bench")
    session = time.perf_counter()
    shutil.rmtree(out, ignore_errors=True)
    manifest = run_clean(
        spark,
        {
            "input": source,
            "output": f"{out}/clean",
            "quarantine": f"{out}/q",
            "run_date": "2023-08-01",
        },
    )
    cleaned = time.perf_counter()
    run_features(
        spark, {"clean": f"{out}/clean", "features": f"{out}/features", "run_date": "2023-08-01"}
    )
    done = time.perf_counter()
    rows = spark.read.parquet(f"{out}/features/by_country/run_date=2023-08-01").collect()
    print(
        "BENCH "
        + json.dumps(
            {
                "session_s": session - started,
                "clean_s": cleaned - session,
                "features_s": done - cleaned,
                "total_s": done - started,
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
