"""Hand mutations over clean.py / features.py (issue 16.1), each run against the fast job tests
in one process (one JVM). Each mutation is applied to the source file, the tests run, and the
file is restored. A mutation is *killed* when a test fails.

    python -m benchmarks.mutations            # all; prints MUTATION <name> killed|SURVIVED
    python -m benchmarks.mutations M8 M13     # some

Do not edit glue_jobs/churn_transforms while it runs (it restores the files it mutated).
"""

import json
import sys

import pytest

from mlpipe import ROOT as REPO

ROOT = REPO / "glue_jobs" / "churn_transforms"
MUTATIONS = [
    (
        "M1 features AVG->MAX avg_total_spent",
        "features.py",
        'F.avg("total_spent").alias("avg_total_spent")',
        'F.max("total_spent").alias("avg_total_spent")',
    ),
    (
        "M2 features AVG->MIN avg_total_spent",
        "features.py",
        'F.avg("total_spent").alias("avg_total_spent")',
        'F.min("total_spent").alias("avg_total_spent")',
    ),
    (
        "M3 features AVG->MAX avg_age",
        "features.py",
        'F.avg("age").alias("avg_age")',
        'F.max("age").alias("avg_age")',
    ),
    (
        "M4 features AVG->MAX churn_rate",
        "features.py",
        'F.avg(F.col("churned").cast("double")).alias("churn_rate")',
        'F.max(F.col("churned").cast("double")).alias("churn_rate")',
    ),
    (
        "M5 features tenure sign",
        "features.py",
        'F.datediff(rd, "signup_date")',
        'F.datediff("signup_date", rd)',
    ),
    (
        "M6 features avg_order_value > -> >=",
        "features.py",
        'F.when(F.col("total_purchases") > 0,',
        'F.when(F.col("total_purchases") >= 0,',
    ),
    (
        "M7 clean median rounds half down",
        "clean.py",
        "return (lo + hi + 1) // 2",
        "return (lo + hi) // 2",
    ),
    ("M8 clean age <= MAX_AGE -> <", "clean.py", "(age_d <= MAX_AGE)", "(age_d < MAX_AGE)"),
    (
        "M9 clean dedupe keeps the older purchase",
        "clean.py",
        'F.col("last_purchase_date").desc_nulls_last(),',
        'F.col("last_purchase_date").asc_nulls_last(),',
    ),
    (
        "M10 clean purchase_before_signup < -> <=",
        "clean.py",
        '_reason(c("last_purchase_date") < c("signup_date"), "purchase_before_signup")',
        '_reason(c("last_purchase_date") <= c("signup_date"), "purchase_before_signup")',
    ),
    (
        "M11 clean exact/conflicting swapped",
        "clean.py",
        'F.when(dropped & (F.col("_hash") == F.col("_kept_hash")), "exact")',
        'F.when(dropped & (F.col("_hash") != F.col("_kept_hash")), "exact")',
    ),
    (
        "M12 clean country code length <= 3 -> < 3",
        "clean.py",
        "F.when(F.length(collapsed) <= 3,",
        "F.when(F.length(collapsed) < 3,",
    ),
    (
        "M13 clean dedupe tie-break: fewest filled fields",
        "clean.py",
        'F.col("_filled").desc(),',
        'F.col("_filled").asc(),',
    ),
    (
        "M14 clean negative spend allowed",
        "clean.py",
        '_reason(c("total_spent").isNull() | (c("total_spent") < 0), "bad_total_spent")',
        '_reason(c("total_spent").isNull(), "bad_total_spent")',
    ),
]
TESTS = [
    "tests/jobs/test_oracle.py",
    "tests/jobs/test_lab_sample.py",
    "tests/jobs/test_quarantine_reasons.py",
    "tests/jobs/test_edge_inputs.py",
    "tests/jobs/test_hostile_inputs.py",
    "tests/jobs/test_property.py",
]


def main(argv: list[str]) -> list[tuple[str, str]]:
    results = []
    chosen = argv
    for name, fname, old, new in [m for m in MUTATIONS if not chosen or m[0].split()[0] in chosen]:
        path = ROOT / fname
        original = path.read_text()
        assert original.count(old) == 1, (name, original.count(old))
        path.write_text(original.replace(old, new))
        try:
            for mod in [
                m
                for m in sys.modules
                if m.startswith(("churn_transforms", "tests.jobs", "benchmarks"))
            ]:
                del sys.modules[mod]
            rc = pytest.main(
                TESTS
                + ["-x", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", "-m", "not slow"]
            )
        finally:
            path.write_text(original)
        results.append((name, "killed" if rc != 0 else "SURVIVED"))
        print("MUTATION", name, results[-1][1], flush=True)
    print(json.dumps(results, indent=1))
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
