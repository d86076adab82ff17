"""`compat diff OLD NEW`: what changed between two matrices; exit 3 on any regression."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from compat.console import err, out

REGRESSION_EXIT_CODE = 3


class DiffFormat(StrEnum):
    table = "table"
    md = "md"


def diff(
    old: Annotated[Path, typer.Argument(help="The previous matrix (e.g. the published one).")],
    new: Annotated[Path, typer.Argument(help="The new matrix.")],
    output_format: Annotated[
        DiffFormat, typer.Option("--format", "-f", help="A rich table, or Markdown.")
    ] = DiffFormat.table,
) -> None:
    """Show regressions (pass → fail), fixes and other changes; exit 3 on any regression."""
    from compat.diff import diff_matrices, summary, to_markdown, to_table
    from compat.matrix import load_matrix

    result = diff_matrices(load_matrix(old), load_matrix(new))
    if output_format is DiffFormat.md:
        out.print(to_markdown(result), end="", markup=False)
    elif result.is_empty:
        out.print(f"{result.old_versions} → {result.new_versions}: no changes", markup=False)
    else:
        out.print(to_table(result))
    if result.has_regressions:
        err.print(f"{summary(result)}: the new matrix regresses", markup=False)
        raise typer.Exit(REGRESSION_EXIT_CODE)


def register(app: typer.Typer) -> None:
    app.command("diff")(diff)
