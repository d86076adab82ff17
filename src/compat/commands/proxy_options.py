"""The proxy options of every command that boots one (`boot-proxy`, `run`, `publish`)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import BaseModel, ConfigDict, ValidationError

from compat.errors import InputError
from compat.proxy.config import DEFAULT_PROXY_CONFIG
from compat.proxy.environment import Upstream
from compat.proxy.lifecycle import DEFAULT_TIMEOUT_SECONDS, ProxySettings
from compat.proxy.runtime import DEFAULT_IMAGE, RuntimeKind
from compat.proxy.venv import DEFAULT_LITELLM_VERSION

Command = TypeVar("Command", bound=Callable[..., Any])

PARAMETER = "proxy"
"""The parameter of a command that receives its ProxyOptions."""
LITELLM_VERSION_ENV = "COMPAT_LITELLM_VERSION"
LITELLM_VERSION_HELP = "LiteLLM release (local runtime: its cached venv; docker: the default tag)"
BOOT_TIMEOUT_HELP = "Seconds to wait for the proxy to become healthy"

# ProxySettings fields whose flag is not `--<field>`.
FLAG_OF_FIELD = {"timeout": "--boot-timeout", "log_path": "--log-file"}
# ProxyOptions fields whose ProxySettings field has another name.
SETTING_OF_OPTION = {"boot_timeout": "timeout", "log_file": "log_path"}


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


class ProxyOptions(BaseModel):
    """The proxy flags of one command line; `settings()` is the ProxySettings they describe."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    runtime: RuntimeKind = RuntimeKind.local
    upstream: Upstream = Upstream.emulated
    litellm_version: str | None = DEFAULT_LITELLM_VERSION
    """None: the command resolves the release itself (`compat publish`)."""
    image: str | None = None
    tag: str | None = None
    port: int | None = None
    config: Path = DEFAULT_PROXY_CONFIG
    boot_timeout: float = DEFAULT_TIMEOUT_SECONDS
    log_file: Path | None = None

    def settings(self, **resolved: object) -> ProxySettings:
        """The ProxySettings of these flags, with what the command resolved itself on top.

        An unset --litellm-version stands for ProxySettings' default release.
        """
        given = {SETTING_OF_OPTION.get(name, name): value for name, value in self}
        given = {name: value for name, value in given.items() if value is not None}
        return proxy_settings(**(given | resolved))


def _flags(
    *, resolves_litellm: str | None, log_file: bool, boot_timeout_aliases: tuple[str, ...]
) -> dict[str, tuple[object, object]]:
    """Each ProxyOptions field's typer annotation and default, for one command."""
    defaults = {name: field.default for name, field in ProxyOptions.model_fields.items()}
    if resolves_litellm is None:
        litellm_version: object = Annotated[
            str,
            typer.Option(
                "--litellm-version", help=f"{LITELLM_VERSION_HELP}.", envvar=LITELLM_VERSION_ENV
            ),
        ]
    else:
        # An ambient $COMPAT_LITELLM_VERSION must not stop this command's own choice.
        litellm_version = Annotated[
            str | None,
            typer.Option(
                "--litellm-version", help=f"{LITELLM_VERSION_HELP} [default: {resolves_litellm}]."
            ),
        ]
        defaults["litellm_version"] = None
    alias_note = "".join(
        f" ({alias}: its former name, still accepted)" for alias in boot_timeout_aliases
    )
    flags: dict[str, object] = {
        "runtime": Annotated[
            RuntimeKind,
            typer.Option("--runtime", help="Run LiteLLM as a local process or in Docker."),
        ],
        "upstream": Annotated[
            Upstream,
            typer.Option(
                "--upstream",
                help="emulated: compat's provider emulator; live: real providers, credentials "
                "from your environment (see `compat doctor`).",
            ),
        ],
        "litellm_version": litellm_version,
        "image": Annotated[
            str | None,
            typer.Option(
                "--image",
                help=f"Docker image [default: {DEFAULT_IMAGE}:v<version> if this machine has "
                "it or can pull it, else compat-litellm:<version>, built here].",
            ),
        ],
        "tag": Annotated[
            str | None,
            typer.Option(
                "--tag",
                help="Docker image tag [default: v followed by --litellm-version, or the "
                "version for compat-litellm].",
            ),
        ],
        "port": Annotated[
            int | None,
            typer.Option("--port", help="Proxy port on 127.0.0.1 [default: a free one]."),
        ],
        "config": Annotated[Path, typer.Option("--config", help="LiteLLM proxy config.")],
        "boot_timeout": Annotated[
            float,
            typer.Option(
                "--boot-timeout", *boot_timeout_aliases, help=f"{BOOT_TIMEOUT_HELP}{alias_note}."
            ),
        ],
    }
    if log_file:
        flags["log_file"] = Annotated[
            Path | None,
            typer.Option("--log-file", help="Keep the proxy's log here [default: a temp file]."),
        ]
    return {name: (annotation, defaults[name]) for name, annotation in flags.items()}


def proxy_options(
    *,
    resolves_litellm: str | None = None,
    log_file: bool = False,
    boot_timeout_aliases: tuple[str, ...] = (),
) -> Callable[[Command], Command]:
    """Give a typer command the proxy flags in place of its `proxy: ProxyOptions` parameter.

    The command gets them checked (a bad value is one InputError naming its flag) before it
    runs. `resolves_litellm` says how a command that picks the release itself does so when
    --litellm-version is not given; `log_file` adds --log-file; `boot_timeout_aliases` are
    further names of --boot-timeout.
    """
    flags = _flags(
        resolves_litellm=resolves_litellm,
        log_file=log_file,
        boot_timeout_aliases=boot_timeout_aliases,
    )

    def decorate(command: Command) -> Command:
        signature = inspect.signature(command, eval_str=True)
        if PARAMETER not in signature.parameters:
            raise TypeError(f"{command.__name__} takes no `{PARAMETER}` parameter")
        clash = set(flags) & set(signature.parameters)
        if clash:
            raise TypeError(f"{command.__name__} already has {', '.join(sorted(clash))}")
        parameters: list[inspect.Parameter] = []
        for parameter in signature.parameters.values():
            if parameter.name != PARAMETER:
                parameters.append(parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY))
                continue
            parameters += [
                inspect.Parameter(
                    name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default
                )
                for name, (annotation, default) in flags.items()
            ]

        @functools.wraps(command)
        def with_proxy_options(**values: Any) -> Any:
            options = ProxyOptions(**{name: values.pop(name) for name in flags})
            options.settings()
            return command(**values, **{PARAMETER: options})

        with_proxy_options.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
        with_proxy_options.__annotations__ = {p.name: p.annotation for p in parameters}
        return with_proxy_options  # type: ignore[return-value]

    return decorate
