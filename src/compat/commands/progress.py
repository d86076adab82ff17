"""A one-line spinner on stderr for long steps (pip installs, image pulls, boots)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.markup import escape

from compat.console import err

STATUS_WIDTH = 100


@contextmanager
def status(title: str) -> Iterator[Callable[[str], None]]:
    """Show `title` with a spinner; the yielded callback replaces the detail line under it."""
    if not err.is_terminal:
        # No spinner in CI logs or pipes: the title once; pip's chatter stays in its log.
        err.print(f"{title} …", markup=False)
        yield lambda _detail: None
        return
    with err.status(escape(title)) as spinner:

        def update(detail: str) -> None:
            # Only the latest line matters; long pip lines would wrap and scroll.
            spinner.update(f"{escape(title)}: {escape(detail[:STATUS_WIDTH])}")

        yield update
