"""The gateway-contract table in a real headless Chromium: reachable, explained, drawn."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from browser.harness import OpenPage
from compat.outcome import Fail
from support.render_samples import sample_matrix, sample_results

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_each_rule_sits_with_the_guide_s_sentence_and_a_cell_per_route(open_page: OpenPage):
    matrix = sample_matrix()
    assert matrix.gateway_contract is not None
    page = open_page(matrix, results=[sample_results()]).page
    table = page.locator("#contract")
    # The checks run on the Claude routes only: five columns, where the matrix has nine.
    routes = matrix.contract_routes()
    assert len(routes) == 5 < len(matrix.providers)
    expect(table.locator("thead th")).to_have_count(1 + len(routes))
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(len(matrix.gateway_contract.checks))
    for row, check in zip(rows.all(), matrix.gateway_contract.checks, strict=True):
        expect(row.locator("th blockquote a")).to_have_attribute("href", check.guide)
        expect(row.locator("th blockquote")).to_have_text(check.quote)
        expect(row.locator("td")).to_have_count(len(routes))


def test_every_failing_contract_cell_shows_its_error_when_focused(open_page: OpenPage):
    matrix = sample_matrix()
    assert matrix.gateway_contract is not None
    page = open_page(matrix, results=[sample_results()]).page
    errors = [
        o.error
        for row in matrix.gateway_contract.checks
        for o in row.providers.values()
        if isinstance(o, Fail)
    ]
    cells = page.locator('#contract td[data-status="fail"]').all()
    assert len(cells) == len(errors) == 7
    for cell, error in zip(cells, errors, strict=True):
        tip = cell.locator(".tip")
        expect(tip).to_be_hidden()
        cell.locator(".g").focus()
        expect(cell.locator(".g")).to_be_focused()
        expect(tip).to_be_visible()
        expect(tip.locator(".tip-text")).to_have_text(error)
        page.keyboard.press("Escape")
        expect(tip).to_be_hidden()


def test_tab_walks_from_the_contract_region_into_its_cells(open_page: OpenPage):
    page = open_page(sample_matrix(), results=[sample_results()]).page
    region = page.locator("#gateway-contract .table-wrap")
    region.focus()
    page.keyboard.press("Tab")
    # The first focusable thing after the region is the first rule's guide link, then its cells.
    expect(page.locator("#contract tbody tr").first.locator("th a")).to_be_focused()
    page.keyboard.press("Tab")
    first = page.locator("#contract tbody tr").first.locator("td").first
    expect(first.locator(".g")).to_be_focused()
    expect(first.locator(".tip")).to_be_visible()


def test_a_contract_cell_opens_its_drill_down(open_page: OpenPage):
    page = open_page(sample_matrix(), results=[sample_results()]).page
    failing = page.locator('#contract td[data-status="fail"]').first
    href = failing.locator("a.g").get_attribute("href")
    assert href is not None and href.startswith("#cell-contract_")
    failing.locator("a.g").click()
    drill_down = page.locator(f"details{href}")
    expect(drill_down).to_have_attribute("open", "")
    expect(drill_down).to_contain_text("haiku-4-5")


def test_the_contract_table_screenshot_is_saved(open_page: OpenPage, artifacts: Path):
    page = open_page(sample_matrix(), results=[sample_results()]).page
    section = page.locator("#gateway-contract")
    section.scroll_into_view_if_needed()
    page.locator('#contract td[data-status="fail"]').first.locator(".g").focus()
    shot = artifacts / "contract-table.png"
    section.screenshot(path=shot)
    assert shot.read_bytes().startswith(PNG_SIGNATURE) and shot.stat().st_size > 10_000
