"""The timeline page in a real headless Chromium: offline, its flips lead to the evidence."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from browser.harness import PHONE, LoadedPage, OpenFile
from compat.history.model import HistoryFile
from compat.render.timeline import write_timeline
from support.timeline_samples import (
    CONVERSE_ERROR,
    CONVERSE_FLIP,
    INSTALL_REASON,
    REFUSED_REASON,
    STREAM_ERROR,
    TOOL_FLIP,
    big_history,
    sample_history,
    sample_timeline_issues,
    write_release_pages,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NARROW = {"width": PHONE["width"], "height": 600}
"""A phone's width, and less height than the table needs, so it scrolls both ways."""


@dataclass(frozen=True)
class Site:
    """A history's output directory: the timeline and each release's page and results."""

    root: Path
    history: HistoryFile

    @property
    def timeline(self) -> Path:
        return self.root / "timeline.html"


@pytest.fixture
def site(tmp_path: Path) -> Site:
    root = tmp_path / "history"
    history = sample_history()
    write_release_pages(history, root, timeline_href="../../timeline.html")
    (root / "history.json").write_text(history.model_dump_json(indent=2), encoding="utf-8")
    write_timeline(history, root / "timeline.html", known_issues=sample_timeline_issues(tmp_path))
    return Site(root, history)


def assert_clean(loaded: LoadedPage) -> None:
    assert loaded.console_errors == []
    assert loaded.page_errors == []
    assert loaded.requests == [loaded.url], "the page fetched something besides itself"


def square(page: Page, history: HistoryFile, cell: tuple[str, str, str], release: str) -> Locator:
    row = next(i for i, c in enumerate(history.cells) if c.key == cell)
    return page.locator(f"#row-{row} > td").nth(history.releases.index(release))


def header(page: Page, history: HistoryFile, release: str) -> Locator:
    return page.locator("table.timeline thead th").nth(history.releases.index(release) + 1)


def test_timeline_loads_clean_offline_with_every_release_and_cell(open_file: OpenFile, site: Site):
    loaded = open_file(site.timeline)
    page = loaded.page
    assert_clean(loaded)
    expect(page.locator("table.timeline thead th")).to_have_count(9)
    expect(page.locator("table.timeline tr[id^=row-]")).to_have_count(8)
    expect(page.locator("td.flip")).to_have_count(3)
    expect(page.locator("#summary-line")).to_contain_text("3 of 8 cells changed status")
    expect(page.locator(".banner")).to_contain_text("Emulated upstream")
    expect(page.locator("#issue-converse-thinking-signature .badge-fixed-in")).to_have_text(
        "fixed in 1.82.4"
    )


def test_every_link_resolves_to_a_file_the_history_wrote(open_file: OpenFile, site: Site):
    page = open_file(site.timeline).page
    targets = page.locator("a[href]").evaluate_all("links => links.map(a => a.href)")
    files = {unquote(urlsplit(t).path) for t in targets if not t.startswith(site.timeline.as_uri())}
    assert files, "the timeline links no release"
    for path in files:
        assert Path(path).is_file(), path
        assert Path(path).is_relative_to(site.root)
    results = square(page, site.history, CONVERSE_FLIP, "1.82.4").locator("a.res")
    linked = Path(unquote(urlsplit(results.evaluate("a => a.href")).path))
    assert json.loads(linked.read_text())["versions"]["litellm"] == "1.82.4"


def test_the_flip_square_is_marked_and_opens_the_releases_drill_down(
    open_file: OpenFile, site: Site
):
    loaded = open_file(site.timeline)
    page = loaded.page
    flip = square(page, site.history, CONVERSE_FLIP, "1.82.4")
    expect(flip).to_be_visible()
    expect(flip).to_have_attribute("data-flip", "up")
    expect(flip.locator(".arrow")).to_have_text("▲")
    # The bold left border: an inset shadow in the flip's colour.
    assert "inset" in flip.evaluate("td => getComputedStyle(td).boxShadow")
    unchanged = square(page, site.history, CONVERSE_FLIP, "1.83.0")
    assert unchanged.evaluate("td => getComputedStyle(td).boxShadow") == "none"
    expect(unchanged.locator("a")).to_have_count(0)
    flip.locator("a.g").click()
    page.wait_for_url("**/releases/1.82.4/index.html#cell-thinking_with_tool_use--bedrock_converse")
    target = page.locator("#cell-thinking_with_tool_use--bedrock_converse")
    expect(target).to_be_visible()
    assert target.evaluate("d => d.open && d.parentElement.closest('details').open")
    assert target.evaluate("d => d.matches(':target')")
    # The release page agrees with the timeline: the tier that flipped passes there.
    expect(target.locator(".tier", has_text="opus-4-7")).to_contain_text("pass")
    expect(page.locator("#matrix")).to_be_visible()
    assert loaded.console_errors == [] and loaded.page_errors == []
    page.locator("#timeline-link").click()
    page.wait_for_url(site.timeline.as_uri())
    expect(page.locator("table.timeline")).to_be_visible()


def test_the_regression_links_its_release_and_the_summary_links_both(
    open_file: OpenFile, site: Site
):
    page = open_file(site.timeline).page
    down = square(page, site.history, TOOL_FLIP, "1.83.0")
    expect(down).to_have_attribute("data-flip", "down")
    expect(down.locator(".arrow")).to_have_text("▼")
    entry = page.locator("ol.flips li", has_text="tool_use · anthropic · haiku-4-5")
    expect(entry).to_contain_text("pass at 1.82.4 → ❌ fail at 1.83.0")
    entry.locator("a.flip-cell").click()
    assert down.evaluate("td => td.matches(':target')")
    entry.locator("a.flip-page").click()
    page.wait_for_url("**/releases/1.83.0/index.html#cell-tool_use--anthropic")
    target = page.locator("#cell-tool_use--anthropic")
    expect(target).to_be_visible()
    expect(target.locator(".tier", has_text="haiku-4-5")).to_contain_text("tool_use block lost")


def test_columns_that_did_not_run_show_their_reasons(open_file: OpenFile, site: Site):
    loaded = open_file(site.timeline)
    page = loaded.page
    failed = header(page, site.history, "1.81.0")
    refused = header(page, site.history, "1.82.0")
    expect(failed.locator(".rel-state")).to_have_text("install failed")
    expect(refused.locator(".rel-state")).to_have_text("refused")
    # A hatched column, unlike the ones that ran.
    assert "repeating-linear-gradient" in failed.evaluate(
        "t => getComputedStyle(t).backgroundImage"
    )
    assert (
        header(page, site.history, "1.81.3").evaluate("t => getComputedStyle(t).backgroundImage")
        == "none"
    )
    tip = failed.locator(".tip")
    expect(tip).to_be_hidden()
    failed.locator(".rel-head").hover()
    expect(tip).to_be_visible()
    expect(tip.locator(".tip-text")).to_have_text(INSTALL_REASON)
    page.mouse.move(0, 0)
    expect(tip).to_be_hidden()
    refused.locator(".rel-head").focus()
    expect(refused.locator(".tip .tip-text")).to_have_text(REFUSED_REASON)
    page.keyboard.press("Escape")
    expect(refused.locator(".tip")).to_be_hidden()
    notes = page.locator("ol.notes li")
    expect(notes).to_have_count(2)
    expect(notes.nth(0).locator(".note-reason")).to_have_text(INSTALL_REASON)
    expect(notes.nth(1).locator(".note-reason")).to_have_text(REFUSED_REASON)
    failed.locator("a.note-ref").click()
    assert notes.nth(0).evaluate("li => li.matches(':target')")
    expect(notes.nth(0)).to_be_in_viewport()
    assert loaded.console_errors == [] and loaded.page_errors == []


def test_an_unchanged_square_tells_its_status_and_error_within_the_box(
    open_file: OpenFile, site: Site
):
    page = open_file(site.timeline).page
    failing = square(
        page, site.history, ("basic_messaging_streaming", "bedrock_invoke", "haiku-4-5"), "1.83.2"
    )
    tip = failing.locator(".tip")
    failing.hover()
    expect(tip).to_be_visible()
    expect(tip.locator(".tip-text")).to_have_text(STREAM_ERROR)
    expect(tip.locator(".tip-status")).to_have_text("fail")
    # The last column of the last row: the tip opens up and leftwards, whole inside the box.
    box = page.locator(".tl-wrap").bounding_box()
    shown = tip.bounding_box()
    assert box and shown
    assert box["x"] <= shown["x"] and shown["x"] + shown["width"] <= box["x"] + box["width"]
    assert box["y"] <= shown["y"] and shown["y"] + shown["height"] <= box["y"] + box["height"]
    page.mouse.move(0, 0)
    expect(tip).to_be_hidden()
    failing.locator(".g").focus()
    expect(tip).to_be_visible()
    page.keyboard.press("Escape")
    expect(tip).to_be_hidden()


def test_tooltips_show_without_javascript(open_file: OpenFile, site: Site):
    page = open_file(site.timeline, javascript=False).page
    failing = square(page, site.history, CONVERSE_FLIP, "1.80.5")
    failing.hover()
    expect(failing.locator(".tip")).to_be_visible()
    expect(failing.locator(".tip .tip-text")).to_have_text(CONVERSE_ERROR)
    refused = header(page, site.history, "1.82.0")
    refused.locator(".rel-head").hover()
    expect(refused.locator(".tip .tip-text")).to_have_text(REFUSED_REASON)


def test_header_and_first_column_stay_put_at_a_narrow_viewport(
    open_file: OpenFile, site: Site, artifacts: Path
):
    loaded = open_file(site.timeline, viewport=NARROW)
    page = loaded.page
    assert_clean(loaded)
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]
    wrap = page.locator(".tl-wrap")
    wrap.scroll_into_view_if_needed()
    page.evaluate(
        "window.scrollBy(0, document.querySelector('.tl-wrap').getBoundingClientRect().top)"
    )
    assert wrap.evaluate("w => w.scrollWidth > w.clientWidth"), "the table should scroll sideways"
    assert wrap.evaluate("w => w.scrollHeight > w.clientHeight"), "the table should scroll down"
    head = header(page, site.history, "1.80.0")
    corner = page.locator("table.timeline th.corner")
    first_column = page.locator("#row-0 > th")
    head_before, corner_before = head.bounding_box(), corner.bounding_box()
    wrap.evaluate("w => { w.scrollTop = w.scrollHeight; }")
    head_after = head.bounding_box()
    assert head_before and head_after and abs(head_before["y"] - head_after["y"]) < 1, (
        "the header is not sticky"
    )
    expect(page.locator("#row-7 > th")).to_be_in_viewport()
    wrap.evaluate("w => { w.scrollTop = 0; }")
    column_before = first_column.bounding_box()
    wrap.evaluate("w => { w.scrollLeft = w.scrollWidth; }")
    column_after, corner_after = first_column.bounding_box(), corner.bounding_box()
    assert column_before and column_after and abs(column_before["x"] - column_after["x"]) < 1, (
        "the first column is not sticky"
    )
    assert corner_before and corner_after
    assert abs(corner_before["x"] - corner_after["x"]) < 1
    assert abs(corner_before["y"] - corner_after["y"]) < 1
    expect(header(page, site.history, "1.83.2")).to_be_in_viewport()
    wrap.evaluate("w => { w.scrollLeft = 0; }")
    page.screenshot(path=artifacts / "timeline-phone.png")
    assert (artifacts / "timeline-phone.png").read_bytes().startswith(PNG_SIGNATURE)


def test_forty_releases_by_150_cells_stay_responsive(
    open_file: OpenFile, browser: Browser, tmp_path: Path
):
    path = write_timeline(big_history(), tmp_path / "timeline.html")
    loaded = open_file(path)
    page = loaded.page
    assert_clean(loaded)
    load_ms = page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
    assert load_ms < 8000, f"the page took {load_ms:.0f} ms to load"
    page.locator(".tl-wrap").scroll_into_view_if_needed()
    # Paint time of ten tooltips shown, in the renderer's own CPU time, so a busy machine does
    # not count. With a positioned box per square, or one paint layer for the whole table, it
    # is four to eight times what it is (about 110 ms on a slow runner).
    browser.start_tracing(page=page, categories=["devtools.timeline"])
    page.evaluate(
        """async () => {
          const frame = () => new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
          for (let row = 0; row < 10; row++) {
            const square = document.querySelectorAll(`#row-${row} > td .g`)[row + 2];
            square.focus({ preventScroll: true });
            await frame();
          }
        }"""
    )
    trace = json.loads(browser.stop_tracing())
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    paint_ms = sum(
        e.get("tdur", e.get("dur", 0)) / 1000
        for e in events
        if e.get("ph") == "X" and e.get("name") == "Paint"
    )
    assert paint_ms < 300, f"showing 10 tooltips took {paint_ms:.0f} ms of painting"
    expect(page.locator("#row-9 .tip").nth(11)).to_be_visible()
    wrap = page.locator(".tl-wrap")
    before = page.locator("#row-0 > th").bounding_box()
    wrap.evaluate("w => { w.scrollLeft = w.scrollWidth; w.scrollTop = w.scrollHeight; }")
    expect(page.locator("#row-149 > td").last).to_be_in_viewport()
    after = page.locator("#row-149 > th").bounding_box()
    assert before and after and abs(after["x"] - before["x"]) < 1, "the first column moved"


def test_full_page_screenshot_is_saved(open_file: OpenFile, site: Site, artifacts: Path):
    loaded = open_file(site.timeline)
    page = loaded.page
    assert_clean(loaded)
    full = artifacts / "timeline-full.png"
    page.screenshot(path=full, full_page=True)
    page.locator("#timeline-heading").evaluate("h => h.scrollIntoView()")
    square(page, site.history, CONVERSE_FLIP, "1.82.4").locator("a.g").focus()
    tooltip = artifacts / "timeline-tooltip.png"
    page.screenshot(path=tooltip)
    for shot in (full, tooltip):
        assert shot.read_bytes().startswith(PNG_SIGNATURE) and shot.stat().st_size > 10_000
