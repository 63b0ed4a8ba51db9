"""Where a run's outputs live, and how a reader finds the published run (pure, no Spark, so
that ``mlpipe``'s readers on S3 use the same rules as the jobs).

    <base>/run_date=<d>/run_id=<r>/...   one run's output (immutable; features: by_country/,
                                         by_customer/ under it)
    <base>/run_date=<d>/_manifest.json   the published run: names run_id and each output's
                                         prefix relative to the output's own base
    <base>/run_date=<d>/_SUCCESS         written after the manifest

The clean job's manifest (under its ``--output`` base) names both its outputs: ``clean`` under
``--output`` and ``quarantine`` under ``--quarantine``. Never list ``run_date=<d>/``: it may hold
the previous run (kept for readers in flight) and leftovers of a failed one.
"""

from __future__ import annotations

import re

from churn_transforms.errors import InputError

MANIFEST = "_manifest.json"
SUCCESS = "_SUCCESS"
RUN_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")


def date_dir(base: str, run_date: str) -> str:
    return f"{base.rstrip('/')}/run_date={run_date}"


def manifest_uri(base: str, run_date: str) -> str:
    return f"{date_dir(base, run_date)}/{MANIFEST}"


def run_prefix(base: str, run_date: str, run_id: str) -> str:
    """The immutable prefix one run writes one output under."""
    return f"{date_dir(base, run_date)}/run_id={run_id}"


def published_prefix(manifest: dict, output: str, base: str) -> str:
    """Where ``output`` of the run a manifest names lives, under ``base`` (the output's own base
    as the reader knows it: e.g. the s3:// prefix, even when the job wrote a staged local copy).
    Manifests name outputs relative to their base for exactly this reason."""
    try:
        relative = manifest["outputs_relative"][output]
    except KeyError:
        raise InputError(
            f"manifest of run {manifest.get('run_id')} names no {output!r} output"
        ) from None
    return f"{base.rstrip('/')}/{relative}"
