"""`compat install litellm`: pre-warm the cached venv for a LiteLLM version."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from compat.commands.progress import status
from compat.console import err, out
from compat.errors import InputError
from compat.images.litellm_image import ImageSource
from compat.proxy.runtime import RuntimeKind
from compat.proxy.venv import (
    DEFAULT_LITELLM_VERSION,
    check_release,
    ensure_litellm,
    installed_binary,
    is_release_version,
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
def install_litellm(
    version: LitellmVersionOption = DEFAULT_LITELLM_VERSION,
    runtime: Annotated[
        RuntimeKind,
        typer.Option(
            "--runtime", help="local: a cached venv; docker: an image on this Docker daemon."
        ),
    ] = RuntimeKind.local,
    source: Annotated[
        ImageSource,
        typer.Option(
            "--source",
            help="docker only. auto: LiteLLM's published image if it can be pulled, else "
            "compat-litellm:VERSION built here; registry: only pull; build: only build.",
        ),
    ] = ImageSource.auto,
) -> None:
    """Install `litellm[proxy,google]==VERSION` into its cached venv, or get its Docker image;
    print the binary's path or the image's reference."""
    if not is_release_version(version):
        raise InputError(f"--version: {version!r} is not a LiteLLM release version (e.g. 1.106.2)")
    if runtime is RuntimeKind.docker:
        _install_litellm_image(version, source)
        return
    if source is not ImageSource.auto:
        raise InputError("--source: only for --runtime docker")
    if installed_binary(version) is None:
        # Refused before the spinner starts: no "installing …" line for a release never begun.
        check_release(version, note=lambda line: err.print(line, markup=False))
        with status(f"installing LiteLLM {version}") as progress:
            binary = ensure_litellm(version, progress=progress)
        err.print(f"installed LiteLLM {version}")
    else:
        binary = ensure_litellm(version)
    out.print(str(binary))


def _install_litellm_image(version: str, source: ImageSource) -> None:
    from compat.images.litellm_image import ensure_litellm_image, find_litellm_image
    from compat.proxy.docker_runtime import connect

    client = connect()
    try:
        if find_litellm_image(client, version) is None or source is not ImageSource.auto:
            check_release(version, note=lambda line: err.print(line, markup=False))
        with status(f"getting LiteLLM {version}'s image") as progress:
            started = time.monotonic()
            reference = ensure_litellm_image(client, version, source=source, progress=progress)
        err.print(f"LiteLLM {version}: {reference} ({time.monotonic() - started:.1f} s)")
    finally:
        client.close()
    out.print(reference)


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


@install_app.command("image")
def install_image(
    tag: Annotated[str, typer.Option("--tag", help="Tag for the image.")] = "compat:local",
    claude_code_version: Annotated[
        str, typer.Option("--claude-code-version", help="Claude Code release baked in.")
    ] = "2.1.329",
    base: Annotated[
        str | None,
        typer.Option(
            "--base",
            help="Base image [default: compat-debian:bookworm, debootstrapped here once].",
        ),
    ] = None,
    checkout: Annotated[
        Path, typer.Option("--checkout", help="The compat checkout whose Dockerfile to build.")
    ] = Path("."),
) -> None:
    """Build compat's own image from a checkout's Dockerfile; print its tag."""
    from compat.images.project_image import build_project_image
    from compat.proxy.docker_runtime import connect

    client = connect()
    try:
        with status(f"building {tag}") as progress:
            started = time.monotonic()
            build_project_image(
                checkout.resolve(),
                tag=tag,
                claude_code_version=claude_code_version,
                base=base,
                client=client,
                progress=progress,
            )
        err.print(f"built {tag} ({time.monotonic() - started:.1f} s)")
    finally:
        client.close()
    out.print(tag)


def register(app: typer.Typer) -> None:
    app.add_typer(install_app)
