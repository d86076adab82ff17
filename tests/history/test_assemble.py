from pathlib import Path

from compat.history.assemble import cell_rows, relative, release_dir
from compat.outcome import Fail, Pass, ResultsFile, TierResult, ToolVersions

KEY = ("basic_messaging_streaming", "vertex_ai", "haiku-4-5")
OTHER = ("tool_use", "anthropic", "haiku-4-5")


def _results(litellm: str, outcomes: dict[tuple[str, str, str], object]) -> ResultsFile:
    return ResultsFile(
        versions=ToolVersions(litellm=litellm, claude_code="2.1.329"),
        upstream="emulated",
        results=[
            TierResult(feature_id=k[0], provider=k[1], tier=k[2], outcome=o)  # type: ignore[arg-type]
            for k, o in outcomes.items()
        ],
    )


def test_rows_follow_the_selection_and_hold_each_release_that_ran_the_cell():
    long_error = "the proxy sent rawPredict without streaming " + "x" * 500 + "\nsecond line"
    rows = cell_rows(
        [KEY, OTHER],
        {
            "1.90.7": [_results("1.90.7", {KEY: Fail(error=long_error), OTHER: Pass()})],
            "1.94.3": [_results("1.94.3", {KEY: Pass()})],
        },
    )
    assert [r.key for r in rows] == [KEY, OTHER]
    vertex = rows[0]
    assert vertex.outcomes["1.94.3"].status == "pass"
    error = vertex.outcomes["1.90.7"].error
    assert error is not None and error.startswith("the proxy sent rawPredict")
    assert "second line" not in error and len(error) <= 241
    assert set(rows[1].outcomes) == {"1.90.7"}


def test_cells_outside_the_selection_are_not_rows():
    rows = cell_rows([KEY], {"1.90.7": [_results("1.90.7", {KEY: Pass(), OTHER: Pass()})]})
    assert [r.key for r in rows] == [KEY]


def test_paths_are_relative_to_the_history(tmp_path: Path):
    page = release_dir(tmp_path, "1.90.7") / "index.html"
    assert relative(page, tmp_path) == "releases/1.90.7/index.html"
    assert relative(None, tmp_path) is None
