"""`compat advisories`: the OSV records that stop compat installing a release."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from compat.console import err, out

advisories_app = typer.Typer(
    name="advisories",
    help="OSV advisories (malicious releases) that compat refuses to install.",
    no_args_is_help=True,
)


@advisories_app.command("list")
def list_advisories() -> None:
    """Print every advisory that refuses a release: id, versions, summary, first reference."""
    from rich.table import Table

    from compat.advisories import load_advisories

    refusing = [a for a in load_advisories() if a.refuses]
    table = Table(show_edge=False, pad_edge=False)
    for column in ("id", "versions", "summary", "reference"):
        table.add_column(column, overflow="fold")
    for advisory in refusing:
        table.add_row(
            advisory.id,
            advisory.affected_text(),
            advisory.summary or "",
            advisory.first_reference or "",
        )
    out.print(table)
    err.print(f"{len(refusing)} advisory record(s) refuse installs")


@advisories_app.command("refresh")
def refresh_advisories(
    source: Annotated[
        Path | None,
        typer.Option(
            "--from",
            help="Read OSV records from this file or directory (an unpacked OSV export) "
            "instead of asking OSV's API.",
        ),
    ] = None,
    url: Annotated[
        str | None,
        typer.Option("--url", help="OSV's API root.", envvar="COMPAT_OSV_URL"),
    ] = None,
    package: Annotated[
        str, typer.Option("--package", help="The PyPI package whose records to keep.")
    ] = "litellm",
) -> None:
    """Fetch OSV's records of the package and keep its MAL- (malicious) ones in the cache."""
    from compat import advisories

    if source is not None and url is not None:
        from compat.errors import InputError

        raise InputError("give either --from or --url, not both")
    if source is not None:
        found = advisories.read_osv_files(source)
        origin = str(source)
    else:
        from compat.redact import strip_url_credentials

        found = advisories.query_osv(package, url=url)
        origin = strip_url_credentials(f"{(url or advisories.osv_url()).rstrip('/')}/v1/query")
    saved = advisories.save_refusing(found, package)
    for advisory in saved:
        err.print(f"saved {advisory.id}: {advisory.affected_text()}", markup=False)
    err.print(
        f"{len(found)} record(s) read from {origin}; {len(saved)} malicious-package record(s) "
        f"of {package} saved in {advisories.cache_dir()}",
        markup=False,
    )


def register(app: typer.Typer) -> None:
    app.add_typer(advisories_app)
