from compat.history.model import CellHistory, CellPoint


def _cell(statuses: dict[str, str]) -> CellHistory:
    return CellHistory(
        feature="basic_messaging_streaming",
        provider="vertex_ai",
        tier="haiku-4-5",
        outcomes={release: CellPoint(status=s) for release, s in statuses.items()},  # type: ignore[arg-type]
    )


def test_flips_are_changes_between_releases_that_ran_the_cell():
    order = ["1.90.7", "1.91.5", "1.92.2", "1.93.2", "1.94.3"]
    # 1.92.2 did not run (an install failure): the flip reads 1.91.5 → 1.93.2.
    cell = _cell({"1.90.7": "fail", "1.91.5": "fail", "1.93.2": "pass", "1.94.3": "pass"})
    assert cell.flips(order) == [("1.91.5", "1.93.2")]


def test_a_cell_that_flips_back_shows_both_flips_and_a_steady_one_none():
    order = ["a", "b", "c"]
    assert _cell({"a": "pass", "b": "fail", "c": "pass"}).flips(order) == [("a", "b"), ("b", "c")]
    assert _cell({"a": "pass", "b": "pass", "c": "pass"}).flips(order) == []
