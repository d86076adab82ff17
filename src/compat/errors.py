"""User-facing errors: one clear paragraph and an exit code, never a traceback."""

from __future__ import annotations


class CompatError(Exception):
    """An error the user can act on; the CLI prints `str(self)` and exits with `exit_code`."""

    exit_code: int = 1

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class InputError(CompatError):
    """Bad input (a file, a field, a flag): exit code 2."""

    exit_code = 2
