"""`compat build`: results files → compatibility-matrix.json."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from compat.commands.options import DEFAULT_MANIFEST_PATH, ManifestOption
from compat.console import err, out
from compat.manifest import load_manifest
from compat.matrix import Matrix, build_matrix, load_results
from compat.paths import MATRIX_NAME


def resolve_out_path(out_path: Path) -> Path:
    """A directory means `<dir>/compatibility-matrix.json`."""
    return out_path / MATRIX_NAME if out_path.is_dir() else out_path


def status_counts(matrix: Matrix) -> Counter[str]:
    return Counter(o.status for row in matrix.features for o in row.providers.values())


def contract_counts(matrix: Matrix) -> Counter[str]:
    table = matrix.gateway_contract
    checks = table.checks if table is not None else []
    routes = matrix.contract_routes()
    return Counter(row.providers[p].status for row in checks for p in routes)


def _summary(counts: Counter[str]) -> str:
    return ", ".join(f"{counts[s]} {s}" for s in ("pass", "fail", "not_applicable", "not_tested"))


def build(
    results: Annotated[
        list[Path],
        typer.Option(
            "--results",
            "-r",
            help="A results file (compat-results.json) or a directory of them; repeatable. "
            "Shards from separate machines are merged.",
        ),
    ],
    manifest: ManifestOption = DEFAULT_MANIFEST_PATH,
    out_path: Annotated[
        Path,
        typer.Option("--out", "-o", help="Where to write the matrix (a file, or a directory)."),
    ] = Path(MATRIX_NAME),
    generated_at: Annotated[
        str | None,
        typer.Option(
            "--generated-at",
            help="Timestamp to record (ISO-8601 UTC, e.g. 2026-01-01T00:00:00Z) for "
            "reproducible builds; default: now.",
        ),
    ] = None,
) -> None:
    """Build compatibility-matrix.json from the manifest and one or more results files."""
    from compat.outputs import write_outputs  # loads the page's renderer

    loaded_manifest = load_manifest(manifest)
    matrix = build_matrix(loaded_manifest, load_results(results), generated_at=generated_at)
    target = resolve_out_path(out_path)
    write_outputs(matrix, target, page=False)
    columns = len(matrix.providers)
    err.print(
        f"{len(matrix.features)} features × {columns} providers: {_summary(status_counts(matrix))}"
    )
    if matrix.gateway_contract is not None:
        checks = len(matrix.gateway_contract.checks)
        err.print(
            f"{checks} gateway-contract checks × {len(matrix.contract_routes())} routes: "
            f"{_summary(contract_counts(matrix))}"
        )
    out.print(str(target))


def register(app: typer.Typer) -> None:
    app.command("build")(build)
