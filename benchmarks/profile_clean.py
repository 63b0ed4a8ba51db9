"""Profile the churn jobs on local Spark in one session (the numbers in RESULTS.md's profile).

    python -m benchmarks.profile_clean benchmarks/data/churn_1000000.csv           # per phase
    python -m benchmarks.profile_clean --whole benchmarks/data/churn_1000000.csv   # run_clean + run_features

``--whole`` only uses the jobs' entry functions, so it also times older versions of
``churn_transforms`` put first on PYTHONPATH (see RESULTS.md).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time


def session():
    from mlpipe.spark import local_session

    return local_session("profile", {"spark.driver.memory": "6g"})


def timed(label: str, fn):
    started = time.perf_counter()
    result = fn()
    print(f"{label:48s} {time.perf_counter() - started:7.2f} s", flush=True)
    return result


def whole(path: str) -> None:
    from churn_transforms.jobs import run_clean, run_features

    spark = timed("JVM + Spark session", session)
    out = tempfile.mkdtemp()
    try:
        timed(
            "run_clean",
            lambda: run_clean(
                spark,
                {
                    "input": path,
                    "output": f"{out}/c",
                    "quarantine": f"{out}/q",
                    "run_date": "2023-08-01",
                },
            ),
        )
        timed(
            "run_features",
            lambda: run_features(
                spark, {"clean": f"{out}/c", "features": f"{out}/f", "run_date": "2023-08-01"}
            ),
        )
    finally:
        shutil.rmtree(out, ignore_errors=True)


def phases(path: str) -> None:
    """Both jobs in one session (as ``invoke bench``), then the per-phase seconds each job
    records in its manifest's ``timings``."""
    from churn_transforms.jobs import run_clean_and_features

    spark = timed("JVM + Spark session", session)
    out = tempfile.mkdtemp()
    try:
        clean, features = timed(
            "run_clean_and_features",
            lambda: run_clean_and_features(
                spark,
                {
                    "input": path,
                    "output": f"{out}/c",
                    "quarantine": f"{out}/q",
                    "run_date": "2023-08-01",
                },
                {"clean": f"{out}/c", "features": f"{out}/f", "run_date": "2023-08-01"},
            ),
        )
        for job, manifest in (("clean", clean), ("features", features)):
            for phase, seconds in manifest["timings"].items():
                print(f"  {job}.{phase:42s} {seconds:7.2f} s")
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("csv")
    p.add_argument("--whole", action="store_true", help="time run_clean + run_features only")
    args = p.parse_args(argv)
    (whole if args.whole else phases)(args.csv)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
