"""What the commands print: JSON for scripts (`--json`), plain aligned tables and lines for people."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import click


def emit_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, sort_keys=False))


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def table(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]], empty: str) -> None:
    """``columns``: (field, heading) pairs, printed in that order, each as wide as its widest cell."""
    if not rows:
        click.echo(empty)
        return
    cells = [[heading for _, heading in columns]] + [[_cell(row.get(f)) for f, _ in columns] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    for line in cells:
        click.echo("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())


def digests(result: dict[str, Any]) -> list[str]:
    """The transaction digests of a `{"tx_digest"}` or `{"tx_digests": […]}` answer."""
    if "tx_digests" in result:
        return [str(d) for d in result["tx_digests"]]
    return [str(result["tx_digest"])] if result.get("tx_digest") else []
