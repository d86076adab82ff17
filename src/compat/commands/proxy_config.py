"""`compat proxy-config`: generate proxy_config.yaml from the manifest, or check it is current."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from compat.commands.options import DEFAULT_MANIFEST_PATH, ManifestOption
from compat.console import err
from compat.errors import CompatError
from compat.files import read_text, write_atomic
from compat.manifest import load_manifest
from compat.proxy.config import build_proxy_config, render_proxy_config


def proxy_config(
    manifest: ManifestOption = DEFAULT_MANIFEST_PATH,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write here instead of printing to stdout."),
    ] = None,
    check: Annotated[
        bool,
        typer.Option("--check", help="Only compare --output with what would be generated."),
    ] = False,
) -> None:
    """Generate the LiteLLM config: one alias per (provider, tier) in the manifest."""
    text = render_proxy_config(build_proxy_config(load_manifest(manifest)))
    if check:
        if output is None:
            raise CompatError("--check needs --output (the file to compare)", exit_code=2)
        if read_text(output, "proxy config") != text:
            raise CompatError(
                f"{output} is out of date with {manifest}; "
                f"regenerate it with `compat proxy-config -o {output}`"
            )
        err.print(f"{output} matches {manifest}")
        return
    if output is None:
        typer.echo(text, nl=False)
        return
    write_atomic(output, text)
    err.print(f"wrote {output}")


def register(app: typer.Typer) -> None:
    app.command("proxy-config")(proxy_config)
