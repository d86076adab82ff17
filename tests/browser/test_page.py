"""The rendered page in a real headless Chromium: loads clean, reads well, hides nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from browser.harness import PHONE, LoadedPage, OpenPage
from compat.outcome import Fail
from support.render_samples import (
    HOSTILE_ERROR,
    sample_known_issues,
    sample_matrix,
    sample_results,
    with_cell,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def failing_cells(page: Page) -> list[Locator]:
    return page.locator('#matrix td[data-status="fail"]').all()


def assert_clean(loaded: LoadedPage) -> None:
    assert loaded.console_errors == []
    assert loaded.page_errors == []
    assert loaded.requests == [loaded.url], "the page fetched something besides itself"


def test_sample_loads_clean_with_a_row_per_feature_and_a_column_per_provider(
    open_page: OpenPage,
):
    matrix = sample_matrix()
    loaded = open_page(matrix, results=[sample_results()])
    page = loaded.page
    assert_clean(loaded)
    assert (len(matrix.features), len(matrix.providers)) == (16, 9)
    expect(page.locator("#matrix thead th")).to_have_count(1 + len(matrix.providers))
    expect(page.locator("#matrix tbody tr")).to_have_count(len(matrix.features))
    for row in page.locator("#matrix tbody tr").all():
        expect(row.locator("td")).to_have_count(len(matrix.providers))
    assert page.locator("#matrix thead th").all_inner_texts()[1:] == [
        "Anthropic",
        "Bedrock (Invoke)",
        "Bedrock (Converse)",
        "Vertex AI",
        "Azure (Foundry)",
        "OpenAI",
        "Azure OpenAI",
        "Bedrock (Mantle)",
        "Vertex AI (GPT)",
    ]


def test_every_failing_cell_shows_its_error_on_hover_and_on_focus(open_page: OpenPage):
    matrix = sample_matrix()
    page = open_page(matrix).page
    errors = [
        o.error for row in matrix.features for o in row.providers.values() if isinstance(o, Fail)
    ]
    cells = failing_cells(page)
    assert len(cells) == len(errors) == 13
    for cell, error in zip(cells, errors, strict=True):
        tip = cell.locator(".tip")
        expect(tip).to_be_hidden()
        cell.hover()
        expect(tip).to_be_visible()
        expect(tip.locator(".tip-text")).to_have_text(error)
        page.mouse.move(0, 0)
        expect(tip).to_be_hidden()
        cell.locator(".g").focus()
        expect(tip).to_be_visible()
        expect(tip.locator(".tip-text")).to_have_text(error)
        page.keyboard.press("Escape")
        expect(tip).to_be_hidden()
        page.locator("h1").click()


def test_cells_are_reached_with_the_keyboard(open_page: OpenPage):
    page = open_page(sample_matrix()).page
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('table-wrap')")
    page.keyboard.press("Tab")
    first = page.locator("tbody tr").first.locator("td").first
    expect(first.locator(".g")).to_be_focused()
    expect(first.locator(".tip")).to_be_visible()
    expect(first.locator(".tip-text")).to_have_text("passed on every applicable tier")
    page.keyboard.press("Tab")
    expect(page.locator("tbody tr").first.locator("td").nth(1).locator(".g")).to_be_focused()
    expect(first.locator(".tip")).to_be_hidden()


def test_not_applicable_and_not_tested_cells_explain_themselves(open_page: OpenPage):
    matrix = sample_matrix()
    page = open_page(matrix).page
    na = page.locator('td[data-status="not_applicable"]').first
    na.hover()
    # The first in page order: the GPT column Vertex AI does not serve at all.
    expect(na.locator(".tip-text")).to_have_text(
        "Vertex AI does not offer OpenAI's GPT-5.6 family (Sol, Terra, Luna); its managed OpenAI "
        "models are the open-weight gpt-oss ones. The column becomes testable if Google adds them."
    )
    # A single feature's n/a on a Claude column gives that feature's own reason.
    row = [f.id for f in matrix.features].index("web_search")
    column = matrix.providers.index("bedrock_invoke")
    bedrock = page.locator("#matrix tbody tr").nth(row).locator("td").nth(column)
    bedrock.hover()
    expect(bedrock.locator(".tip-text")).to_have_text(
        "Amazon Bedrock does not offer Anthropic's server-side web search tool."
    )
    not_tested = page.locator('td[data-status="not_tested"]')
    not_tested.locator(".g").focus()
    expect(not_tested.locator(".tip-text")).to_have_text("no test ran for this combination")


def test_emulated_banner_present_for_emulated_and_absent_for_live(open_page: OpenPage):
    emulated = open_page(sample_matrix(upstream="emulated")).page
    expect(emulated.locator(".banner")).to_be_visible()
    expect(emulated.locator(".banner")).to_contain_text("Emulated upstream")
    live = open_page(sample_matrix(upstream="live"))
    assert_clean(live)
    expect(live.page.locator(".banner")).to_have_count(0)
    expect(live.page.locator(".meta")).to_contain_text("live")


def test_hostile_error_renders_as_text_inside_its_cell(open_page: OpenPage):
    matrix = with_cell(sample_matrix(), "tool_use", "azure", Fail(error=HOSTILE_ERROR))
    loaded = open_page(matrix)
    page = loaded.page
    assert_clean(loaded)
    assert page.evaluate("window.__pwned") is None
    assert page.evaluate("document.scripts.length") == 1
    expect(page.locator("b", has_text="bold")).to_have_count(0)
    rows = page.locator("tbody tr")
    hostile, neighbour = rows.nth(2).locator("td").nth(4), rows.nth(3).locator("td").nth(4)
    hostile_box, neighbour_box = hostile.bounding_box(), neighbour.bounding_box()
    assert hostile_box and neighbour_box
    assert abs(hostile_box["width"] - neighbour_box["width"]) < 1
    assert abs(hostile_box["height"] - neighbour_box["height"]) < 1
    hostile.hover()
    tip = hostile.locator(".tip")
    expect(tip.locator(".tip-text")).to_have_text(HOSTILE_ERROR.replace("\n", " "))
    tip_box = tip.bounding_box()
    assert tip_box and tip_box["width"] <= 24 * 16 + 1
    assert tip.evaluate("t => t.scrollWidth <= t.clientWidth"), "the tip overflows sideways"
    entry = page.locator("ol.failures li", has_text="Tool use · Azure (Foundry)")
    expect(entry).to_contain_text("<script>window.__pwned = 1</script>")
    entry_box, main_box = entry.bounding_box(), page.locator("main").bounding_box()
    assert entry_box and main_box
    assert entry_box["x"] + entry_box["width"] <= main_box["x"] + main_box["width"]
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_phone_width_scrolls_the_table_not_the_page(open_page: OpenPage, artifacts: Path):
    loaded = open_page(sample_matrix(), results=[sample_results()], viewport=PHONE)
    page = loaded.page
    assert_clean(loaded)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    wrap = page.locator(".table-wrap").first
    assert wrap.evaluate("w => w.scrollWidth > w.clientWidth"), "the table should scroll inside"
    first_column = page.locator("tbody th").first
    before = first_column.bounding_box()
    wrap.evaluate("w => { w.scrollLeft = w.scrollWidth; }")
    after = first_column.bounding_box()
    assert before and after and abs(before["x"] - after["x"]) < 1, "first column is not sticky"
    wrap.evaluate("w => { w.scrollLeft = 0; }")
    page.screenshot(path=artifacts / "matrix-phone.png")
    assert (artifacts / "matrix-phone.png").read_bytes().startswith(PNG_SIGNATURE)


def test_cell_link_opens_its_drill_down(open_page: OpenPage):
    page = open_page(sample_matrix(), results=[sample_results()]).page
    target = page.locator("#cell-thinking_with_tool_use--bedrock_converse")
    expect(target).not_to_be_visible()
    page.locator('a.g[href="#cell-thinking_with_tool_use--bedrock_converse"]').click()
    expect(target).to_be_visible()
    assert target.evaluate("d => d.open && d.parentElement.closest('details').open")
    expect(target.locator(".requests li code").last).to_have_text(
        "bedrock_converse: POST /model/opus-4-7/converse-stream → 400"
    )


def test_drill_down_opens_without_javascript(open_page: OpenPage):
    loaded = open_page(sample_matrix(), results=[sample_results()], javascript=False)
    page = loaded.page
    group = page.locator("details.ev-feature").nth(7)
    group.locator("summary").first.click()
    cell = group.locator("details.ev-cell").nth(2)
    cell.locator("summary").first.click()
    assert cell.evaluate("d => d.open")
    expect(cell.locator(".tier").nth(2)).to_contain_text("Invalid `signature` in `thinking` block")


def test_print_drops_sticky_columns_and_tooltips(open_page: OpenPage):
    page = open_page(sample_matrix()).page
    page.emulate_media(media="print")
    first_column = page.locator("tbody th").first
    assert first_column.evaluate("e => getComputedStyle(e).position") == "static"
    failing = page.locator('td[data-status="fail"]').first
    failing.locator(".g").focus()
    expect(failing.locator(".tip")).to_be_hidden()
    expect(page.locator("ol.failures li")).to_have_count(20)
    assert page.locator(".card").first.evaluate("e => getComputedStyle(e).boxShadow") == "none"


@pytest.mark.parametrize("upstream", ["emulated", "live"])
def test_screenshots_are_saved(open_page: OpenPage, artifacts: Path, tmp_path: Path, upstream: str):
    loaded = open_page(
        sample_matrix(upstream=upstream),
        results=[sample_results()],
        known_issues=sample_known_issues(tmp_path),
    )
    page = loaded.page
    assert_clean(loaded)
    full = artifacts / f"matrix-{upstream}-full.png"
    page.screenshot(path=full, full_page=True)
    page.locator('td[data-status="fail"]').nth(1).locator(".g").focus()
    tooltip = artifacts / f"matrix-{upstream}-tooltip.png"
    page.screenshot(path=tooltip)
    for shot in (full, tooltip):
        assert shot.read_bytes().startswith(PNG_SIGNATURE) and shot.stat().st_size > 10_000
