"""The proxy's log file: every line redacted before it is written, and its tail for errors."""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from compat.redact import REDACTED, redact

__all__ = ["REDACTED", "ProxyLog", "Redactor"]

# Shorter values are too likely to match ordinary text; no real key is this short.
MIN_SECRET_LENGTH = 6
TAIL_LINES = 20
# LiteLLM colours its banner; escape codes make the file and quoted tails hard to read.
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# Uvicorn's line when the app's startup raised. LiteLLM 1.106.2 then keeps running without
# ever serving, so this line is the only early sign that waiting longer is pointless.
STARTUP_FAILED = "Application startup failed"


class Redactor:
    """Replaces every known secret value in a text with a placeholder."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self.add(*secrets)

    def add(self, *secrets: str) -> None:
        self._secrets.update(s for s in secrets if len(s) >= MIN_SECRET_LENGTH)

    def __call__(self, text: str) -> str:
        return redact(text, self._secrets)


class ProxyLog:
    """An append-only log file that only ever receives redacted lines."""

    def __init__(self, path: Path, redact: Redactor) -> None:
        self.path = path
        self._redact = redact
        self._lock = threading.Lock()
        self.startup_failure: str | None = None
        """The line that said the proxy's startup failed, once one did."""
        path.parent.mkdir(parents=True, exist_ok=True)
        # One boot per file: a previous run's lines would confuse the quoted tail.
        path.write_text("", encoding="utf-8")

    def write(self, line: str) -> None:
        """Append one line (a trailing newline is added when missing)."""
        text = self._redact(_ANSI_ESCAPE.sub("", line.rstrip("\n")) + "\n")
        with self._lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(text)
        if STARTUP_FAILED in text and self.startup_failure is None:
            self.startup_failure = text.strip()

    def pump(self, stream: IO[bytes] | Iterable[bytes]) -> threading.Thread:
        """Copy a byte stream into the log line by line on a daemon thread until it ends."""
        thread = threading.Thread(
            target=self._copy, args=(stream,), name=f"log-pump:{self.path.name}", daemon=True
        )
        thread.start()
        return thread

    def _copy(self, stream: IO[bytes] | Iterable[bytes]) -> None:
        for line in _lines(stream):
            self.write(line)

    def tail(self, lines: int = TAIL_LINES) -> str:
        """The last `lines` lines, redacted again in case the file was written by someone else."""
        try:
            with self.path.open(encoding="utf-8", errors="replace") as handle:
                last = deque(handle, maxlen=lines)
        except FileNotFoundError:
            return ""
        return self._redact("".join(last)).rstrip("\n")

    def quoted_tail(self, lines: int = TAIL_LINES) -> str:
        """The tail indented as a quote, for error messages."""
        quoted = [f"  | {line}" for line in self.tail(lines).splitlines()]
        return "\n".join(quoted) or "  | (the log is empty)"


def _lines(stream: IO[bytes] | Iterable[bytes]) -> Iterator[str]:
    """Decode chunks into whole lines; a docker log stream splits lines across chunks."""
    pending = b""
    for chunk in stream:
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for raw in complete:
            yield raw.decode("utf-8", errors="replace")
    if pending:
        yield pending.decode("utf-8", errors="replace")
