"""`compat emulate`: serve every emulated provider in the foreground until stopped."""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path
from typing import Annotated

import typer

from compat.console import err, out

_PROJECT_ID = "compat-emulated"


def client_environment(url: str, service_account: Path) -> dict[str, str]:
    """The environment a client sets to reach each emulated provider at `url`."""
    return {
        # Anthropic API (the anthropic SDKs and claude read these).
        "ANTHROPIC_BASE_URL": url,
        "ANTHROPIC_API_KEY": "emulated",
        # Azure AI Foundry: https://platform.claude.com/docs/en/build-with-claude/claude-in-microsoft-foundry
        "ANTHROPIC_FOUNDRY_BASE_URL": f"{url}/anthropic",
        "ANTHROPIC_FOUNDRY_API_KEY": "emulated",
        # Vertex AI: the service account's token_uri already points at the emulator.
        "ANTHROPIC_VERTEX_BASE_URL": f"{url}/v1",
        "ANTHROPIC_VERTEX_PROJECT_ID": _PROJECT_ID,
        "CLOUD_ML_REGION": "us-east5",
        "GOOGLE_APPLICATION_CREDENTIALS": str(service_account),
        # Bedrock: the AWS SDKs' per-service endpoint override; keys only need the right shape.
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": url,
        "ANTHROPIC_BEDROCK_BASE_URL": url,
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "AKIAEMULATEDEXAMPLE0",
        "AWS_SECRET_ACCESS_KEY": "emulated-secret-access-key",
    }


def emulate(
    port: Annotated[
        int,
        typer.Option(
            "--port", "-p", min=0, max=65535, help="Port to listen on; 0 picks a free one."
        ),
    ] = 0,
    host: Annotated[
        str,
        typer.Option("--host", help="Loopback address to bind: 127.0.0.1, ::1 or localhost."),
    ] = "127.0.0.1",
    service_account: Annotated[
        Path | None,
        typer.Option(
            "--service-account",
            help="Where to write the Vertex service-account JSON; default: a temporary file.",
        ),
    ] = None,
) -> None:
    """Serve every emulated provider on a loopback port until stopped.

    Ctrl-C (exit 130) and SIGTERM (exit 143) both stop it cleanly.
    """
    # Imported here: the emulator (starlette, uvicorn) is heavy for every other command.
    from compat.emulator.server import EmulatorServer

    server = EmulatorServer(host=host, port=port)
    with tempfile.TemporaryDirectory(prefix="compat-emulate-") as scratch, server:
        account = server.write_service_account(
            service_account or Path(scratch) / "service-account.json", project_id=_PROJECT_ID
        )
        err.print(f"compat emulator listening on {server.url} (Ctrl-C or SIGTERM stops it)")
        err.print("Environment for clients:")
        for name, value in client_environment(server.url, account).items():
            out.print(f"{name}={value}")
        try:
            threading.Event().wait()
        finally:
            # Ctrl-C (130) or SIGTERM/SIGHUP (128 + signal) travel on to the exit status.
            err.print("emulator stopped")


def register(app: typer.Typer) -> None:
    """Add `compat emulate` to the CLI."""
    app.command("emulate")(emulate)
