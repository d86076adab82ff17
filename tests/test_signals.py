"""SIGTERM during an asyncio run cancels it like Ctrl-C: every `finally` runs, then exit 143."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import asyncio, os, signal, sys
    from compat.signals import install_stop_signals, run_stoppable

    install_stop_signals()

    async def main():
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            await asyncio.sleep(30)
        finally:
            print("cleaned up", flush=True)

    try:
        run_stoppable(main())
    except SystemExit as exc:
        print("exit", exc.code, flush=True)
        # The handler is back in place for what follows the loop.
        print("after", signal.getsignal(signal.SIGTERM).__name__, flush=True)
        raise
    """
)


def test_sigterm_cancels_the_run_and_exits_143() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 143, done.stderr
    assert done.stdout.splitlines() == ["cleaned up", "exit 143", "after _stop_on_signal"]
    assert "Traceback" not in done.stderr and "never retrieved" not in done.stderr


def test_an_ignored_sigterm_stays_ignored() -> None:
    # `nohup`-style callers that ignore a signal keep it ignored inside the run.
    script = SCRIPT.replace(
        "install_stop_signals()", "signal.signal(signal.SIGTERM, signal.SIG_IGN)"
    )
    script = script.replace("await asyncio.sleep(30)", "await asyncio.sleep(0.5)")
    script = script.replace(
        'print("after", signal.getsignal(signal.SIGTERM).__name__, flush=True)', ""
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["cleaned up"]


def test_without_a_signal_the_result_comes_back() -> None:
    from compat.signals import run_stoppable

    async def answer() -> int:
        await asyncio.sleep(0)
        return 42

    before = signal.getsignal(signal.SIGTERM)
    assert run_stoppable(answer()) == 42
    assert signal.getsignal(signal.SIGTERM) is before
