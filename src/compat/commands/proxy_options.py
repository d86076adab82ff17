"""Options of the commands that boot a proxy (`boot-proxy`, `run`, `publish`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from compat.errors import InputError
from compat.proxy.config import DEFAULT_PROXY_CONFIG
from compat.proxy.environment import Upstream
from compat.proxy.lifecycle import DEFAULT_TIMEOUT_SECONDS, ProxySettings
from compat.proxy.runtime import DEFAULT_IMAGE, RuntimeKind
from compat.proxy.venv import DEFAULT_LITELLM_VERSION

RuntimeOption = Annotated[
    RuntimeKind, typer.Option("--runtime", help="Run LiteLLM as a local process or in Docker.")
]
UpstreamOption = Annotated[
    Upstream,
    typer.Option(
        "--upstream",
        help="emulated: compat's provider emulator; live: real providers, credentials "
        "from your environment (see `compat doctor`).",
    ),
]
LitellmVersionOption = Annotated[
    str,
    typer.Option(
        "--litellm-version",
        help="LiteLLM release (local runtime: its cached venv; docker: the default tag).",
        envvar="COMPAT_LITELLM_VERSION",
    ),
]
ImageOption = Annotated[str, typer.Option("--image", help="Docker image.")]
TagOption = Annotated[
    str | None, typer.Option("--tag", help="Docker image tag [default: v<litellm-version>].")
]
PortOption = Annotated[
    int | None, typer.Option("--port", help="Proxy port on 127.0.0.1 [default: a free one].")
]
ConfigOption = Annotated[Path, typer.Option("--config", help="LiteLLM proxy config.")]
BootTimeoutOption = Annotated[
    float,
    typer.Option("--boot-timeout", help="Seconds to wait for the proxy to become healthy."),
]

DEFAULTS = {
    "runtime": RuntimeKind.local,
    "upstream": Upstream.emulated,
    "litellm_version": DEFAULT_LITELLM_VERSION,
    "image": DEFAULT_IMAGE,
    "config": DEFAULT_PROXY_CONFIG,
    "timeout": DEFAULT_TIMEOUT_SECONDS,
}


# ProxySettings fields whose flag is not `--<field>`.
FLAG_OF_FIELD = {"timeout": "--boot-timeout", "log_path": "--log-file"}


def proxy_settings(**values: object) -> ProxySettings:
    """ProxySettings from CLI values; a bad value is one InputError naming the flag."""
    try:
        return ProxySettings.model_validate(values)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else ""
            flag = FLAG_OF_FIELD.get(field, "--" + field.replace("_", "-"))
            # pydantic prefixes a validator's own message with "Value error, ".
            problems.append(f"{flag}: {error['msg'].removeprefix('Value error, ')}")
        raise InputError("; ".join(problems)) from None
