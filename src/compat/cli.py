"""The `compat` command line: a thin typer app; each command lives in `compat.commands`."""

from __future__ import annotations

import importlib
import sys

import typer
from rich.text import Text

from compat.console import err
from compat.errors import CompatError
from compat.signals import install_stop_signals, stopping_signal

app = typer.Typer(
    name="compat",
    help=(
        "Which Claude Code features work through a LiteLLM proxy, on which upstream "
        "provider, for which model tier."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)


def _print_version(value: bool) -> None:
    if value:
        from compat import __version__

        typer.echo(f"compat {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        help="Print compat's version and exit.",
        callback=_print_version,
        is_eager=True,
    ),
) -> None:
    """Which Claude Code features work through a LiteLLM proxy, per provider and model tier."""


# One module per command; each exposes `register(app)`. Only working commands are listed.
COMMAND_MODULES: tuple[str, ...] = (
    "build",
    "proxy_config",
    "boot_proxy",
    "doctor",
    "install",
    "emulate",
    "resolve",
    "diff",
    "run",
    "publish",
    "render",
    "oracle",
    "advisories",
    "cache",
    "history",
    "bisect",
)

for _name in COMMAND_MODULES:
    importlib.import_module(f"compat.commands.{_name}").register(app)


def _click_errors() -> tuple[type[Exception], ...]:
    """ClickException classes: typer ≥ 0.2x raises its vendored copy, older ones click's."""
    import click

    classes: list[type[Exception]] = [click.ClickException]
    try:
        from typer._click.exceptions import ClickException as VendoredClickException
    except ImportError:
        pass
    else:
        classes.append(VendoredClickException)
    return tuple(classes)


CLICK_ERRORS = _click_errors()


def usage_error_text(exc: Exception) -> str:
    """A click error as one line, like compat's own: what is wrong, then where help is."""
    text = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    # typer validates choices with pydantic, whose messages start with this noise.
    text = text.replace("Value error, ", "")
    ctx = getattr(exc, "ctx", None)
    return f"{text} (see `{ctx.command_path} --help`)" if ctx is not None else text


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point: user errors become one message and an exit code."""
    install_stop_signals()
    try:
        # Without standalone mode, click returns a `typer.Exit(code)` as the call's value.
        code = app(args=argv, prog_name="compat", standalone_mode=False)
    except CompatError as exc:
        err.print(Text.assemble(("error: ", "bold red"), str(exc)))
        return exc.exit_code
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        err.print("aborted")
        return 130
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130
    except SystemExit as exc:
        if (signum := stopping_signal(exc)) is not None:
            err.print(f"stopped by {signum.name}")
        raise
    except CLICK_ERRORS as exc:  # usage errors arrive here without standalone mode
        err.print(Text.assemble(("error: ", "bold red"), usage_error_text(exc)))
        return exc.exit_code
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
