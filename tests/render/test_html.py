"""The HTML page as markup: structure, escaping, self-containment, drill-down, known issues."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

from compat.errors import InputError
from compat.known_issues import load_known_issues
from compat.manifest import load_manifest
from compat.matrix import LoadedResults
from compat.outcome import Fail, NotApplicable
from compat.render import render_html, write_page
from compat.render.view import NOT_TESTED_TEXT, PASS_TEXT, check_results_match
from support.cli import CompatCli
from support.render_samples import (
    HOSTILE_ERROR,
    SAMPLE_MATRIX,
    SAMPLE_RESULTS,
    issue,
    sample_known_issues,
    sample_matrix,
    sample_results,
    with_cell,
    write_known_issues,
)

VOID = {"meta", "br", "col", "img", "input", "link", "hr", "wbr", "source"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text for c in self.children)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def all(self, tag: str | None = None, cls: str | None = None) -> list[Element]:
        """Every descendant with this tag and/or class, in document order."""
        found = []
        for child in self.children:
            if isinstance(child, Element):
                if (tag is None or child.tag == tag) and (cls is None or cls in child.classes):
                    found.append(child)
                found.extend(child.all(tag, cls))
        return found

    def by_id(self, element_id: str) -> Element:
        found = [e for e in self.all() if e.attrs.get("id") == element_id]
        assert len(found) == 1, f"expected one #{element_id}, found {len(found)}"
        return found[0]

    def one(self, tag: str | None = None, cls: str | None = None) -> Element:
        found = self.all(tag, cls)
        assert len(found) == 1, f"expected one {tag}.{cls}, found {len(found)}"
        return found[0]


class TreeBuilder(HTMLParser):
    """A small DOM from the stdlib parser: enough to check our own, well-formed markup."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(page: str) -> Element:
    builder = TreeBuilder()
    builder.feed(page)
    builder.close()
    assert builder.stack == [builder.root], "unclosed elements"
    return builder.root


def cells(doc: Element) -> list[Element]:
    return doc.by_id("matrix").one("tbody").all("td")


def assert_self_contained(doc: Element) -> None:
    """Nothing in `doc` is fetched, and its CSP allows its one inline script by hash alone."""
    scripts = doc.all("script")
    assert len(scripts) == 1 and "src" not in scripts[0].attrs
    assert doc.all("link") == [] and doc.all("img") == [] and doc.all("iframe") == []
    assert not any("src" in e.attrs for e in doc.all())
    style = doc.one("style").text
    assert "url(" not in style and "@import" not in style
    csp = next(
        m.attrs["content"]
        for m in doc.all("meta")
        if m.attrs.get("http-equiv") == "Content-Security-Policy"
    )
    digest = base64.b64encode(hashlib.sha256(scripts[0].text.encode()).digest()).decode()
    assert "default-src 'none'" in csp
    assert f"script-src 'sha256-{digest}'" in csp


def test_write_page_writes_index_html_and_returns_its_path(tmp_path: Path):
    out_dir = tmp_path / "site" / "nested"
    path = write_page(sample_matrix(), out_dir)
    assert path == out_dir / "index.html"
    assert path.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert sorted(p.name for p in out_dir.iterdir()) == ["index.html"]


def test_meta_line_names_versions_time_and_mode():
    meta = parse(render_html(sample_matrix())).one("ul", "meta").text
    for fragment in ("LiteLLM 1.106.2", "Claude Code 2.1.329", "2026-01-01 00:00 UTC", "emulated"):
        assert fragment in " ".join(meta.split())


def test_table_rows_and_columns_follow_the_matrix():
    matrix = sample_matrix()
    table = parse(render_html(matrix)).by_id("matrix")
    headers = [th.text for th in table.one("thead").all("th")]
    assert headers == [
        "Feature",
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
    rows = table.one("tbody").all("tr")
    assert [r.one("th").text for r in rows] == [f.name for f in matrix.features]
    assert all(len(r.all("td")) == len(matrix.providers) for r in rows)
    # The contract runs on the Claude routes only: its table has those five columns.
    contract = parse(render_html(matrix)).by_id("contract")
    assert [th.text for th in contract.one("thead").all("th")] == ["Contract check", *headers[1:6]]
    assert all(len(r.all("td")) == 5 for r in contract.one("tbody").all("tr"))
    # Each table sizes its columns (colgroup, the CSS width variable) by its own routes.
    for element, columns in ((table, len(matrix.providers)), (contract, 5)):
        assert len(element.one("colgroup").all("col")) == 1 + columns
        assert f"--providers: {columns}" in element.attrs["style"]


def test_every_cell_has_a_glyph_a_text_alternative_and_a_tooltip():
    matrix = sample_matrix()
    doc = parse(render_html(matrix))
    expected = [
        (row.name, matrix.provider_name(provider), row.providers[provider])
        for row in matrix.features
        for provider in matrix.providers
    ]
    glyphs = {"pass": "✅", "fail": "❌", "not_applicable": "n/a", "not_tested": "—"}
    labels = {"pass": "pass", "fail": "fail", "not_applicable": "not applicable"}
    for td, (feature, provider, outcome) in zip(cells(doc), expected, strict=True):
        assert td.attrs["data-status"] == outcome.status
        focusable = td.one(cls="g")
        assert focusable.tag == "a" or focusable.attrs.get("tabindex") == "0"
        assert focusable.all(cls="vh")[0].text == (
            f"{feature}, {provider}: {labels.get(outcome.status, 'not tested')}"
        )
        assert glyphs[outcome.status] in focusable.text
        tip = td.one(cls="tip")
        assert focusable.attrs["aria-describedby"] == tip.attrs["id"]
        assert tip.attrs["role"] == "tooltip"
        expected_text = {
            "fail": getattr(outcome, "error", None),
            "not_applicable": getattr(outcome, "reason", None),
            "not_tested": NOT_TESTED_TEXT,
            "pass": PASS_TEXT,
        }[outcome.status]
        assert tip.one(cls="tip-text").text == expected_text


def test_tooltip_ids_are_unique():
    ids = [tip.attrs["id"] for tip in parse(render_html(sample_matrix())).all(cls="tip")]
    # 16 features × 9 providers, and 8 contract checks × 5 routes.
    assert len(ids) == 16 * 9 + 8 * 5 == len(set(ids))


def test_emulated_banner_only_for_emulated_matrices():
    emulated = parse(render_html(sample_matrix(upstream="emulated")))
    assert "Emulated upstream" in emulated.one(cls="banner").text
    live = render_html(sample_matrix(upstream="live"))
    assert parse(live).all(cls="banner") == []
    assert "Emulated upstream" not in live


def test_hostile_error_is_text_everywhere_it_appears():
    matrix = with_cell(sample_matrix(), "tool_use", "azure", Fail(error=HOSTILE_ERROR))
    page = render_html(matrix)
    assert "<script>window.__pwned" not in page
    assert "<b>bold</b>" not in page
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt; &#34;double&#34; &#39;single&#39;" in (
        page
    )
    doc = parse(page)
    columns = len(matrix.providers)
    tool_use_azure = cells(doc)[2 * columns + matrix.providers.index("azure")]
    assert tool_use_azure.one(cls="tip-text").text == HOSTILE_ERROR
    assert any(li.one("p").text == HOSTILE_ERROR for li in doc.one("ol", "failures").all("li"))


def test_page_is_self_contained_and_its_only_script_is_allowed_by_hash(tmp_path: Path):
    known = sample_known_issues(tmp_path)
    page = render_html(sample_matrix(), results=[sample_results()], known_issues=known)
    doc = parse(page)
    assert_self_contained(doc)
    external = [a.attrs["href"] for a in doc.all("a") if not a.attrs["href"].startswith("#")]
    guide = "https://code.claude.com/docs/en/llm-gateway-protocol"
    # Links, not fetches: the known issue's PR, and the gateway guide with its sections.
    assert external[-1] == "https://github.com/BerriAI/litellm/pull/1"
    assert all(href.startswith(guide) for href in external[:-1]) and len(external) == 10


def test_legend_explains_every_status():
    legend = parse(render_html(sample_matrix())).one("ul", "legend").text
    for word in ("pass", "fail", "not applicable", "not tested", "known issue"):
        assert word in legend


def test_failures_section_lists_each_failing_cell():
    doc = parse(render_html(sample_matrix()))
    entries = [li.one(cls="where").text for li in doc.one("ol", "failures").all("li")]
    assert entries == [
        "Basic messaging (streaming) · Bedrock (Invoke)",
        "Extended thinking · OpenAI",
        "Extended thinking · Azure OpenAI",
        "Extended thinking · Bedrock (Mantle)",
        "Thinking with tool use · Bedrock (Converse)",
        "Thinking with tool use · OpenAI",
        "Thinking with tool use · Azure OpenAI",
        "Thinking with tool use · Bedrock (Mantle)",
        "PDF input · Azure OpenAI",
        "PDF input · Bedrock (Mantle)",
        "Prompt caching (1h) · Vertex AI",
        "Tool search · Azure (Foundry)",
        "Native API passthrough · Azure (Foundry)",
        # The gateway contract's failures follow the features'.
        "Open lists forwarded · Anthropic",
        "Open lists forwarded · Azure (Foundry)",
        "Keep-alive pings · Bedrock (Invoke)",
        "Keep-alive pings · Bedrock (Converse)",
        "System array forwarded unchanged · Bedrock (Invoke)",
        "System array forwarded unchanged · Vertex AI",
        "System array forwarded unchanged · Azure (Foundry)",
    ]


def test_without_results_there_is_no_drill_down():
    page = render_html(sample_matrix())
    doc = parse(page)
    assert doc.all(cls="evidence") == []
    assert all(td.one(cls="g").tag == "span" for td in cells(doc))


def test_drill_down_shows_each_tier_and_the_upstream_requests():
    doc = parse(render_html(sample_matrix(), results=[sample_results()]))
    # Every cell with a recorded tier links to its drill-down; the not-tested one has none.
    links = [td.one(cls="g") for td in cells(doc) if td.attrs["data-status"] != "not_tested"]
    assert all(link.tag == "a" for link in links)
    anchors = {link.attrs["href"].removeprefix("#") for link in links}
    drill_downs = {d.attrs["id"]: d for d in doc.all("details", "ev-cell")}
    contract = [td.one(cls="g") for td in doc.by_id("contract").one("tbody").all("td")]
    anchors |= {link.attrs["href"].removeprefix("#") for link in contract}
    # The GPT columns' 64 cells were all recorded (Vertex AI's as n/a), like 74 Claude cells.
    assert set(drill_downs) == anchors and len(anchors) == 74 + 64 + 5 + 40
    not_tested = next(td for td in cells(doc) if td.attrs["data-status"] == "not_tested")
    assert not_tested.one(cls="g").tag == "span"
    converse = drill_downs["cell-thinking_with_tool_use--bedrock_converse"]
    assert "2 of 3 tiers failed" in converse.all("summary")[0].text
    tiers = converse.all(cls="tier")
    assert [t.one("h4").text.split()[2] for t in tiers] == ["haiku-4-5", "sonnet-4-6", "opus-4-7"]
    failed = tiers[2]
    text, facts = failed.all("p")
    assert "Invalid `signature` in `thinking` block" in text.text
    assert facts.text == (
        "usage: input_tokens 1,200 · output_tokens 40 · cache_read_input_tokens 0 · "
        "attempts: 2 · exit code: 1 · 1 upstream request recorded"
    )
    request = failed.one("ol", "requests").one("li")
    assert (
        request.one("code").text == "bedrock_converse: POST /model/opus-4-7/converse-stream → 400"
    )
    body = request.one("pre").text
    assert len(body) == 2000 and body.endswith("more chars]")
    assert "Transcript excerpt" in failed.one("details", "transcript").text
    assert failed.all(cls="tier-warning") == []
    passing = drill_downs["cell-tool_use--anthropic"]
    assert "3 tiers recorded" in passing.all("summary")[0].text
    assert "no upstream request recorded" in passing.text


def test_drill_down_shows_warnings_of_passes_that_needed_help():
    results = sample_results(with_requests=False)
    helped = next(r for r in results.results if r.key == ("vision", "azure", "opus-4-7"))
    helped.evidence.warnings = ["upstream answered 529 overloaded; Claude Code retried <once>"]
    doc = parse(render_html(sample_matrix(), results=[results]))
    cell = next(d for d in doc.all("details", "ev-cell") if d.attrs["id"] == "cell-vision--azure")
    warnings = [w.text for w in cell.all(cls="tier-warning")]
    assert warnings == ["⚠ upstream answered 529 overloaded; Claude Code retried <once>"]


def test_known_issues_section_flags_ready_to_remove(tmp_path: Path):
    doc = parse(render_html(sample_matrix(), known_issues=sample_known_issues(tmp_path)))
    articles = {a.attrs["id"]: a for a in doc.all("article", "issue")}
    open_issue = articles["issue-converse-thinking-signature"]
    fixed = articles["issue-vertex-count-tokens"]
    assert open_issue.attrs["data-ready"] == "false" and "ready to remove" not in open_issue.text
    assert fixed.attrs["data-ready"] == "true" and "ready to remove" in fixed.text
    for fragment in (
        "Title of vertex-count-tokens",
        "Token counting · Vertex AI (opus-4-7)",
        "Symptom of vertex-count-tokens",
        "Workaround for vertex-count-tokens",
        "Route count_tokens to the Vertex endpoint.",
        "v1.107.0-stable",
    ):
        assert fragment in fixed.text
    marked = [td for td in cells(doc) if td.all(cls="ki-mark")]
    assert len(marked) == 2
    assert "Known issue: Title of converse-thinking-signature" in marked[0].one(cls="tip").text


def test_known_issues_section_absent_without_a_file_and_explicit_when_empty(
    tmp_path: Path, manifest_path: Path
):
    assert "Known issues" not in render_html(sample_matrix())
    empty = load_known_issues(
        write_known_issues(tmp_path / "k.yaml", []), load_manifest(manifest_path)
    )
    doc = parse(render_html(sample_matrix(), known_issues=empty))
    section = next(s for s in doc.all("section") if s.attrs.get("id") == "known-issues")
    assert "None recorded." in section.text
    assert section.all("article") == []


def test_results_from_another_run_are_refused(tmp_path: Path):
    other = sample_results(with_requests=False)
    other.versions.litellm = "1.0.0"
    with pytest.raises(InputError, match=r"results are from LiteLLM 1\.0\.0.*matrix is from"):
        check_results_match(sample_matrix(), [LoadedResults(tmp_path / "r.json", other)])
    check_results_match(sample_matrix(), [LoadedResults(SAMPLE_RESULTS, sample_results())])


def test_not_applicable_with_per_tier_reasons_shows_them(tmp_path: Path):
    reason = "[haiku-4-5] a; [opus-4-7] b"
    matrix = with_cell(sample_matrix(), "vision", "azure", NotApplicable(reason=reason))
    assert reason in [td.one(cls="tip-text").text for td in cells(parse(render_html(matrix)))]


def test_cli_writes_the_page_with_results_and_known_issues(
    repo_root: Path, tmp_path: Path, compat_cli: CompatCli
):
    known = write_known_issues(
        tmp_path / "known_issues.yaml",
        [issue("one", [{"feature": "tool_search", "provider": "azure"}])],
    )
    proc = compat_cli(
        "render",
        str(SAMPLE_MATRIX),
        "--results",
        str(SAMPLE_RESULTS),
        "--known-issues",
        str(known),
        "--out",
        str(tmp_path / "site"),
        cwd=repo_root,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(tmp_path / "site" / "index.html")
    doc = parse((tmp_path / "site" / "index.html").read_text(encoding="utf-8"))
    assert len(doc.all("details", "ev-cell")) == 74 + 64 + 5 + 40
    assert doc.one("article", "issue").attrs["id"] == "issue-one"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((str(SAMPLE_MATRIX),), "--out DIR is required for the HTML page"),
        (("absent.json", "--out", "x"), "absent.json: matrix not found"),
    ],
)
def test_cli_input_errors(
    repo_root: Path, tmp_path: Path, args: tuple[str, ...], message: str, compat_cli: CompatCli
):
    proc = compat_cli("render", *args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("error: ") and message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_cli_unknown_cell_in_known_issues_is_an_input_error(
    repo_root: Path, tmp_path: Path, compat_cli: CompatCli
):
    known = write_known_issues(
        tmp_path / "known_issues.yaml",
        [issue("one", [{"feature": "tool_search", "provider": "vertex"}])],
    )
    proc = compat_cli(
        "render",
        str(SAMPLE_MATRIX),
        "--known-issues",
        str(known),
        "--out",
        str(tmp_path),
        cwd=repo_root,
    )
    assert proc.returncode == 2
    assert (
        "issues[0].cells[0].provider: unknown provider 'vertex' (did you mean 'vertex_ai'?)"
        in proc.stderr
    )
    assert not (tmp_path / "index.html").exists()


def test_a_known_issue_says_which_release_fixed_it(tmp_path: Path):
    from compat.known_issues import KnownIssues

    entry = issue("vertex-stream", [{"feature": "vision", "provider": "vertex_ai"}])
    known = KnownIssues.model_validate(
        {
            "schema_version": "1",
            "issues": [
                {**entry, "affects": "<1.91.0", "fixed_in": "1.91.0"},
                issue("other", [{"feature": "tool_use", "provider": "anthropic"}]),
            ],
        }
    )
    doc = parse(render_html(sample_matrix(), known_issues=known))
    articles = {a.attrs["id"]: a for a in doc.all("article", "issue")}
    fixed = articles["issue-vertex-stream"]
    assert "fixed in 1.91.0" in fixed.text and "LiteLLM <1.91.0" in fixed.text
    assert "fixed in" not in articles["issue-other"].text


def test_the_gateway_contract_table_names_each_rule_with_the_guide_s_sentence():
    matrix = sample_matrix()
    doc = parse(render_html(matrix, results=[sample_results()]))
    table = doc.by_id("contract")
    assert matrix.gateway_contract is not None
    rows = table.one("tbody").all("tr")
    assert [r.one("th").children[0] for r in rows] == [
        c.name for c in matrix.gateway_contract.checks
    ]
    for row, check in zip(rows, matrix.gateway_contract.checks, strict=True):
        quote = row.one("blockquote", "guide-quote")
        assert quote.attrs["cite"] == check.guide and quote.text == check.quote
        assert len(row.all("td")) == len(matrix.contract_routes()) == 5
    failed = [td for td in table.all("td") if td.attrs["data-status"] == "fail"]
    assert len(failed) == 7
    assert all(td.one(cls="tip-text").text for td in failed)
