"""Input files: deep nesting is refused by compat's own check, whatever the YAML library does."""

from __future__ import annotations

from pathlib import Path

import pytest

from compat.errors import InputError
from compat.files import MAX_NESTING, load_yaml


@pytest.mark.parametrize(
    "text",
    [
        "[" * (MAX_NESTING + 1) + "]" * (MAX_NESTING + 1),
        "a: " + "{b: " * (MAX_NESTING + 1) + "}" * (MAX_NESTING + 1),
        "reason: it's here\nlist: " + "[" * 100_000,
    ],
    ids=["flow sequences", "flow mappings", "after an apostrophe in a word"],
)
def test_deep_flow_nesting_gets_compats_own_message(tmp_path: Path, text: str) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        load_yaml(path, "manifest")
    assert str(caught.value) == f"{path}: manifest is nested more than {MAX_NESTING} levels deep"


@pytest.mark.parametrize(
    "text",
    [
        "[" * MAX_NESTING + "]" * MAX_NESTING,
        'a: "' + "[" * 500 + '"',
        "a: '" + "{" * 500 + "'",
        "# " + "[" * 500 + "\na: 1",
    ],
    ids=["at the limit", "inside double quotes", "inside single quotes", "inside a comment"],
)
def test_brackets_that_do_not_nest_are_read(tmp_path: Path, text: str) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(text)
    load_yaml(path, "manifest")
