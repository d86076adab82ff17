"""`compat boot-proxy`: the proxy under test in the foreground, for poking at a cell by hand."""

from __future__ import annotations

import os
import time
from typing import Annotated

import typer
from rich.table import Table

from compat.commands.options import DEFAULT_MANIFEST_PATH, ManifestOption
from compat.commands.progress import status
from compat.commands.proxy_options import ProxyOptions, proxy_options
from compat.console import err, out
from compat.errors import CompatError, InputError
from compat.manifest import Manifest, load_manifest
from compat.proxy.environment import Upstream, credential_status
from compat.proxy.lifecycle import ProxySession

HIDDEN_KEY = "<hidden; use --show-key>"
WATCH_INTERVAL = 0.5


@proxy_options(log_file=True, boot_timeout_aliases=("--timeout",))
def boot_proxy(
    *,
    proxy: ProxyOptions,
    manifest: ManifestOption = DEFAULT_MANIFEST_PATH,
    show_key: Annotated[
        bool, typer.Option("--show-key", help="Print the proxy's master key.")
    ] = False,
) -> None:
    """Boot the emulator (if emulated) and the LiteLLM proxy; stay up until stopped.

    Ctrl-C (exit 0) and SIGTERM (exit 143) both stop the proxy and the emulator cleanly.
    """
    from compat.oracle import client_rules

    loaded = load_manifest(manifest)
    settings = proxy.settings()
    if proxy.upstream is Upstream.live:
        _check_live_credentials(loaded)
    try:
        with status("booting the LiteLLM proxy") as progress:
            rules = (
                client_rules(loaded, progress=progress)
                if proxy.upstream is Upstream.emulated
                else None
            )
            session = ProxySession(settings, progress=progress, emulator_rules=rules)
            session.start()
        try:
            _print_ready(session, loaded, show_key=show_key)
            _watch(session)
        finally:
            session.stop()
    except KeyboardInterrupt:
        # Ctrl-C is how a foreground proxy is meant to end: not an error.
        err.print("stopped")


def _check_live_credentials(manifest: Manifest) -> None:
    served = [p for p in manifest.provider_ids if p not in manifest.unserved_provider_ids]
    statuses = [credential_status(p, os.environ) for p in served]
    for s in statuses:
        if not s.ready:
            detail = s.problem or f"missing {', '.join(s.missing)}"
            err.print(f"warning: {s.provider}: live credentials incomplete ({detail})")
    if not any(s.ready for s in statuses):
        raise InputError(
            "--upstream live: no provider has credentials in the environment; "
            "see `compat doctor` for what each one needs"
        )


def _print_ready(session: ProxySession, manifest: Manifest, *, show_key: bool) -> None:
    settings = session.settings
    assert session.runtime is not None and session.log is not None
    seconds = f"{session.boot_seconds:.1f}" if session.boot_seconds is not None else "?"
    out.print(
        f"LiteLLM proxy ready at {session.base_url} "
        f"({session.runtime.describe()}, {settings.upstream.value} upstreams, "
        f"healthy after {seconds} s)"
    )
    if session.emulator is not None:
        out.print(f"emulator: {session.emulator.url}")
    kept = "" if settings.log_path else " (removed on exit)"
    out.print(f"log: {session.log.path}{kept}")
    key = session.master_key if show_key else HIDDEN_KEY
    example = manifest.proxy_alias(*(x.id for x in manifest.deployments()[-1]))
    out.print("\nPoint claude at it:")
    out.print(f"  export ANTHROPIC_BASE_URL={session.base_url}", markup=False)
    out.print(f"  export ANTHROPIC_AUTH_TOKEN={key}", markup=False)
    out.print(f"  claude --model {example}", markup=False)
    out.print(_alias_table(session, manifest))
    unknown = [a for a in session.aliases if a not in _manifest_aliases(manifest)]
    if unknown:
        out.print(f"other aliases in {settings.config}: {', '.join(unknown)}", markup=False)
    err.print("Press Ctrl-C to stop.")


def _manifest_aliases(manifest: Manifest) -> set[str]:
    return {manifest.proxy_alias(p.id, t.id) for p, t in manifest.deployments()}


def _alias_table(session: ProxySession, manifest: Manifest) -> Table:
    table = Table(title="Model aliases (--model)", title_justify="left")
    for column in ("Alias", "Provider", "Tier"):
        # Aliases are meant to be copied: wrap them, never cut them short.
        table.add_column(column, overflow="fold")
    served = set(session.aliases)
    for provider, tier in manifest.deployments():
        alias = manifest.proxy_alias(provider.id, tier.id)
        shown = alias if alias in served else f"[dim]{alias} (not in the config)[/dim]"
        table.add_row(shown, provider.name, tier.name)
    return table


def _watch(session: ProxySession) -> None:
    """Wait for a stop; a proxy that dies on its own ends the command with its log."""
    while session.alive():
        time.sleep(WATCH_INTERVAL)
    assert session.log is not None
    raise CompatError(
        f"the proxy exited on its own (status {session.exit_status()}); "
        f"last lines of its log:\n{session.log.quoted_tail()}"
    )


def register(app: typer.Typer) -> None:
    app.command("boot-proxy")(boot_proxy)
