"""`compat doctor`: which live credentials are present (names only) and which tools are found."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from pydantic import BaseModel
from rich.table import Table

from compat import claude_install
from compat.commands.options import DEFAULT_MANIFEST_PATH, ManifestOption
from compat.console import out
from compat.errors import InputError
from compat.manifest import load_manifest
from compat.proxy.environment import LIVE_REQUIREMENTS, CredentialStatus, credential_status
from compat.proxy.venv import DEFAULT_LITELLM_VERSION, cache_root, installed_versions, uv_binary

if TYPE_CHECKING:
    import docker

VERSION_TIMEOUT_SECONDS = 15
DAEMON_TIMEOUT_SECONDS = 5


class ToolReport(BaseModel):
    """One tool's version, or why none was found."""

    name: str
    version: str | None
    detail: str


def command_version(argv: list[str]) -> str | None:
    """The first output line of `argv` (e.g. `node --version`), or None if it cannot run."""
    if shutil.which(argv[0]) is None:
        return None
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=VERSION_TIMEOUT_SECONDS,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0].strip() if done.returncode == 0 and lines else None


def _program(name: str, argv: list[str]) -> ToolReport:
    version = command_version(argv)
    where = shutil.which(argv[0])
    detail = where if where else "not on PATH"
    return ToolReport(name=name, version=version, detail=detail)


def _litellm() -> ToolReport:
    versions = installed_versions()
    if not versions:
        return ToolReport(
            name="LiteLLM",
            version=None,
            detail=f"no cached venv; `compat install litellm` installs {DEFAULT_LITELLM_VERSION}",
        )
    detail = f"cached in {cache_root()}"
    if DEFAULT_LITELLM_VERSION not in versions:
        detail += f"; the default, {DEFAULT_LITELLM_VERSION}, is not installed"
    return ToolReport(name="LiteLLM", version=", ".join(versions), detail=detail)


def _claude_code() -> ToolReport:
    """Cached Claude Code releases, listed like LiteLLM's, and the binary `compat run` picks."""
    versions = claude_install.installed_versions()
    try:
        used = f"`compat run` uses {claude_install.find_claude(None)}"
    except InputError:
        used = "`compat install claude-code` installs one"
    if not versions:
        on_path = command_version(["claude", "--version"])
        return ToolReport(
            name="Claude Code",
            version=on_path.split()[0] if on_path else None,
            detail=f"no cached install; {used}",
        )
    return ToolReport(
        name="Claude Code",
        version=", ".join(versions),
        detail=f"cached in {claude_install.cache_root()}; {used}",
    )


def _docker() -> list[ToolReport]:
    # Imported here: the docker SDK (with requests) would cost every command's start-up.
    import docker
    import docker.errors

    client_report = _program("docker (client)", ["docker", "--version"])
    try:
        client = docker.from_env(timeout=DAEMON_TIMEOUT_SECONDS)
        try:
            daemon = ToolReport(
                name="docker (daemon)",
                version=str(client.version().get("Version", "unknown")),
                detail=f"answering at {client.api.base_url}",
            )
            images = _litellm_images(client)
        finally:
            client.close()
    except docker.errors.DockerException:
        daemon = ToolReport(name="docker (daemon)", version=None, detail="not answering")
        return [client_report, daemon]
    return [client_report, daemon, images]


def _litellm_images(client: docker.DockerClient) -> ToolReport:
    """The LiteLLM images `--runtime docker` can run without pulling or building."""
    from compat.images.litellm_image import LOCAL_REPOSITORY
    from compat.proxy.runtime import DEFAULT_IMAGE

    tags = sorted(
        tag
        for repository in (LOCAL_REPOSITORY, DEFAULT_IMAGE)
        for image in client.images.list(name=repository)
        for tag in image.tags
    )
    return ToolReport(
        name="LiteLLM images",
        version=", ".join(tags) or None,
        detail="compat install litellm --runtime docker --version V gets one",
    )


def tool_reports() -> list[ToolReport]:
    """Claude Code and LiteLLM (cached installs), uv, node and docker, in that order."""
    return [
        _claude_code(),
        _litellm(),
        ToolReport(
            name="uv", version=command_version([uv_binary(), "--version"]), detail=uv_binary()
        ),
        _program("node", ["node", "--version"]),
        *_docker(),
    ]


def credentials_table(statuses: list[CredentialStatus], names: Mapping[str, str]) -> Table:
    table = Table(title="Live credentials (values never shown)", title_justify="left")
    for column in ("Provider", "Ready", "Set", "Missing"):
        table.add_column(column)
    for s in statuses:
        ready = "[green]yes[/green]" if s.ready else "[red]no[/red]"
        missing = ", ".join(s.missing) or "-"
        if s.problem:
            missing = f"{missing}; {s.problem}" if s.missing else s.problem
        present = ", ".join(s.present) or "-"
        table.add_row(names.get(s.provider, s.provider), ready, present, missing)
    return table


def tools_table(reports: list[ToolReport]) -> Table:
    table = Table(title="Tools", title_justify="left")
    for column in ("Tool", "Version", "Where"):
        table.add_column(column)
    for r in reports:
        version = r.version if r.version else "[red]not found[/red]"
        table.add_row(r.name, version, r.detail)
    return table


def doctor(manifest: ManifestOption = DEFAULT_MANIFEST_PATH) -> None:
    """Show, per provider, whether live credentials are set, and the tool versions found."""
    try:
        loaded = load_manifest(manifest)
        # A column not applicable as a whole has no deployment, so no credentials to check.
        names = {p.id: p.name for p in loaded.providers if p.id not in loaded.unserved_provider_ids}
    except InputError:
        # Useful outside a checkout too: fall back to the providers compat knows how to wire.
        if Path(manifest).exists():
            raise
        names = {provider_id: provider_id for provider_id in LIVE_REQUIREMENTS}
    statuses = [credential_status(provider_id, os.environ) for provider_id in names]
    out.print(credentials_table(statuses, names))
    out.print(tools_table(tool_reports()))


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor)
