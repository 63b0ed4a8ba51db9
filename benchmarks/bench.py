"""`invoke bench`: Spark jobs vs a DuckDB reference of the same rules, scaling, latency.

Every number comes from one run of this code on this machine; compare ratios, not absolutes.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mlpipe import ROOT
from mlpipe.datagen import generate_churn_csv

DATA_DIR = ROOT / "benchmarks" / "data"
SIZES = (100_000, 1_000_000, 2_000_000, 10_000_000)
QUICK_SIZES = (10_000,)
SEED = 1234
RUN_DATE = dt.date(2023, 8, 1)


def dataset(rows: int) -> Path:
    """Dirty churn CSV of ``rows`` rows (fixed seed), generated once and cached."""
    path = DATA_DIR / f"churn_{rows}.csv"
    if not path.exists():  # written whole or not at all (generate_churn_csv)
        generate_churn_csv(path, rows, seed=SEED)
    return path


def _spark_program(module: str, path: Path, partitions: str) -> dict:
    """Run ``python -m module INPUT OUT PARTITIONS`` in a fresh JVM; its ``BENCH`` JSON line."""
    with tempfile.TemporaryDirectory() as out:
        proc = subprocess.run(
            [sys.executable, "-m", module, str(path), out, partitions],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=3600,
        )
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"{module} failed: {(proc.stderr or proc.stdout)[-2000:]}")
    return json.loads(line[len("BENCH ") :])


def spark_run(path: Path, partitions: str = "8") -> dict:
    """clean + features in one fresh JVM (``benchmarks.spark_run``)."""
    return _spark_program("benchmarks.spark_run", path, partitions)


def floor_run(path: Path, partitions: str = "8") -> dict:
    """Spark's single-pass floor: one CSV read + one Parquet write (``benchmarks.floor_run``)."""
    return _spark_program("benchmarks.floor_run", path, partitions)


def duckdb_run(path: Path) -> dict:
    from benchmarks.duckdb_reference import run

    started = time.perf_counter()
    result = run(str(path), RUN_DATE)
    result["total_s"] = time.perf_counter() - started
    return result


def disagreements(spark: dict, duck: dict) -> list[str]:
    """Where Spark and DuckDB differ (counts, median, every per-country feature)."""
    problems = [
        f"{k}: spark {spark[k]} duckdb {duck[k]}"
        for k in ("input_rows", "clean_rows", "quarantined_rows", "age_median")
        if spark[k] != duck[k]
    ]
    if set(spark["by_country"]) != set(duck["by_country"]):
        problems.append(
            f"countries differ: {sorted(set(spark['by_country']) ^ set(duck['by_country']))}"
        )
    for country, d in duck["by_country"].items():
        s = spark["by_country"].get(country, {})
        for key, value in d.items():
            if s.get(key) is None or abs(s[key] - value) > 1e-9 * max(1.0, abs(value)):
                problems.append(f"{country}.{key}: spark {s.get(key)} duckdb {value}")
    return problems


def throughput(sizes=SIZES, repeat: int = 2) -> list[dict]:
    """Per size: the floor, the jobs and DuckDB, ``repeat`` times alternating (floor, job,
    floor, job...); the best (shortest) time of each is reported. The machine is shared, so
    single runs are noisy; the best of alternating runs is the fairest comparison."""
    rows = []
    for n in sizes:
        path = dataset(n)
        mb = path.stat().st_size / 1e6
        floors, sparks = [], []
        for _ in range(max(1, repeat)):
            floors.append(floor_run(path))
            sparks.append(spark_run(path))
        floor = min(floors, key=lambda r: r["total_s"])
        spark = min(sparks, key=lambda r: r["total_s"])
        duck = duckdb_run(path)
        problems = disagreements(spark, duck)
        rows.append(
            {
                "rows": n,
                "csv_mb": round(mb, 1),
                "floor_s": round(floor["total_s"], 2),
                "spark_s": round(spark["total_s"], 2),
                "duckdb_s": round(duck["total_s"], 2),
                "spark/floor": round(spark["total_s"] / floor["total_s"], 2),
                "spark/duckdb": round(spark["total_s"] / duck["total_s"], 1),
                "spark_rows_per_s": int(n / spark["total_s"]),
                "spark_mb_per_s": round(mb / spark["total_s"], 1),
                # the best runs' JVM CPU seconds, and how many of them were JIT compilation
                "cpu_s (jit) floor; spark": f"{_cpu(floor)}; {_cpu(spark)}",
                "runs (floor; spark)": " / ".join(f"{r['total_s']:.1f}" for r in floors)
                + "; "
                + " / ".join(f"{r['total_s']:.1f}" for r in sparks),
                "agree": "yes" if not problems else "NO: " + "; ".join(problems[:3]),
            }
        )
    return rows


def _cpu(run: dict) -> str:
    return f"{run['jvm_cpu_s']} ({run['jit_s']})"


def scaling(rows: list[dict]) -> str | None:
    by = {r["rows"]: r for r in rows}
    if 1_000_000 in by and 10_000_000 in by:
        factor = by[10_000_000]["spark_s"] / by[1_000_000]["spark_s"]
        return (
            f"1e6 -> 1e7 rows: Spark time x{factor:.1f} (linear = x10; target <= x11); "
            f"1e7 rows: spark/floor {by[10_000_000]['spark/floor']}"
        )
    return None


def shuffle_partitions_effect(rows: int = 1_000_000) -> list[dict]:
    """The effect of sizing shuffle partitions: Spark's default 200 against our 8."""
    path = dataset(rows)
    return [
        {"shuffle_partitions": p, "spark_s": round(spark_run(path, p)["total_s"], 2)}
        for p in ("200", "8")
    ]


def local_cloud_latency() -> list[dict]:
    """`local.up`, the Terraform lifecycle of the full stack, and `invoke run churn` start ->
    features in S3 on a warm local cloud."""
    import socket

    from mlpipe import pipelines, runs
    from mlpipe.config import load_defaults, load_settings
    from mlpipe.deploy.terraform import Stack
    from mlpipe.local_cloud.control import LocalCloud
    from mlpipe.local_cloud.server import PRESTART_ENV

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with tempfile.TemporaryDirectory() as tmp:
        # as `invoke local.up` starts it: its warm Spark driver starts (and warms up) at once
        cloud = LocalCloud(Path(tmp) / "state", port=port, env={PRESTART_ENV: "1"})
        started = time.perf_counter()
        cloud.start()
        up = time.perf_counter() - started
        os.environ["INVOKE_MLPIPE_LOCAL_STATE_DIR"] = str(Path(tmp) / "state")
        try:
            settings = load_settings(env="bench")
            stack = Stack(
                settings,
                Path(tmp) / "build",
                Path(tmp) / "tf",
                load_defaults().get("tf_plugin_dir", "") or "",
            )
            stack.build(echo=None)  # measured separately from Terraform itself
            t = time.perf_counter()
            stack.apply(echo=None)
            apply_s = time.perf_counter() - t
            resources = len(stack.resources())
            t = time.perf_counter()
            changes = stack.plan(echo=None)
            plan_s = time.perf_counter() - t
            timings = []
            for day in ("2023-08-01", "2023-08-02"):  # the first warms the cloud
                t = time.perf_counter()
                launched = pipelines.launch(
                    settings, "churn", day, ROOT / "data" / "customer_churn_data.csv"
                )
                result = runs.follow(settings, launched.execution_arn, on_event=lambda e: None)
                timings.append(time.perf_counter() - t)
            cleanup_s, planned = cleanup_plan_speed(settings)
            t = time.perf_counter()
            stack.destroy(echo=None)
            destroy_s = time.perf_counter() - t
        finally:
            os.environ.pop("INVOKE_MLPIPE_LOCAL_STATE_DIR", None)
            cloud.stop()
    return [
        {"measurement": "invoke local.up (start -> ready)", "seconds": round(up, 2)},
        {
            "measurement": f"terraform apply, full stack ({resources} resources)",
            "seconds": round(apply_s, 2),
        },
        {
            "measurement": f"terraform plan after apply ({'changes!' if changes else 'No changes'})",
            "seconds": round(plan_s, 2),
        },
        {"measurement": "terraform destroy, full stack", "seconds": round(destroy_s, 2)},
        {
            "measurement": f"run churn, first run after deploy ({result.status})",
            "seconds": round(timings[0], 2),
        },
        {
            "measurement": f"run churn, warm cloud, start -> features in S3 ({result.status})",
            "seconds": round(timings[-1], 2),
        },
        {
            "measurement": f"cleanup plan over {planned} tagged resources",
            "seconds": round(cleanup_s, 2),
        },
    ]


def cleanup_plan_speed(settings, target: int = 1000) -> tuple[float, int]:
    from mlpipe import cleanup
    from mlpipe.aws import client

    tags = {"Project": settings.project, "Environment": settings.env}
    glue, sqs, s3 = client(settings, "glue"), client(settings, "sqs"), client(settings, "s3")
    for i in range(300):
        glue.create_job(
            Name=f"bench-job-{i:04d}",
            Role="r",
            Command={"Name": "glueetl", "ScriptLocation": "s3://b/s.py"},
            Tags=tags,
        )
    for i in range(300):
        sqs.create_queue(QueueName=f"bench-queue-{i:04d}", tags=tags)
    for i in range(400):
        s3.put_object(Bucket=settings.bucket("data"), Key=f"curated/bench/{i:04d}", Body=b"x")
    started = time.perf_counter()
    plan = cleanup.plan(settings)
    elapsed = time.perf_counter() - started
    cleanup.apply(plan)
    return elapsed, 300 + 300 + 400 + len([r for r in plan if not r.name.startswith("bench-")])


def suite_time() -> list[dict]:
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "--durations=10", "-p", "no:cacheprovider"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    total = time.perf_counter() - started
    lines = proc.stdout.splitlines()
    slowest = [
        ln
        for ln in lines
        if ln.strip() and ln.split()[0].endswith("s") and " call " in ln or " setup " in ln
    ][:10]
    return [
        {
            "measurement": "full test suite (python -m pytest)",
            "seconds": round(total, 1),
            "result": lines[-1] if lines else "",
        }
    ] + [
        {
            "measurement": ln.split(maxsplit=2)[2],
            "seconds": float(ln.split()[0].rstrip("s")),
            "result": ln.split()[1],
        }
        for ln in slowest
    ]


def machine() -> str:
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[
        0
    ]
    import duckdb
    import pyspark

    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores, {mem:.0f} GiB RAM, Python {platform.python_version()}, {java}, Spark {pyspark.__version__} (local[2]), DuckDB {duckdb.__version__} (2 threads)"


def markdown_table(rows: list[dict]) -> str:
    if not rows:
        return ""
    cols = list(rows[0])
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    out += ["| " + " | ".join(str(r.get(c, "")) for c in cols) + " |" for r in rows]
    return "\n".join(out)
