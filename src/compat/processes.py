"""Children that die with compat: a parent-death signal for every process compat starts."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
from collections.abc import Callable

# <linux/prctl.h>; no library wraps prctl for the standard library's subprocess.
PR_SET_PDEATHSIG = 1

_libc: ctypes.CDLL | None = None


def _prctl() -> Callable[..., int] | None:
    global _libc
    if not sys.platform.startswith("linux"):
        return None
    if _libc is None:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    return _libc.prctl


def die_with_parent(signum: signal.Signals = signal.SIGKILL) -> Callable[[], None] | None:
    """A `preexec_fn` that makes the child receive `signum` when compat dies, even by SIGKILL.

    The kernel sends the signal when the thread that forked the child exits, so children are
    started from the thread that lives as long as they should (the main or event-loop
    thread). SIGKILL by default: with compat gone nobody is left to escalate a slow stop.
    None where the platform has no such signal (the caller then relies on its own stop).
    """
    prctl = _prctl()
    if prctl is None:
        return None
    parent = os.getpid()
    return lambda: end_with_parent(parent, signum)


def end_with_parent(parent: int, signum: signal.Signals = signal.SIGKILL) -> None:
    """In a child of `parent`: receive `signum` when it dies (see `die_with_parent`)."""
    prctl = _prctl()
    if prctl is None:
        return
    prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0)
    # The parent may have died between fork and prctl; then nothing will ever signal us.
    if os.getppid() != parent:
        os.kill(os.getpid(), signum)
