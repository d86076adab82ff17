"""`compat install litellm`: pre-warm the cached venv for a LiteLLM version."""

from __future__ import annotations

from typing import Annotated

import typer

from compat.commands.progress import status
from compat.console import err, out
from compat.proxy.venv import (
    DEFAULT_LITELLM_VERSION,
    check_release,
    ensure_litellm,
    installed_binary,
)

install_app = typer.Typer(
    name="install",
    help="Install pinned tools into compat's cache so later runs start offline and fast.",
    no_args_is_help=True,
)

LitellmVersionOption = Annotated[
    str,
    typer.Option(
        "--version",
        help="LiteLLM release to install into its own cached venv.",
        envvar="COMPAT_LITELLM_VERSION",
    ),
]


@install_app.command("litellm")
def install_litellm(version: LitellmVersionOption = DEFAULT_LITELLM_VERSION) -> None:
    """Install `litellm[proxy,google]==VERSION` into its cached venv; print the binary's path."""
    if installed_binary(version) is None:
        # Refused before the spinner starts: no "installing …" line for a release never begun.
        check_release(version, note=lambda line: err.print(line, markup=False))
        with status(f"installing LiteLLM {version}") as progress:
            binary = ensure_litellm(version, progress=progress)
        err.print(f"installed LiteLLM {version}")
    else:
        binary = ensure_litellm(version)
    out.print(str(binary))


@install_app.command("claude-code")
def install_claude(
    version: Annotated[
        str | None,
        typer.Option("--version", help="Claude Code release to install, e.g. 2.1.329."),
    ] = None,
    min_age: Annotated[
        str | None,
        typer.Option(
            "--min-age",
            help="Instead of --version: the newest release at least this old (3d, 36h, 0).",
        ),
    ] = None,
    registry: Annotated[
        str | None, typer.Option("--registry", help="npm registry to resolve --min-age against.")
    ] = None,
) -> None:
    """npm-install @anthropic-ai/claude-code into its per-version cache; print the binary."""
    from compat.claude_install import install_claude_code
    from compat.errors import InputError

    if version is not None and min_age is not None:
        raise InputError("give either --version or --min-age, not both")
    if version is None:
        from compat.durations import parse_duration
        from compat.resolve import NPM_REGISTRY, resolve_claude_code

        resolved = resolve_claude_code(
            registry=registry or NPM_REGISTRY,
            min_age=parse_duration(min_age) if min_age is not None else None,
        )
        err.print(resolved.explanation)
        version = resolved.version
    with status(f"installing Claude Code {version}"):
        binary = install_claude_code(version)
    out.print(str(binary))


def register(app: typer.Typer) -> None:
    app.add_typer(install_app)
