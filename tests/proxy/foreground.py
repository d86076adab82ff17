"""Drive `compat boot-proxy` as a user would: start it, wait for ready, Ctrl-C it."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

from support.cli import compat_command
from support.processes import kill_group, spawn

READY = re.compile(r"LiteLLM proxy ready at (http://127\.0\.0\.1:\d+)")


class ForegroundProxy:
    """A `compat boot-proxy` child whose output is captured whole."""

    def __init__(self, *args: str, cwd: Path, env: dict[str, str] | None = None) -> None:
        self.process = spawn(
            compat_command("boot-proxy", *args),
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._stdout: list[str] = []
        self._stderr: list[str] = []
        self._readers = [
            threading.Thread(target=self._read, args=(stream, sink), daemon=True)
            for stream, sink in (
                (self.process.stdout, self._stdout),
                (self.process.stderr, self._stderr),
            )
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _read(stream: object, sink: list[str]) -> None:
        for line in stream:  # type: ignore[attr-defined]
            sink.append(line)

    @property
    def stdout(self) -> str:
        return "".join(self._stdout)

    @property
    def stderr(self) -> str:
        return "".join(self._stderr)

    def wait_ready(self, timeout: float) -> str:
        """The proxy's base URL once printed; fails with the output if it never is."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = READY.search(self.stdout)
            if found and "Press Ctrl-C" in self.stderr:
                return found.group(1)
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"not ready:\nstdout:\n{self.stdout}\nstderr:\n{self.stderr}")

    def finish(self, timeout: float = 60) -> int:
        """Wait for exit and for every output line to be read; returns the exit code."""
        code = self.process.wait(timeout=timeout)
        for reader in self._readers:
            reader.join(timeout=5)
        return code

    def interrupt(self, timeout: float = 60) -> int:
        """Ctrl-C, as in a terminal; returns the exit code."""
        self.process.send_signal(signal.SIGINT)
        return self.finish(timeout)

    def close(self) -> None:
        """Ctrl-C if still running; then nothing of its process group may survive the test."""
        if self.process.poll() is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.interrupt(timeout=30)
        kill_group(self.process)
        for reader in self._readers:
            reader.join(timeout=5)
