"""What the browser tests share: viewports and a page loaded with its logs and requests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from playwright.sync_api import Page

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@dataclass
class LoadedPage:
    """A rendered page open in the browser, with everything it logged and requested."""

    page: Page
    url: str
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


OpenFile = Callable[..., LoadedPage]
"""`open_file(path, viewport=..., javascript=...)`: a file loaded in a fresh context."""
OpenPage = Callable[..., LoadedPage]
"""`open_page(matrix, results=..., known_issues=..., ...)`: a rendered matrix, loaded."""
