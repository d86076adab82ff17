"""`compat render`: compatibility-matrix.json → index.html (or a Markdown summary)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from compat.commands.options import DEFAULT_MANIFEST_PATH, ManifestOption
from compat.console import err, out
from compat.paths import SUMMARY_NAME


class Format(StrEnum):
    html = "html"
    md = "md"


def render(
    matrix_path: Annotated[
        Path, typer.Argument(metavar="MATRIX", help="The matrix (compatibility-matrix.json).")
    ],
    results: Annotated[
        list[Path] | None,
        typer.Option(
            "--results",
            "-r",
            help="Results files (or directories of them) of the same run, for the per-cell "
            "drill-down; repeatable.",
        ),
    ] = None,
    known_issues_path: Annotated[
        Path | None,
        typer.Option(
            "--known-issues",
            "-k",
            help="known_issues.yaml, shown as the page's Known issues section.",
        ),
    ] = None,
    manifest: ManifestOption = DEFAULT_MANIFEST_PATH,
    output_format: Annotated[
        Format, typer.Option("--format", "-f", help="html: index.html; md: a Markdown summary.")
    ] = Format.html,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Directory to write index.html (or summary.md) into; md without it prints "
            "to stdout.",
        ),
    ] = None,
) -> None:
    """Render the matrix as a self-contained HTML page or a Markdown summary."""
    # Imported here so `compat --help` does not load jinja2 and the renderers.
    from compat.errors import InputError
    from compat.files import write_atomic
    from compat.known_issues import load_known_issues
    from compat.manifest import load_manifest
    from compat.matrix import load_matrix, load_results
    from compat.render import render_markdown, write_page
    from compat.render.view import check_results_match

    matrix = load_matrix(matrix_path)
    # The manifest names the columns of a matrix without `provider_names` (a published one).
    # Without known issues it is needed for nothing else, so outside a checkout it may be absent.
    loaded_manifest = (
        load_manifest(manifest) if known_issues_path is not None or manifest.exists() else None
    )
    known = (
        load_known_issues(known_issues_path, loaded_manifest)
        if known_issues_path is not None and loaded_manifest is not None
        else None
    )
    if output_format is Format.md:
        if results:
            err.print("note: --results is not used by the Markdown summary")
        text = render_markdown(matrix, known_issues=known, manifest=loaded_manifest)
        if out_dir is None:
            typer.echo(text, nl=False)
            return
        target = out_dir / SUMMARY_NAME
        write_atomic(target, text)
        out.print(str(target), markup=False)
        return
    if out_dir is None:
        raise InputError("--out DIR is required for the HTML page (it writes DIR/index.html)")
    loaded = load_results(results) if results else []
    check_results_match(matrix, loaded)
    page = write_page(
        matrix,
        out_dir,
        results=[r.file for r in loaded] or None,
        known_issues=known,
        manifest=loaded_manifest,
    )
    out.print(str(page), markup=False)


def register(app: typer.Typer) -> None:
    app.command("render")(render)
