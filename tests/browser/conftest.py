"""A real headless Chromium (Debian's package) driven by Playwright, and pages loaded into it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Request, sync_playwright

from browser.harness import DESKTOP, LoadedPage, OpenFile, OpenPage
from compat.known_issues import KnownIssues
from compat.matrix import Matrix
from compat.outcome import ResultsFile
from compat.render import write_page
from support.render_samples import REPO_ROOT

CHROMIUM = Path(os.environ.get("COMPAT_CHROMIUM", "/usr/bin/chromium"))
# Keep the browser offline and quiet: no updater, sync or other background fetches.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = REPO_ROOT / "test-artifacts"


# Module scope, not session: the sync API keeps its event loop marked running while it is open,
# which would break later tests that call asyncio.run().
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: `apt-get install -y chromium` (.ci/run does), "
            "or point COMPAT_CHROMIUM at a Chromium binary"
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def open_file(browser: Browser) -> Iterator[OpenFile]:
    """Load a file in a fresh browser context, recording what it logs and requests."""
    contexts = []

    def load(
        path: Path, *, viewport: dict[str, int] = DESKTOP, javascript: bool = True
    ) -> LoadedPage:
        context = browser.new_context(viewport=viewport, java_script_enabled=javascript)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        loaded = LoadedPage(page=page, url=path.as_uri())

        def on_console(message: ConsoleMessage) -> None:
            if message.type in ("error", "warning"):
                loaded.console_errors.append(f"{message.type}: {message.text}")

        def on_request(request: Request) -> None:
            loaded.requests.append(request.url)

        page.on("console", on_console)
        page.on("pageerror", lambda error: loaded.page_errors.append(str(error)))
        page.on("request", on_request)
        page.goto(loaded.url, wait_until="load")
        return loaded

    yield load
    for context in contexts:
        context.close()


@pytest.fixture
def open_page(open_file: OpenFile, tmp_path: Path) -> OpenPage:
    """Render a matrix with `write_page` and load the file in a fresh browser context."""
    sites = 0

    def load(
        matrix: Matrix,
        *,
        results: list[ResultsFile] | None = None,
        known_issues: KnownIssues | None = None,
        viewport: dict[str, int] = DESKTOP,
        javascript: bool = True,
    ) -> LoadedPage:
        nonlocal sites
        out_dir = tmp_path / f"site-{sites}"
        sites += 1
        path = write_page(matrix, out_dir, results=results, known_issues=known_issues)
        return open_file(path, viewport=viewport, javascript=javascript)

    return load


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
