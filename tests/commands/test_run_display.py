"""The table `compat run` prints at the end: the rows and columns the run selected."""

from __future__ import annotations

from rich.console import Console

from compat.commands.run_display import matrix_table
from support.render_samples import sample_matrix


def rendered(**selection) -> str:
    console = Console(width=200, record=True, color_system=None)
    console.print(matrix_table(sample_matrix(), **selection))
    return console.export_text()


def test_a_contract_check_is_shown_and_named_as_one():
    text = rendered(features={"contract_keep_alive", "vision"}, providers={"bedrock_invoke"})
    assert "Keep-alive pings (gateway contract)" in text
    assert "Vision" in text and "Tool use" not in text
    assert "Bedrock (Invoke)" in text and "Vertex AI" not in text


def test_every_row_by_default():
    text = rendered()
    assert "Native API passthrough" in text
    assert "Model discovery (gateway contract)" in text
