"""Terminal rendering of run results (rich tables)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def manifest_table(manifest: dict[str, Any]) -> Table:
    """Counts of a clean_customers manifest, with the reconciliation check (data lines counted
    by the line reader = clean + quarantined rows, duplicates included)."""
    run = f"  run_id={manifest['run_id']}" if manifest.get("run_id") else ""
    table = Table(title=f"clean_customers  run_date={manifest['run_date']}{run}", show_header=True)
    table.add_column("metric")
    table.add_column("rows", justify="right")
    lines: list[Any] = [manifest.get(k) for k in ("physical_lines", "blank_lines", "header_lines")]
    if None not in lines:
        table.add_row("input lines (physical / blank / header)", " / ".join(map(str, lines)))
    table.add_row("input_rows", str(manifest["input_rows"]))
    table.add_row("clean_rows", str(manifest["clean_rows"]))
    table.add_row("quarantined_rows", str(manifest["quarantined_rows"]))
    for reason, n in sorted(manifest["quarantined_by_reason"].items()):
        table.add_row(f"  {reason}", str(n))
    dups = manifest["duplicates"]
    table.add_row("duplicates exact / conflicting", f"{dups['exact']} / {dups['conflicting']}")
    table.add_row("age_imputed", f"{manifest['age_imputed']} (median {manifest['age_median']})")
    ok = manifest["input_rows"] == manifest["clean_rows"] + manifest["quarantined_rows"]
    if None not in lines:  # rows written must account for every data line the file holds
        ok = ok and lines[0] - lines[1] - lines[2] == manifest["input_rows"]
    table.add_row("reconciliation", "[green]OK[/green]" if ok else "[red]MISMATCH[/red]")
    return table


def rows_table(title: str, rows: list[dict[str, Any]], columns: list[str] | None = None) -> Table:
    columns = columns or (list(rows[0]) if rows else [])
    table = Table(title=title)
    for col in columns:
        numeric = bool(rows) and isinstance(rows[0].get(col), int | float)
        # fold, never truncate: names in these tables get copied into other commands
        table.add_column(col, justify="right" if numeric else "left", overflow="fold")
    for row in rows:
        table.add_row(*[_fmt(row.get(c)) for c in columns])
    return table


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    return "" if value is None else str(value)


def print_tables(*tables: Table) -> None:
    console = Console()
    for table in tables:
        console.print(table)
