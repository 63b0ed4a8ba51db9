"""Shared entrypoint wrapper: one-line errors and exit codes, never a traceback for bad input."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable

from churn_transforms.args import resolve_args
from churn_transforms.errors import InputError
from churn_transforms.io import get_spark

EXIT_BAD_INPUT = 2


def main(
    app_name: str,
    body: Callable,
    required: list[str],
    optional: dict[str, str] | None = None,
    argv: list[str] | None = None,
) -> int:
    argv = sys.argv if argv is None else argv
    try:
        args = resolve_args(argv, required, optional)
        spark = get_spark(app_name, args.get("shuffle_partitions"))
        manifest = body(spark, args)
    except InputError as exc:
        print(f"ERROR: {exc}", file=sys.stderr, flush=True)
        return EXIT_BAD_INPUT
    print("MANIFEST " + json.dumps(manifest, sort_keys=True, default=str), flush=True)
    return 0
