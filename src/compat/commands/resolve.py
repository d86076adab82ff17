"""`compat resolve`: which Claude Code and LiteLLM versions to test today."""

from __future__ import annotations

import os
from enum import StrEnum
from typing import Annotated

import typer

from compat.console import err, out
from compat.resolve import GITHUB_API, NPM_REGISTRY

resolve_app = typer.Typer(
    name="resolve",
    help="Pick the versions under test: print the bare version on stdout, why on stderr.",
    no_args_is_help=True,
)


class ChannelChoice(StrEnum):
    stable = "stable"
    latest = "latest"


class SourceChoice(StrEnum):
    github = "github"
    pypi = "pypi"


@resolve_app.command("claude-code")
def resolve_claude_code(
    min_age: Annotated[
        str | None,
        typer.Option(
            "--min-age",
            help="Only releases published at least this long ago (3d, 36h, 90m, 0); "
            "without it, the `latest` dist-tag.",
        ),
    ] = None,
    registry: Annotated[
        str, typer.Option("--registry", help="npm registry base URL.", envvar="COMPAT_NPM_REGISTRY")
    ] = NPM_REGISTRY,
) -> None:
    """Print the @anthropic-ai/claude-code version to test."""
    from compat import resolve
    from compat.durations import parse_duration

    age = parse_duration(min_age) if min_age is not None else None
    resolved = resolve.resolve_claude_code(registry=registry, min_age=age)
    err.print(resolved.explanation)
    out.print(resolved.version)


@resolve_app.command("litellm")
def resolve_litellm(
    source: Annotated[
        SourceChoice,
        typer.Option(
            "--source",
            help="`github`: the newest release tag of a channel; `pypi`: the newest PyPI "
            "release that installs here (its dependencies resolve on this index).",
        ),
    ] = SourceChoice.github,
    channel: Annotated[
        ChannelChoice | None,
        typer.Option(
            "--channel",
            help="With --source github: `stable` (vX.Y.Z-stable tags, the default) or "
            "`latest` (plain vX.Y.Z tags).",
        ),
    ] = None,
    include_prereleases: Annotated[
        bool,
        typer.Option(
            "--include-prereleases",
            help="With --source pypi: consider release candidates and dev releases too.",
        ),
    ] = False,
    api_url: Annotated[
        str, typer.Option("--api-url", help="GitHub API base URL.", envvar="COMPAT_GITHUB_API")
    ] = GITHUB_API,
) -> None:
    """Print the LiteLLM version to test: a GitHub release tag, or PyPI's newest installable."""
    from compat.errors import InputError

    if source is SourceChoice.pypi:
        if channel is not None:
            raise InputError("--channel applies to --source github only (tags have channels)")
        from compat.commands.progress import status
        from compat.proxy.venv import PACKAGE, newest_installable
        from compat.pypi import fetch_project

        notes: list[str] = []
        with status("finding the newest installable LiteLLM release") as progress:
            project = fetch_project(PACKAGE, note=notes.append)
            version = newest_installable(
                project, notes.append, include_prereleases=include_prereleases, progress=progress
            )
        for line in notes:
            err.print(line, markup=False)
        out.print(version)
        return
    if include_prereleases:
        raise InputError("--include-prereleases applies to --source pypi only")
    from compat import resolve

    resolved = resolve.resolve_litellm(
        channel=(channel or ChannelChoice.stable).value,
        api_url=api_url,
        token=os.environ.get("GITHUB_TOKEN") or None,
    )
    err.print(resolved.explanation)
    out.print(resolved.version)


def register(app: typer.Typer) -> None:
    app.add_typer(resolve_app)
