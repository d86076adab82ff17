"""The Markdown summary: snapshot, escaping, and staying under GitHub's comment limit."""

from __future__ import annotations

import difflib
import os
from pathlib import Path

from compat.matrix import MatrixRow
from compat.outcome import Fail, Pass
from compat.render import GITHUB_COMMENT_LIMIT, render_markdown
from compat.render.markdown import ERRORS_TRIMMED_NOTE, md_text
from support.cli import CompatCli
from support.render_samples import (
    FIXTURES,
    HOSTILE_ERROR,
    SAMPLE_MATRIX,
    all_failed,
    sample_known_issues,
    sample_matrix,
    with_cell,
)

SNAPSHOT = FIXTURES / "sample-summary.md"


def test_sample_matches_the_snapshot():
    rendered = render_markdown(sample_matrix())
    if os.environ.get("COMPAT_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(rendered, encoding="utf-8")
    expected = SNAPSHOT.read_text(encoding="utf-8")
    diff = "".join(
        difflib.unified_diff(
            expected.splitlines(True), rendered.splitlines(True), "snapshot", "rendered"
        )
    )
    # Regenerate after an intended change with COMPAT_UPDATE_SNAPSHOTS=1.
    assert rendered == expected, diff


def test_table_has_a_row_per_feature_and_a_column_per_provider():
    matrix = sample_matrix()
    lines = render_markdown(matrix).splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("| Feature |"))
    rows = lines[header + 2 : header + 2 + len(matrix.features)]
    assert lines[header] == (
        "| Feature | Anthropic | Bedrock (Invoke) | Bedrock (Converse) | Vertex AI | "
        "Azure (Foundry) | OpenAI | Azure OpenAI | Bedrock (Mantle) | Vertex AI (GPT) |"
    )
    assert [r.split(" | ")[0].removeprefix("| ") for r in rows] == [
        row.name for row in matrix.features
    ]
    gpt_na = " n/a | n/a | n/a | n/a |"
    assert (
        rows[1] == "| Basic messaging (streaming) | ✅ | ❌ | ✅ | ✅ | ✅ | ✅ | ✅ | ✅ | n/a |"
    )
    assert rows[5] == "| Extended thinking | ✅ | ✅ | ✅ | ✅ | ✅ | ❌ | ❌ | ❌ | n/a |"
    assert rows[10] == "| Web search | ✅ | n/a | n/a | ✅ | ✅ |" + gpt_na
    assert rows[14] == "| Native API passthrough | ✅ | ✅ | n/a | ✅ | ❌ |" + gpt_na
    assert rows[15] == "| Long context (1M) | ✅ | ✅ | ✅ | ✅ | — |" + gpt_na
    # The contract table has the five routes its checks run on.
    contract = next(i for i, line in enumerate(lines) if line.startswith("| Contract check |"))
    assert lines[contract] == (
        "| Contract check | Anthropic | Bedrock (Invoke) | Bedrock (Converse) | Vertex AI | "
        "Azure (Foundry) |"
    )
    assert matrix.gateway_contract is not None
    checks = matrix.gateway_contract.checks
    assert lines[contract + 1] == "|---|" + ":-:|" * 5
    contract_rows = lines[contract + 2 : contract + 2 + len(checks)]
    assert [r.split(" | ")[0].removeprefix("| ") for r in contract_rows] == [c.name for c in checks]
    assert all(r.count(" | ") == 5 for r in contract_rows)
    assert contract_rows[0] == "| Open lists forwarded | ❌ | n/a | n/a | n/a | ❌ |"


def test_emulated_warning_only_for_emulated_matrices():
    assert "> [!WARNING]" in render_markdown(sample_matrix(upstream="emulated"))
    live = render_markdown(sample_matrix(upstream="live"))
    assert "[!WARNING]" not in live and "Emulated" not in live
    assert "upstream **live**" in live


def test_pipes_newlines_and_markup_are_escaped():
    matrix = with_cell(sample_matrix(), "tool_use", "azure", Fail(error=HOSTILE_ERROR))
    text = render_markdown(matrix)
    entry = next(line for line in text.splitlines() if line.startswith("- **Tool use · Azure"))
    assert "&lt;script>window.__pwned = 1&lt;/script>" in entry
    assert "<script>" not in text and "<b>" not in text
    assert "\\| pipe newline " in entry
    assert md_text("a|b\nc\\d") == "a\\|b c\\\\d"


def test_names_with_pipes_keep_the_table_shape():
    matrix = sample_matrix()
    rows = list(matrix.features)
    rows[0] = MatrixRow(id=rows[0].id, name="Odd | name\nsplit", providers=rows[0].providers)
    text = render_markdown(matrix.model_copy(update={"features": rows}))
    assert (
        "| Odd \\| name split | ✅ | ✅ | ✅ | ✅ | ✅ | ✅ | ✅ | ✅ | n/a |" in text.splitlines()
    )


def test_untrimmed_summary_says_nothing_about_trimming():
    assert ERRORS_TRIMMED_NOTE not in render_markdown(sample_matrix())


def test_every_cell_failing_with_2kb_errors_is_trimmed_under_the_limit():
    error = "[opus-4-7] " + "upstream said no; " * 120
    assert len(error) >= 2000
    matrix = all_failed(sample_matrix(), error[:2048])
    text = render_markdown(matrix)
    assert len(text) < GITHUB_COMMENT_LIMIT
    assert ERRORS_TRIMMED_NOTE in text
    # Every feature cell of the nine columns, and the contract's on its five routes.
    assert "### Failures (184)" in text
    entries = [line for line in text.splitlines() if line.startswith("- **")]
    assert len(entries) == 16 * 9 + 8 * 5
    assert all(line.endswith("…") for line in entries)
    # Trimmed as little as needed: the errors keep most of the room the limit leaves.
    assert len(text) > GITHUB_COMMENT_LIMIT * 0.95


def test_smaller_limits_drop_failures_then_rows_and_say_so():
    matrix = all_failed(sample_matrix(), "e" * 2048)
    few = render_markdown(matrix, limit=6000)
    assert len(few) <= 6000
    assert "more failures not shown_" in few
    assert ERRORS_TRIMMED_NOTE in few
    tiny = render_markdown(matrix, limit=1000)
    assert len(tiny) <= 1000
    assert "more rows not shown_" in tiny
    assert "- **" not in tiny


def test_large_matrix_stays_under_the_limit():
    base = sample_matrix()
    template = base.features[0]
    rows = [
        MatrixRow(
            id=f"feature_{i}",
            name=f"Feature {i}",
            providers=dict.fromkeys(template.providers, Fail(error=f"error {i} " * 40)),
        )
        for i in range(2000)
    ]
    text = render_markdown(base.model_copy(update={"features": rows}))
    assert len(text) <= GITHUB_COMMENT_LIMIT
    assert "more rows not shown_" in text


def test_known_issues_listed_with_ready_to_remove(tmp_path: Path):
    text = render_markdown(sample_matrix(), known_issues=sample_known_issues(tmp_path))
    section = text[text.index("### Known issues") :]
    assert (
        "- **Title of converse-thinking-signature** (open): "
        "Thinking with tool use · Bedrock (Converse)" in section
    )
    assert (
        "- **Title of vertex-count-tokens** (fixed, fix lands in v1.107.0-stable) — "
        "**ready to remove**: every affected cell passes: Token counting · Vertex AI" in section
    )


def test_cli_prints_markdown_or_writes_summary(
    repo_root: Path, tmp_path: Path, compat_cli: CompatCli
):
    command = ("render", SAMPLE_MATRIX, "--format", "md")
    printed = compat_cli(*command, cwd=repo_root, timeout=None)
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout == SNAPSHOT.read_text(encoding="utf-8")
    written = compat_cli(*command, "--out", tmp_path, cwd=repo_root, timeout=None)
    assert written.returncode == 0, written.stderr
    assert written.stdout.strip() == str(tmp_path / "summary.md")
    assert (tmp_path / "summary.md").read_text(encoding="utf-8") == printed.stdout


def test_passing_cells_are_not_listed_as_failures():
    matrix = with_cell(sample_matrix(), "tool_search", "azure", Pass())
    assert "Tool search · Azure" not in render_markdown(matrix)
