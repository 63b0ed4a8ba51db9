"""Benchmarks (benchmarks/): numbers from one run on this machine."""

from __future__ import annotations

import datetime as dt

from invoke import Context, task

from mlpipe import ROOT
from mlpipe.report import print_tables, rows_table
from mlpipe.targets import shown
from mlpipe.tasks._common import fail, int_option


def _sizes(text: str) -> tuple[int, ...]:
    """``--sizes``: comma-separated row counts, each 10 to 10,000,000 (``1e6`` allowed)."""
    try:
        sizes = tuple(int(float(s)) for s in text.split(","))
    except (ValueError, OverflowError):  # not a number, nan, inf
        sizes = ()
    if not sizes or not all(10 <= n <= 10_000_000 for n in sizes):
        fail(
            f"--sizes must be row counts from 10 to 10,000,000 (e.g. 1e5,2e6), got {shown(text)}", 2
        )
    return sizes


@task(
    help={
        "quick": "10,000 rows only (smoke test: table + Spark/DuckDB agreement)",
        "sizes": "comma-separated row counts (default: 1e5,1e6,2e6,1e7)",
        "e2e": "also measure local.up, `run churn` on a warm local cloud and cleanup planning",
        "suite": "also time the whole test suite and its slowest 10 tests",
        "write": "write the results to benchmarks/RESULTS.md",
        "repeat": "alternating floor/job runs per size; the best of each is reported (default 2)",
    },
)
def bench(
    c: Context,
    quick: bool = False,
    sizes: str | None = None,
    e2e: bool = False,
    suite: bool = False,
    write: bool = False,
    repeat: str = "2",
) -> None:
    """Spark clean+features vs its floor and DuckDB (same run), scaling, latency; --quick smoke."""
    from benchmarks import bench as b

    chosen = b.QUICK_SIZES if quick else _sizes(sizes) if sizes is not None else b.SIZES
    runs = int_option("repeat", repeat, 1, 10)
    sections = []
    rows = b.throughput(chosen, repeat=1 if quick else runs)
    print_tables(
        rows_table("clean + features: Spark (JVM start included) vs Spark floor and DuckDB", rows)
    )
    sections.append(
        ("Throughput: clean + features, Spark vs its floor and DuckDB", rows, b.scaling(rows))
    )
    if any("NO" in r["agree"] for r in rows):
        from mlpipe.tasks._common import fail

        fail(
            "Spark and DuckDB disagree: "
            + "; ".join(r["agree"] for r in rows if r["agree"] != "yes")
        )
    if not quick and 1_000_000 in chosen:
        effect = b.shuffle_partitions_effect()
        print_tables(rows_table("shuffle partitions at 1e6 rows", effect))
        sections.append(("Effect of shuffle partitions (1e6 rows)", effect, None))
    if e2e:
        latency = b.local_cloud_latency()
        print_tables(rows_table("local cloud", latency))
        sections.append(("Local cloud latency and cleanup planning", latency, None))
    if suite:
        times = b.suite_time()
        print_tables(rows_table("test suite", times))
        sections.append(("Test suite", times, None))
    if b.scaling(rows):
        print(b.scaling(rows))
    if write:
        command = (
            "invoke bench"
            + (" --quick" if quick else "")
            + (f" --sizes {sizes}" if sizes else "")
            + (" --e2e" if e2e else "")
            + (" --suite" if suite else "")
            + (f" --repeat {repeat}" if str(repeat) != "2" else "")
            + " --write"
        )
        text = [
            f"## Run of {dt.date.today().isoformat()}",
            "",
            f"Machine: {b.machine()}",
            "",
            f"Command: `{command}`",
            "",
        ]
        for title, table, note in sections:
            text += [f"### {title}", "", b.markdown_table(table), ""] + ([note, ""] if note else [])
        path = ROOT / "benchmarks" / "RESULTS.md"
        head = (
            path.read_text().split("## Run of", 1)[0]
            if path.exists()
            else "# Benchmark results\n\n"
        )
        path.write_text(head + "\n".join(text))
        print(f"wrote {path}")
