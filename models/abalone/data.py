"""A realistic synthetic abalone dataset with the UCI schema (no package ships the real one).

Columns: Sex (M/F/I), Length, Diameter, Height, Whole, Shucked, Viscera, Shell weight, Rings.
Measurements grow with age along a saturating curve (as shell growth does), widths and weights
follow allometric relations (weight ~ length^3) with multiplicative noise, and infants (I) are
younger and smaller, so the features really predict Rings, with the UCI data's kind of noise.
"""

from __future__ import annotations

import numpy as np

FEATURES = ["Sex", "Length", "Diameter", "Height", "Whole", "Shucked", "Viscera", "Shell"]
LABEL = "Rings"


def generate(rows: int, seed: int = 11) -> list[list]:
    """Rows of ``FEATURES + [LABEL]``, values rounded like the UCI file."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(np.array(["M", "F", "I"]), rows, p=[0.37, 0.31, 0.32])
    infant = sex == "I"
    rings = (
        np.where(infant, 1 + rng.gamma(4.0, 1.9, rows), 3 + rng.gamma(6.0, 1.7, rows))
        .round()
        .clip(1, 29)
        .astype(int)
    )
    length = (0.78 * (1 - np.exp(-0.22 * rings)) * rng.lognormal(0, 0.08, rows)).clip(0.075, 0.815)
    diameter = (0.80 * length * rng.lognormal(0, 0.04, rows)).clip(0.055, 0.65)
    height = (0.34 * diameter * rng.lognormal(0, 0.10, rows)).clip(0.01, 0.25)
    whole = (4.2 * length**2.9 * rng.lognormal(0, 0.10, rows)).clip(0.002, 2.8)
    shucked = whole * rng.uniform(0.36, 0.50, rows)
    viscera = whole * rng.uniform(0.18, 0.25, rows)
    shell = whole * rng.uniform(0.24, 0.33, rows) * (1 + 0.015 * (rings - 9))
    cols = [length, diameter, height, whole, shucked, viscera, shell]
    return [
        [s, *[round(float(c[i]), 4) for c in cols], int(rings[i])]
        for i, s in enumerate(sex.tolist())
    ]


def to_csv(rows: list[list], with_label: bool = True) -> str:
    """Headerless CSV, as SageMaker batch transform consumes it."""
    return "".join(",".join(str(v) for v in (r if with_label else r[:-1])) + "\n" for r in rows)
