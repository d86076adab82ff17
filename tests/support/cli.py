"""`compat` as a user runs it: `python -m compat.cli` in a child process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Collection, Mapping
from typing import Protocol

COMPAT = (sys.executable, "-m", "compat.cli")
TIMEOUT_SECONDS = 60.0

Arg = str | os.PathLike[str]


def compat_command(*args: Arg) -> list[str]:
    """The argv of `compat ARGS`, for a caller that starts and watches the process itself."""
    return [*COMPAT, *map(os.fspath, args)]


def run_compat(
    *args: Arg,
    env: Mapping[str, str] | None = None,
    without: Collection[str] = (),
    cwd: Arg | None = None,
    input: str | None = None,
    timeout: float | None = TIMEOUT_SECONDS,
) -> subprocess.CompletedProcess[str]:
    """`compat ARGS` to completion, stdout and stderr captured as text, any exit code.

    The child gets this process's environment less the names in `without`, with `env` set
    on top; `input` is written to its stdin (else stdin is inherited).
    """
    environ = {name: value for name, value in os.environ.items() if name not in without}
    return subprocess.run(
        compat_command(*args),
        env={**environ, **(env or {})},
        cwd=cwd,
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


class CompatCli(Protocol):
    """The type of the `compat_cli` fixture: `run_compat`."""

    def __call__(
        self,
        *args: Arg,
        env: Mapping[str, str] | None = None,
        without: Collection[str] = (),
        cwd: Arg | None = None,
        input: str | None = None,
        timeout: float | None = TIMEOUT_SECONDS,
    ) -> subprocess.CompletedProcess[str]: ...
