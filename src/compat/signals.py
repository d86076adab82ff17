"""SIGTERM and SIGHUP stop compat the way Ctrl-C does: as an exception that unwinds `with`."""

from __future__ import annotations

import signal
import threading
from types import FrameType

STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


def _stop_on_signal(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def install_stop_signals() -> None:
    """SIGTERM and SIGHUP (a CI cancel, a closed terminal) arrive as SystemExit(128 + signum).

    So `with` blocks stop the proxy, the emulator and every claude child in order. Python
    allows handlers only in the main thread; elsewhere the atexit hooks are what is left. A
    signal someone else handles, or the caller chose to ignore (`nohup` ignores SIGHUP),
    is left as it is.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in STOP_SIGNALS:
        if signal.getsignal(signum) is signal.SIG_DFL:
            signal.signal(signum, _stop_on_signal)


def stopping_signal(exc: BaseException) -> signal.Signals | None:
    """The signal a SystemExit from `install_stop_signals` stands for, else None."""
    code = getattr(exc, "code", None) if isinstance(exc, SystemExit) else None
    if isinstance(code, int) and 128 < code < 128 + signal.NSIG:
        try:
            return signal.Signals(code - 128)
        except ValueError:
            return None
    return None
