"""Processes a test starts: default signal dispositions, always killed when the test ends."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Iterator
from typing import Any

# A job started in the background by a non-interactive shell (`nohup make test &`) begins
# with SIGINT and SIGHUP ignored, and an ignored signal stays ignored across exec: without
# this, a child a test Ctrl-C's would never notice.
DEFAULT_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
KILL_WAIT_SECONDS = 30


def default_signals() -> None:
    """`preexec_fn`: the child starts as it would from an interactive terminal."""
    for signum in DEFAULT_SIGNALS:
        signal.signal(signum, signal.SIG_DFL)


def spawn(argv: list[str], **popen: Any) -> subprocess.Popen[Any]:
    """Popen in its own process group with default signal dispositions."""
    popen.setdefault("start_new_session", True)
    popen.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.Popen(argv, preexec_fn=default_signals, **popen)


def kill_group(process: subprocess.Popen[Any]) -> None:
    """SIGKILL the child's whole process group (it leads one) and reap it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=KILL_WAIT_SECONDS)


@contextlib.contextmanager
def spawned(argv: list[str], **popen: Any) -> Iterator[subprocess.Popen[Any]]:
    """`spawn`, and the group killed on the way out whatever the test did."""
    process = spawn(argv, **popen)
    try:
        yield process
    finally:
        kill_group(process)


class Children:
    """Every process a test started through it, killed at teardown even when the test failed."""

    def __init__(self) -> None:
        self._started: list[subprocess.Popen[Any]] = []

    def spawn(self, argv: list[str], **popen: Any) -> subprocess.Popen[Any]:
        process = spawn(argv, **popen)
        self._started.append(process)
        return process

    def kill_all(self) -> None:
        for process in self._started:
            kill_group(process)

    close = kill_all
    """So `contextlib.closing(children)` works."""
