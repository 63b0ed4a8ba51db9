"""Dirty customer-churn CSV generator (fixed seed, configurable defect rates).

Used by tests, the demo and benchmarks; scales from 10 rows to 10 M (written in
chunks, numpy for the bulk, Python only for the rows that get a defect).
Defects are applied per row with the given probability; a row may get several.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HEADER = "CustomerID,Name,Age,Gender,Country,SignupDate,LastPurchaseDate,TotalPurchases,TotalSpent,Churned"

DEFAULT_RATES: dict[str, float] = {
    "exact_duplicate": 0.02,
    "conflicting_duplicate": 0.01,
    "missing_age": 0.03,
    "bad_age": 0.01,
    "bad_customer_id": 0.005,
    "missing_country": 0.005,
    "country_variant": 0.05,
    "gender_variant": 0.05,
    "bad_signup_date": 0.005,
    "slash_date": 0.02,
    "iso_timestamp": 0.01,
    "missing_last_purchase": 0.02,
    "bad_last_purchase_date": 0.005,
    "purchase_before_signup": 0.005,
    "future_date": 0.005,
    "bad_total_purchases": 0.005,
    "bad_total_spent": 0.005,
    "bad_churned": 0.005,
    "churned_variant": 0.05,
    "malformed_row": 0.005,
    "bad_encoding": 0.003,
    "quoted_name": 0.01,
}

FIRST = [
    "John",
    "Maria",
    "Liu",
    "Sara",
    "Pedro",
    "Aisha",
    "Takeshi",
    "Anna",
    "Kofi",
    "Lara",
    "Omar",
    "Chen",
    "Ines",
    "Raj",
    "Olga",
    "Mateo",
    "Yuki",
    "Zara",
    "Tomás",
    "Émile",
]
LAST = [
    "Smith",
    "Garcia",
    "Wei",
    "Khan",
    "Silva",
    "Ali",
    "Tanaka",
    "Müller",
    "Mensah",
    "Rossi",
    "Novak",
    "Kim",
    "Costa",
    "Patel",
    "Ivanova",
    "López",
    "Sato",
    "Okafor",
    "Dubois",
    "Berg",
]
COUNTRIES = [
    "USA",
    "Canada",
    "China",
    "UK",
    "Brazil",
    "UAE",
    "Japan",
    "Germany",
    "Ghana",
    "Italy",
    "India",
    "France",
    "Spain",
    "Mexico",
    "Nigeria",
    "Australia",
]
EPOCH = dt.date(2018, 1, 1)


@dataclass
class GenStats:
    rows: int = 0
    defects: Counter[str] = field(default_factory=Counter)


def _dates(days: np.ndarray) -> list[str]:
    dates: list[str] = np.datetime_as_string(
        np.datetime64(EPOCH) + days.astype("timedelta64[D]"), unit="D"
    ).tolist()
    return dates


def _chunk(
    rng: np.random.Generator,
    start_id: int,
    n: int,
    run_date: dt.date,
    rates: dict[str, float],
    stats: GenStats,
) -> list[str]:
    span = (run_date - EPOCH).days
    ids = (np.arange(n) + start_id).astype(str).tolist()
    first = rng.integers(0, len(FIRST), n)
    last = rng.integers(0, len(LAST), n)
    names = [f"{FIRST[a]} {LAST[b]}" for a, b in zip(first.tolist(), last.tolist(), strict=True)]
    ages = np.clip(rng.normal(38, 12, n), 18, 90).astype(int).astype(str).tolist()
    genders = np.where(rng.random(n) < 0.5, "Male", "Female").tolist()
    countries = np.array(COUNTRIES)[rng.integers(0, len(COUNTRIES), n)].tolist()
    signup_days = rng.integers(0, span - 30, n)
    last_days = signup_days + (rng.random(n) * (span - signup_days)).astype(int)
    signups, lasts = _dates(signup_days), _dates(last_days)
    purchases_n = rng.integers(0, 40, n)
    purchases = purchases_n.astype(str).tolist()
    spent = np.round(purchases_n * rng.gamma(4.0, 25.0, n), 2)
    spents = [f"{v:.2f}" for v in spent.tolist()]
    churned = np.where(rng.random(n) < 0.3, "Yes", "No").tolist()
    cols = [ids, names, ages, genders, countries, signups, lasts, purchases, spents, churned]
    C = {
        "id": 0,
        "name": 1,
        "age": 2,
        "gender": 3,
        "country": 4,
        "signup": 5,
        "last": 6,
        "purchases": 7,
        "spent": 8,
        "churned": 9,
    }

    def pick(kind: str) -> list[int]:
        idx = np.flatnonzero(rng.random(n) < rates.get(kind, 0.0)).tolist()
        stats.defects[kind] += len(idx)
        return idx

    def choose(options: list[str]) -> str:
        return options[int(rng.integers(0, len(options)))]

    for i in pick("missing_age"):
        cols[C["age"]][i] = ""
    for i in pick("bad_age"):
        cols[C["age"]][i] = choose(["abc", "250", "-3", "34.5"])
    for i in pick("bad_customer_id"):
        cols[C["id"]][i] = choose(["", "abc", "-5", "0", "12.5"])
    for i in pick("missing_country"):
        cols[C["country"]][i] = choose(["", "   "])
    for i in pick("country_variant"):
        c = cols[C["country"]][i]
        cols[C["country"]][i] = choose([c.lower(), f" {c.upper()} ", c.title()])
    for i in pick("gender_variant"):
        cols[C["gender"]][i] = choose(["m", "F", "female", " MALE ", "", "Non-binary"])
    for i in pick("slash_date"):
        cols[C["signup"]][i] = cols[C["signup"]][i].replace("-", "/")
    for i in pick("iso_timestamp"):
        cols[C["last"]][i] = cols[C["last"]][i] + "T12:30:00Z"
    for i in pick("bad_signup_date"):
        cols[C["signup"]][i] = choose(["", "2021-13-45", "yesterday", "2021-6-1"])
    for i in pick("missing_last_purchase"):
        cols[C["last"]][i] = ""
    for i in pick("bad_last_purchase_date"):
        cols[C["last"]][i] = choose(["n/a", "2023-02-30", "31-12-2022"])
    for i in pick("purchase_before_signup"):
        cols[C["last"]][i] = "2017-06-01"
    for i in pick("future_date"):
        cols[C["signup"]][i] = (run_date + dt.timedelta(days=10)).isoformat()
    for i in pick("bad_total_purchases"):
        cols[C["purchases"]][i] = choose(["", "-1", "3.5", "many"])
    for i in pick("bad_total_spent"):
        cols[C["spent"]][i] = choose(["", "-10.00", "abc", "NaN"])
    for i in pick("churned_variant"):
        cols[C["churned"]][i] = choose(["yes", "NO", "true", "0", "1", "False"])
    for i in pick("bad_churned"):
        cols[C["churned"]][i] = choose(["maybe", "", "2"])
    for i in pick("quoted_name"):
        cols[C["name"]][i] = f'"{LAST[int(last[i])]}, {FIRST[int(first[i])]}"'
    for i in pick("bad_encoding"):
        cols[C["name"]][i] = cols[C["name"]][i] + "\udcff"  # a lone 0xFF byte once encoded
    for i in pick("exact_duplicate"):
        if i > 0:
            for col in cols:
                col[i] = col[i - 1]
    for i in pick("conflicting_duplicate"):
        if i > 0:
            cols[C["id"]][i] = cols[C["id"]][i - 1]
    lines = list(map(",".join, zip(*cols, strict=True)))
    for i in pick("malformed_row"):
        lines[i] = lines[i].rsplit(",", 1)[0] if rng.random() < 0.5 else lines[i] + ",extra"
    return lines


def generate_churn_csv(
    path: str | Path,
    rows: int,
    seed: int = 42,
    rates: dict[str, float] | None = None,
    run_date: dt.date = dt.date(2023, 8, 1),
    bom: bool = False,
    crlf: bool = False,
    chunk_rows: int = 200_000,
    progress: Callable[[int], None] | None = None,
) -> GenStats:
    """Write ``rows`` data rows (plus a header) to ``path``; return what was injected. The file
    is written beside ``path`` and renamed over it when complete: an interrupted run leaves
    any earlier file as it was and no partial one. ``progress`` gets the rows written so far
    after each chunk."""
    rates = DEFAULT_RATES if rates is None else rates
    unknown = set(rates) - set(DEFAULT_RATES)
    if unknown:
        raise ValueError(f"unknown defect kind(s): {', '.join(sorted(unknown))}")
    rng = np.random.default_rng(seed)
    stats = GenStats(rows=rows)
    eol = "\r\n" if crlf else "\n"
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    try:
        with open(partial, "wb") as out:
            out.write(("\ufeff" if bom else "").encode() + (HEADER + eol).encode())
            for start in range(0, rows, chunk_rows):
                n = min(chunk_rows, rows - start)
                lines = _chunk(rng, 1000 + start, n, run_date, rates, stats)
                out.write((eol.join(lines) + eol).encode("utf-8", "surrogateescape"))
                if progress:
                    progress(start + n)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return stats


# --------------------------------------------------------------------------- lab 2 telemetry

TELEMETRY_HEADER = "player_id,class,platform,level,light,kills,deaths,session_minutes"
TELEMETRY_CLASSES = ("Titan", "Hunter", "Warlock")
TELEMETRY_SCHEMA = "player_id STRING, class STRING, platform STRING, level INT, light INT, kills INT, deaths INT, session_minutes DOUBLE"


def generate_telemetry_csv(path: str | Path, rows: int, seed: int = 7) -> dict[str, int]:
    """Game telemetry in the spirit of lab 2's example (a ``class`` column to partition by).

    Returns the number of rows per class, which is what the EMR step's partitions must hold.
    """
    rng = np.random.default_rng(seed)
    classes = np.array(TELEMETRY_CLASSES)[rng.choice(3, rows, p=[0.4, 0.35, 0.25])]
    platforms = np.array(["PC", "PlayStation", "Xbox"])[rng.integers(0, 3, rows)]
    level = rng.integers(1, 51, rows)
    light = (level * 30 + rng.normal(200, 40, rows)).astype(int)
    kills = rng.poisson(level * 2)
    deaths = rng.poisson(20, rows)
    minutes = np.round(rng.gamma(2.0, 30.0, rows), 1)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as out:
        out.write(TELEMETRY_HEADER + "\n")
        for i in range(rows):
            out.write(
                f"p{i:07d},{classes[i]},{platforms[i]},{level[i]},{light[i]},{kills[i]},{deaths[i]},{minutes[i]}\n"
            )
    values, counts = np.unique(classes, return_counts=True)
    return {str(v): int(c) for v, c in zip(values, counts, strict=True)}
