"""The timeline page as markup: flips, link targets, non-ran columns, escaping, known issues."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from compat.history.model import CellHistory, CellPoint, HistoryFile, ReleaseColumn
from compat.render import render_html, write_page
from compat.render.html import _anchor
from compat.render.timeline import TIP_ERROR_LIMIT, render_timeline, write_timeline
from compat.render.view import EMULATED_HEADLINE
from render.test_html import Element, assert_self_contained, parse
from support.render_samples import HOSTILE_ERROR, sample_matrix
from support.timeline_samples import (
    CONVERSE_ERROR,
    CONVERSE_FLIP,
    INSTALL_REASON,
    RAN,
    REFUSED_REASON,
    STREAM_ERROR,
    TOOL_FLIP,
    big_history,
    sample_history,
    sample_timeline_issues,
)

CONVERSE_PAGE = "releases/1.82.4/index.html#cell-thinking_with_tool_use--bedrock_converse"
TOOL_PAGE = "releases/1.83.0/index.html#cell-tool_use--anthropic"


def timeline(doc: Element) -> Element:
    return doc.one("table", "timeline")


def body_rows(doc: Element) -> list[Element]:
    """The cell rows, without the feature headings."""
    return [tr for tr in timeline(doc).all("tr") if tr.attrs.get("id", "").startswith("row-")]


def square(doc: Element, cell: tuple[str, str, str], release: str) -> Element:
    """The square of `cell` at `release`."""
    history = sample_history()
    row = next(i for i, c in enumerate(history.cells) if c.key == cell)
    column = history.releases.index(release)
    return body_rows(doc)[row].all("td")[column]


def flip_squares(doc: Element) -> list[Element]:
    return [td for td in timeline(doc).all("td") if "flip" in td.classes]


def by_id(doc: Element, element_id: str) -> Element:
    return next(e for e in doc.all() if e.attrs.get("id") == element_id)


def hrefs(doc: Element) -> list[str]:
    return [a.attrs["href"] for a in doc.all("a")]


def small_history(columns: list[ReleaseColumn], cells: list[CellHistory]) -> HistoryFile:
    return HistoryFile(
        axis="litellm",
        upstream="live",
        generated_at="2026-02-01T09:30:00Z",
        fixed={"claude_code": "2.1.329"},
        columns=columns,
        cells=cells,
    )


def ran(release: str, **kw: str) -> ReleaseColumn:
    return ReleaseColumn(release=release, state="ran", litellm=release, claude_code="2.1.329", **kw)


def test_write_timeline_writes_the_page_atomically_and_returns_its_path(tmp_path: Path):
    target = tmp_path / "out" / "history" / "timeline.html"
    assert write_timeline(sample_history(), target) == target
    assert target.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert [p.name for p in target.parent.iterdir()] == ["timeline.html"]


def test_header_names_the_axis_the_fixed_tool_the_time_and_the_upstream():
    doc = parse(render_timeline(sample_history()))
    meta = " ".join(doc.one("ul", "meta").text.split())
    assert "LiteLLM releases, with Claude Code fixed at 2.1.329" in meta
    assert "Releases 8 (1.80.0 → 1.83.2)" in meta
    assert "Generated 2026-02-01 09:30 UTC" in meta
    assert "Upstream emulated" in meta
    assert EMULATED_HEADLINE in doc.one(cls="banner").text
    live = parse(render_timeline(sample_history(upstream="live")))
    assert live.all(cls="banner") == []
    assert "Upstream live" in " ".join(live.one("ul", "meta").text.split())


def test_the_reverse_axis_holds_litellm_fixed():
    history = small_history(
        [
            ReleaseColumn(release=v, state="ran", litellm="1.106.2", claude_code=v)
            for v in ("2.1.300", "2.1.329")
        ],
        [],
    ).model_copy(update={"axis": "claude_code", "fixed": {"litellm": "1.106.2"}})
    doc = parse(render_timeline(history))
    assert "Claude Code releases, with LiteLLM fixed at 1.106.2" in " ".join(
        doc.one("ul", "meta").text.split()
    )
    assert doc.one("h1").text == "Compatibility across Claude Code releases"


def test_columns_are_the_releases_in_order_with_their_dates_and_states():
    doc = parse(render_timeline(sample_history()))
    headers = timeline(doc).one("thead").all("th")
    assert headers[0].text == "Cell"
    releases = [th.one(cls="rel-name").text for th in headers[1:]]
    assert releases == sample_history().releases
    assert [th.one(cls="rel-date").text for th in headers[1:]] == [
        f"2026-01-0{day}" for day in range(1, 9)
    ]
    states = [th.attrs["data-state"] for th in headers[1:]]
    assert states == ["ran", "ran", "install_failed", "ran", "refused", "ran", "ran", "ran"]
    # The columns' widths differ by state, so a reader tells them apart before reading.
    cols = [col.attrs["class"] for col in timeline(doc).one("colgroup").all("col")]
    assert cols[3] == "skip-col state-install_failed" and cols[5] == "skip-col state-refused"
    assert cols[1] == "rel-col"


def test_columns_that_did_not_run_give_their_reason_on_focus_and_in_a_note():
    doc = parse(render_timeline(sample_history()))
    headers = timeline(doc).one("thead").all("th")
    failed, refused = headers[3], headers[5]
    for th, reason, label, number in (
        (failed, INSTALL_REASON, "install failed", "1"),
        (refused, REFUSED_REASON, "refused", "2"),
    ):
        head = th.one(cls="rel-head")
        assert head.attrs["tabindex"] == "0", "the reason must be reachable by keyboard"
        tip = th.one(cls="tip")
        assert head.attrs["aria-describedby"] == tip.attrs["id"]
        assert tip.one(cls="tip-text").text == reason
        assert th.one(cls="rel-state").text == label
        assert th.one("a", "note-ref").attrs["href"] == f"#note-{number}"
    notes = {li.attrs["id"]: li for li in doc.one("ol", "notes").all("li")}
    assert list(notes) == ["note-1", "note-2"]
    assert notes["note-1"].one(cls="note-reason").text == INSTALL_REASON
    assert notes["note-1"].attrs["data-state"] == "install_failed"
    assert "1.81.0" in notes["note-1"].text and "uploaded 2026-01-03" in notes["note-1"].text
    assert notes["note-2"].one(cls="note-reason").text == REFUSED_REASON
    # No square stands in a column that did not run.
    for row in body_rows(doc):
        tds = row.all("td")
        assert tds[2].classes == {"skip"} and tds[4].classes == {"skip"}
        assert tds[2].children == [] and tds[4].children == []


def test_ran_columns_link_their_release_page_and_tell_their_counts():
    doc = parse(render_timeline(sample_history()))
    first = timeline(doc).one("thead").all("th")[1]
    head = first.one(cls="rel-head")
    assert head.tag == "a" and head.attrs["href"] == "releases/1.80.0/index.html"
    notes = [n.text for n in first.one(cls="tip").all(cls="tip-note")]
    assert "LiteLLM 1.80.0 · Claude Code 2.1.329" in notes
    assert "Uploaded 2026-01-01 12:00 UTC" in notes
    assert "3 pass · 3 fail · 1 not applicable" in notes


def test_rows_are_the_cells_grouped_by_feature_in_history_order():
    history = sample_history()
    doc = parse(render_timeline(history))
    groups = [tb.all("th")[0].text for tb in timeline(doc).all("tbody")]
    assert groups == [
        "thinking_with_tool_use",
        "tool_use",
        "web_search",
        "count_tokens",
        "basic_messaging_streaming",
    ]
    rows = body_rows(doc)
    assert [r.one("th").text.strip() for r in rows] == [
        f"{c.provider} · {c.tier}" for c in history.cells
    ]
    assert all(len(r.all("td")) == len(history.columns) for r in rows)
    # count_tokens was not selected at the first release: an empty square, not a status.
    absent = square(doc, ("count_tokens", "vertex_ai", "opus-4-7"), "1.80.0")
    assert absent.classes == {"absent"} and absent.attrs["aria-label"] == "1.80.0: no outcome"


def test_flips_are_marked_where_the_model_says_the_status_changed():
    history = sample_history()
    doc = parse(render_timeline(history))
    rows = body_rows(doc)
    marked = {
        (history.cells[i].key, history.releases[j])
        for i, row in enumerate(rows)
        for j, td in enumerate(row.all("td"))
        if "flip" in td.classes
    }
    expected = {(c.key, b) for c in history.cells for _, b in c.flips(RAN)}
    assert marked == expected and len(marked) == 3
    up = square(doc, CONVERSE_FLIP, "1.82.4")
    down = square(doc, TOOL_FLIP, "1.83.0")
    assert up.attrs["data-flip"] == "up" and up.attrs["data-status"] == "pass"
    assert down.attrs["data-flip"] == "down" and down.attrs["data-status"] == "fail"
    assert up.one(cls="arrow").text == "▲" and down.one(cls="arrow").text == "▼"
    # The change is against the previous release that ran: 1.82.0 was refused.
    assert up.one(cls="g").attrs["aria-label"] == (
        "thinking_with_tool_use · bedrock_converse · opus-4-7 at 1.82.4: pass, was fail at 1.81.3"
    )
    assert "was fail at 1.81.3" in up.one(cls="tip").text
    # A status held across a release that did not run is no flip.
    assert "flip" not in square(doc, CONVERSE_FLIP, "1.83.0").classes
    assert "flip" not in square(doc, ("count_tokens", "vertex_ai", "opus-4-7"), "1.80.5").classes


def test_a_flip_links_the_release_page_at_the_cells_drill_down_and_its_results():
    doc = parse(render_timeline(sample_history()))
    up = square(doc, CONVERSE_FLIP, "1.82.4")
    link = up.one(cls="g")
    assert link.tag == "a" and link.attrs["href"] == CONVERSE_PAGE
    # The fragment is the one index.html gives the cell's drill-down.
    assert CONVERSE_PAGE.endswith("#" + _anchor("thinking_with_tool_use", "bedrock_converse"))
    results = up.one("a", "res")
    assert results.attrs["href"] == "releases/1.82.4/compat-results.json"
    assert results.attrs["aria-label"] == "Results file of 1.82.4"
    down = square(doc, TOOL_FLIP, "1.83.0")
    assert down.one(cls="g").attrs["href"] == TOOL_PAGE


def test_unchanged_squares_are_not_links_but_tell_their_status_and_error():
    doc = parse(render_timeline(sample_history()))
    tips = doc.all(cls="tip")
    assert len({t.attrs["id"] for t in tips}) == len(tips)
    for cell, release, status, text in (
        (
            ("basic_messaging_streaming", "bedrock_invoke", "haiku-4-5"),
            "1.80.0",
            "fail",
            STREAM_ERROR,
        ),
        (CONVERSE_FLIP, "1.80.5", "fail", CONVERSE_ERROR),
        (("tool_use", "vertex_ai", "haiku-4-5"), "1.83.2", "pass", "this tier passed"),
        (("web_search", "bedrock_invoke", "haiku-4-5"), "1.81.3", "not_applicable", None),
    ):
        td = square(doc, cell, release)
        assert td.attrs["data-status"] == status and "flip" not in td.classes
        focusable = td.one(cls="g")
        assert focusable.tag == "span" and focusable.attrs["tabindex"] == "0"
        assert focusable.attrs["role"] == "img"
        label = {"not_applicable": "not applicable"}.get(status, status)
        assert focusable.attrs["aria-label"] == f"{release}: {label}"
        tip = td.one(cls="tip")
        assert focusable.attrs["aria-describedby"] == tip.attrs["id"]
        assert tip.one(cls="tip-head").text == " · ".join(cell)
        assert tip.one(cls="tip-rel").text == f"at {release}"
        assert tip.one(cls="tip-status").text == label
        if text:
            assert tip.one(cls="tip-text").text == text
    assert "✅" in square(doc, CONVERSE_FLIP, "1.83.2").text


def test_summary_counts_the_flips_and_lists_them_in_release_order():
    doc = parse(render_timeline(sample_history()))
    line = " ".join(by_id(doc, "summary-line").text.split())
    assert line == (
        "3 of 8 cells changed status (3 flips) · 6 of 8 releases ran · 1 install failed · 1 refused"
    )
    entries = doc.one("ol", "flips").all("li")
    texts = [" ".join(li.text.split()) for li in entries]
    assert texts == [
        "▲ thinking_with_tool_use · bedrock_converse · opus-4-7: ❌ fail at 1.81.3 → ✅ pass "
        "at 1.82.4 · evidence at 1.82.4 · results file",
        "▲ thinking_with_tool_use · bedrock_converse · sonnet-4-6: ❌ fail at 1.81.3 → ✅ pass "
        "at 1.82.4 · evidence at 1.82.4 · results file",
        "▼ tool_use · anthropic · haiku-4-5: ✅ pass at 1.82.4 → ❌ fail at 1.83.0 "
        "· evidence at 1.83.0 · results file",
    ]
    assert [li.attrs["data-direction"] for li in entries] == ["up", "up", "down"]
    first = entries[0]
    assert first.one("a", "flip-page").attrs["href"] == CONVERSE_PAGE
    assert first.one("a", "flip-results").attrs["href"] == "releases/1.82.4/compat-results.json"
    # The cell links to its square on this page.
    target = first.one("a", "flip-cell").attrs["href"].removeprefix("#")
    assert square(doc, CONVERSE_FLIP, "1.82.4").attrs["id"] == target
    assert entries[2].one("a", "flip-page").attrs["href"] == TOOL_PAGE
    assert doc.one("details", "flips-box").attrs.get("open") == ""


def test_a_history_without_changes_says_so():
    history = small_history(
        [ran("1.0.0"), ran("1.1.0")],
        [
            CellHistory(
                feature="tool_use",
                provider="azure",
                tier="opus-4-7",
                outcomes={"1.0.0": CellPoint(status="pass"), "1.1.0": CellPoint(status="pass")},
            )
        ],
    )
    doc = parse(render_timeline(history))
    assert doc.all(cls="flips") == [] and flip_squares(doc) == []
    assert "No cell changed status across these releases." in doc.text
    assert doc.all("ol", "notes") == []


def test_a_long_list_of_flips_starts_closed():
    doc = parse(render_timeline(big_history(releases=12, cells=40)))
    box = doc.one("details", "flips-box")
    assert "open" not in box.attrs
    assert len(box.one("ol", "flips").all("li")) == len(flip_squares(doc)) > 25


def test_links_are_relative_percent_encoded_and_never_absolute():
    columns = [
        ran("1.0.0", page="releases/1.0 rc#1/index.html", results="releases/1.0 rc#1/r?.json"),
        ran("1.1.0", page="/etc/passwd", results="javascript:alert(1)"),
        ran("1.2.0", page="https://example.com/x.html", results="C:/results.json"),
        ran("1.3.0", page="../elsewhere/index.html", results="../elsewhere/r.json"),
    ]
    statuses = ["pass", "fail", "pass", "fail"]
    cell = CellHistory(
        feature="tool_use",
        provider="azure",
        tier="opus-4-7",
        outcomes={
            c.release: CellPoint(status=s, error="e" if s == "fail" else None)
            for c, s in zip(columns, statuses, strict=True)
        },
    )
    doc = parse(render_timeline(small_history(columns, [cell])))
    tds = body_rows(doc)[0].all("td")
    assert tds[0].one(cls="g").tag == "span"  # the first release: nothing to change from
    assert [td.attrs.get("data-flip") for td in tds[1:]] == ["down", "up", "down"]
    # The refused targets leave the square marked, but not a link.
    assert tds[1].one(cls="g").tag == "span" and tds[1].all("a") == []
    assert tds[2].one(cls="g").tag == "span" and tds[2].all("a") == []
    assert tds[3].one(cls="g").attrs["href"] == "../elsewhere/index.html#cell-tool_use--azure"
    head = timeline(doc).one("thead").all("th")[1].one(cls="rel-head")
    assert head.attrs["href"] == "releases/1.0%20rc%231/index.html"
    for href in hrefs(doc):
        assert not href.startswith(("/", "\\")) and ":" not in href, href


def test_hostile_reasons_errors_and_names_render_as_text():
    history = sample_history(install_reason=HOSTILE_ERROR, refused_reason=HOSTILE_ERROR)
    cells = [
        c.model_copy(
            update={
                "outcomes": {
                    **c.outcomes,
                    "1.80.0": CellPoint(status="fail", error=HOSTILE_ERROR),
                }
            }
        )
        if c.key == ("tool_use", "vertex_ai", "haiku-4-5")
        else c
        for c in history.cells
    ]
    columns = [
        c.model_copy(update={"release": '1.80.0"><script>x()</script>'})
        if c.release == "1.83.2"
        else c
        for c in history.columns
    ]
    page = render_timeline(history.model_copy(update={"cells": cells, "columns": columns}))
    assert "<script>window.__pwned" not in page and "<b>bold</b>" not in page
    assert "<script>x()" not in page
    doc = parse(page)
    assert len(doc.all("script")) == 1
    notes = doc.one("ol", "notes").all(cls="note-reason")
    assert [n.text for n in notes] == [HOSTILE_ERROR, HOSTILE_ERROR]
    header_tip = timeline(doc).one("thead").all("th")[3].one(cls="tip")
    assert header_tip.one(cls="tip-text").text == HOSTILE_ERROR
    tip = square(doc, ("tool_use", "vertex_ai", "haiku-4-5"), "1.80.0").one(cls="tip")
    text = tip.one(cls="tip-text").text
    assert len(text) == TIP_ERROR_LIMIT and text.startswith("<script>window.__pwned = 1</script>")
    assert timeline(doc).one("thead").all("th")[8].one(cls="rel-name").text == (
        '1.80.0"><script>x()</script>'
    )


@pytest.mark.parametrize(
    ("statuses", "verdict", "fixed_in"),
    [
        ("FFPP", "fixed in r2", "r2"),
        ("FPFP", "fixed in r3", "r3"),
        ("FNPP", "fixed in r2", "r2"),
        ("PPPP", "no failure across these releases", None),
        ("PPFF", "not fixed by r3", None),
        ("FFPN", "not fixed by r3", None),
    ],
)
def test_an_issue_whose_cells_flip_to_pass_is_fixed_in_that_release(
    tmp_path: Path, statuses: str, verdict: str, fixed_in: str | None
):
    columns = [ran(f"r{i}") for i in range(4)]
    words = {"P": "pass", "F": "fail", "N": "not_applicable"}
    cells = [
        CellHistory(
            feature="thinking_with_tool_use",
            provider="bedrock_converse",
            tier=tier,
            outcomes={
                # The second tier passes throughout: the issue waits for the first.
                c.release: CellPoint(status=words[s] if tier == "opus-4-7" else "pass")
                for c, s in zip(columns, statuses, strict=True)
            },
        )
        for tier in ("opus-4-7", "sonnet-4-6")
    ]
    known = sample_timeline_issues(tmp_path)
    doc = parse(render_timeline(small_history(columns, cells), known_issues=known))
    articles = {a.attrs["id"]: a for a in doc.all("article", "issue")}
    # Only the issues that touch the history's cells are shown.
    assert list(articles) == ["issue-converse-thinking-signature"]
    article = articles["issue-converse-thinking-signature"]
    assert article.attrs["data-fixed-in"] == (fixed_in or "")
    assert verdict in article.text
    badges = [b.text for b in article.all(cls="badge-fixed-in")]
    assert badges == ([f"fixed in {fixed_in}"] if fixed_in else [])


def test_known_issues_show_where_they_were_fixed_and_mark_their_rows(tmp_path: Path):
    known = sample_timeline_issues(tmp_path)
    doc = parse(render_timeline(sample_history(), known_issues=known))
    articles = {a.attrs["id"]: a for a in doc.all("article", "issue")}
    assert list(articles) == ["issue-converse-thinking-signature", "issue-streaming-buffered"]
    fixed = articles["issue-converse-thinking-signature"]
    assert fixed.attrs["data-fixed-in"] == "1.82.4"
    assert fixed.one(cls="badge-fixed-in").text == "fixed in 1.82.4"
    assert [li.text for li in fixed.one("ul", "affected").all("li")] == [
        "thinking_with_tool_use · bedrock_converse · opus-4-7",
        "thinking_with_tool_use · bedrock_converse · sonnet-4-6",
    ]
    still = articles["issue-streaming-buffered"]
    assert still.attrs["data-fixed-in"] == "" and "not fixed by 1.83.2" in still.text
    marked = [r.one("th").text for r in body_rows(doc) if r.one("th").all(cls="ki-mark")]
    assert [" ".join(m.split()) for m in marked] == [
        "bedrock_converse · opus-4-7 , known issue: Title of converse-thinking-signature",
        "bedrock_converse · sonnet-4-6 , known issue: Title of converse-thinking-signature",
        "bedrock_invoke · haiku-4-5 , known issue: Title of streaming-buffered",
    ]
    assert "Known issues" not in render_timeline(sample_history())


def test_a_fixed_in_recorded_in_known_issues_is_shown_beside_what_the_releases_say(
    tmp_path: Path,
):
    known = sample_timeline_issues(tmp_path)
    # Set the way known_issues.yaml's optional `fixed_in` will carry it.
    recorded = known.model_copy(
        update={
            "issues": [
                known.issues[0].model_copy(update={"fixed_in": "1.82.0"}),
                *known.issues[1:],
            ]
        }
    )
    doc = parse(render_timeline(sample_history(), known_issues=recorded))
    article = by_id(doc, "issue-converse-thinking-signature")
    assert article.one(cls="badge-fixed-in").text == "fixed in 1.82.4"
    assert "known_issues.yaml says fixed in 1.82.0" in " ".join(article.text.split())


def test_page_is_self_contained_and_its_only_script_is_allowed_by_hash(tmp_path: Path):
    page = render_timeline(sample_history(), known_issues=sample_timeline_issues(tmp_path))
    doc = parse(page)
    assert_self_contained(doc)
    # Every in-page link has its target.
    ids = {e.attrs["id"] for e in doc.all() if "id" in e.attrs}
    for href in hrefs(doc):
        if href.startswith("#"):
            assert href[1:] in ids, href


def test_forty_releases_by_150_cells_render_fast_and_lean():
    history = big_history()
    render_timeline(history)  # the template compiles once per process
    started = time.perf_counter()
    page = render_timeline(history)
    elapsed = time.perf_counter() - started
    assert elapsed < 5, f"rendering took {elapsed:.1f} s"
    squares = sum(len(c.outcomes) for c in history.cells)
    assert squares == 150 * 34
    # Per square: the markup a browser must parse and lay out (it is ~400 bytes today).
    assert len(page.encode()) / squares < 600
    doc = parse(page)
    assert len(body_rows(doc)) == 150 and len(timeline(doc).one("thead").all("th")) == 41


def test_index_html_links_the_timeline_only_when_told_where_it_is(tmp_path: Path):
    linked = parse(render_html(sample_matrix(), timeline_href="../../timeline.html"))
    link = next(a for a in linked.all("a") if a.attrs.get("id") == "timeline-link")
    assert link.attrs["href"] == "../../timeline.html"
    assert "Timeline across releases" in link.text
    # Near the top: inside the header, before the matrix.
    assert link in linked.one("header").all("a")
    plain = render_html(sample_matrix())
    assert "Timeline across releases" not in plain and 'id="timeline-link"' not in plain
    path = write_page(sample_matrix(), tmp_path, timeline_href="../timeline.html")
    assert 'href="../timeline.html"' in path.read_text(encoding="utf-8")


def test_a_release_whose_proxy_did_not_start_is_a_column_saying_so():
    history = sample_history()
    reason = "local litellm 1.81.0: the proxy exited with status 1 before it became healthy"
    columns = [
        c.model_copy(update={"state": "boot_failed", "reason": reason})
        if c.state == "install_failed"
        else c
        for c in history.columns
    ]
    doc = parse(render_timeline(history.model_copy(update={"columns": columns})))
    th = timeline(doc).one("thead").all("th")[3]
    assert th.one(cls="rel-state").text == "did not start"
    notes = {li.attrs["id"]: li for li in doc.one("ol", "notes").all("li")}
    assert notes["note-1"].attrs["data-state"] == "boot_failed"
    assert notes["note-1"].one(cls="note-reason").text == reason
