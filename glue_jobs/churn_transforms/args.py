"""Glue-style ``--key value`` argument parsing.

On AWS Glue ``awsglue.utils.getResolvedOptions`` is used. Locally (spark-submit,
tests) a parser with the same semantics is used: every *required* name must be
present, unknown arguments (Glue adds ``--JOB_ID``, ``--TempDir``...) are ignored,
and optional names are resolved only when present (the usual Glue idiom).

Glue's own run arguments (``GLUE_RESERVED``) are never asked for by name:
``getResolvedOptions`` registers them itself and refuses a job that names one ("Using
reserved arguments --JOB_RUN_ID"), so every run on Glue would fail at its first line. They come
back in its result; the local parser does the same, refusal included.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re

from churn_transforms.errors import InputError

GLUE_RESERVED = ("JOB_ID", "JOB_RUN_ID", "SECURITY_CONFIGURATION")


def _local_resolved_options(argv: list[str], names: list[str]) -> dict[str, str]:
    reserved = [n for n in names if n in GLUE_RESERVED]
    if reserved:  # as getResolvedOptions does
        raise RuntimeError(f"Using reserved arguments --{reserved[0]}")
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    for name in GLUE_RESERVED:
        parser.add_argument(f"--{name}", required=False)
    for name in names:
        parser.add_argument(f"--{name}", required=True)
    try:
        known, _ = parser.parse_known_args(argv[1:])
    except SystemExit:  # argparse already printed why; turn it into our one-liner
        missing = [n for n in names if not _present(argv, n)]
        raise InputError(
            f"missing job argument(s): {', '.join('--' + m for m in missing)}"
        ) from None
    return vars(known)


def _present(argv: list[str], name: str) -> bool:
    flag = f"--{name}"
    return any(a == flag or a.startswith(flag + "=") for a in argv)


def resolve_args(argv: list[str], required: list[str], optional: dict[str, str] | None = None):
    """Resolve ``required`` names plus ``optional`` ones (name -> default) from ``argv``; an
    optional name in ``GLUE_RESERVED`` is read from the result, never asked for."""
    optional = optional or {}
    asked = [n for n in optional if n not in GLUE_RESERVED and _present(argv, n)]
    try:
        from awsglue.utils import getResolvedOptions
    except ImportError:
        resolved = _local_resolved_options(argv, list(required) + asked)
    else:  # on AWS Glue
        resolved = getResolvedOptions(argv, list(required) + asked)
    given = {k: resolved.get(k) for k in [*required, *optional]}
    return {**optional, **{k: v for k, v in given.items() if v is not None}}


RUN_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_run_date(value: str) -> dt.date:
    """``--run_date`` must be a real date written ``YYYY-MM-DD`` (nothing else: it names output
    prefixes); every relative date in a job derives from it."""
    shown = value if not isinstance(value, str) or len(value) <= 40 else value[:37] + "..."
    if not isinstance(value, str) or not RUN_DATE_RE.fullmatch(value):
        raise InputError(f"--run_date must be YYYY-MM-DD, got {shown!r}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(f"--run_date is not a real date: {shown!r}") from None
