"""The append-only results journal: each finished cell is on disk before the next one starts."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import TextIO

from pydantic import ValidationError

from compat.errors import CompatError
from compat.outcome import TierResult


class Journal:
    """`compat-results.jsonl`: one TierResult per line, flushed and fsync'd as it completes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: TextIO | None = None

    def read(self) -> list[TierResult]:
        """Results already recorded; a torn last line (a crash mid-write) is ignored."""
        if not self.path.exists():
            return []
        results: list[TierResult] = []
        lines = self.path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                results.append(TierResult.model_validate_json(line))
            except ValidationError as exc:
                if number == len(lines):
                    break  # the write that was cut short; that cell simply runs again
                raise CompatError(
                    f"{self.path}:{number}: not a result record ({exc.errors()[0]['msg']}); "
                    "remove the file or the line to resume"
                ) from None
        return results

    def open(self, *, fresh: bool) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if fresh:
                self.path.unlink(missing_ok=True)
            else:
                self._drop_torn_tail()
            self._handle = self.path.open("a", encoding="utf-8")
        except OSError as exc:
            raise CompatError(f"{self.path}: cannot write results: {exc.strerror or exc}") from None

    def _drop_torn_tail(self) -> None:
        if not self.path.exists():
            return
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            keep = data.rfind(b"\n") + 1
            with self.path.open("r+b") as handle:
                handle.truncate(keep)

    def append(self, result: TierResult) -> None:
        if self._handle is None:
            raise RuntimeError("journal is not open")
        try:
            self._handle.write(
                json.dumps(result.model_dump(mode="json"), ensure_ascii=False) + "\n"
            )
            self._handle.flush()
            os.fsync(self._handle.fileno())
        except OSError as exc:
            raise CompatError(f"{self.path}: cannot write results: {exc.strerror or exc}") from None

    def close(self) -> None:
        """Release the file; a line whose append already failed is not reported twice."""
        handle, self._handle = self._handle, None
        if handle is not None:
            # A failed append (disk full) leaves its line in the buffer, and closing would
            # retry it and raise again from a `finally`, burying the error already raised.
            with contextlib.suppress(OSError):
                handle.close()
