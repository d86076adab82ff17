"""SIGTERM and SIGHUP stop compat the way Ctrl-C does: every `with` and `finally` unwinds."""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Coroutine
from types import FrameType
from typing import Any, TypeVar

T = TypeVar("T")

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


def run_stoppable(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)`, where SIGTERM and SIGHUP cancel `main` the way Ctrl-C does.

    A handler that raises wherever the main thread happens to be can land inside
    `subprocess.Popen` while a child starts, or inside a task, and leave a half-made child
    or a "Task exception was never retrieved". Cancelling the main task instead lets every
    `finally` run in order; the stop then surfaces as SystemExit(128 + signum).
    """
    received: list[int] = []

    async def guarded() -> T:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        ours = [s for s in STOP_SIGNALS if signal.getsignal(s) is _stop_on_signal]

        def stop(signum: int) -> None:
            received.append(signum)
            task.cancel()

        for signum in ours:
            loop.add_signal_handler(signum, stop, signum)
        try:
            return await main
        finally:
            for signum in ours:
                loop.remove_signal_handler(signum)
                # asyncio leaves SIG_DFL behind; the stop must keep working after the loop.
                signal.signal(signum, _stop_on_signal)

    try:
        return asyncio.run(guarded())
    except asyncio.CancelledError:
        if received:
            raise SystemExit(128 + received[0]) from None
        raise
