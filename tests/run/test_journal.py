from __future__ import annotations

import pytest

from compat.errors import CompatError
from compat.outcome import Fail, Pass, TierResult
from compat.run.journal import Journal


def result(feature: str, outcome=None) -> TierResult:
    return TierResult(
        feature_id=feature, provider="anthropic", tier="haiku-4-5", outcome=outcome or Pass()
    )


def test_appends_survive_reopen_for_resume(tmp_path):
    journal = Journal(tmp_path / "out" / "compat-results.jsonl")
    journal.open(fresh=True)
    journal.append(result("a"))
    journal.append(result("b", Fail(error="x")))
    journal.close()
    again = Journal(journal.path)
    assert [r.feature_id for r in again.read()] == ["a", "b"]
    again.open(fresh=False)
    again.append(result("c"))
    again.close()
    assert [r.feature_id for r in Journal(journal.path).read()] == ["a", "b", "c"]


def test_fresh_open_discards_old_results(tmp_path):
    journal = Journal(tmp_path / "j.jsonl")
    journal.open(fresh=True)
    journal.append(result("a"))
    journal.close()
    journal.open(fresh=True)
    journal.close()
    assert journal.read() == []


def test_torn_last_line_is_dropped_and_the_cell_runs_again(tmp_path):
    path = tmp_path / "j.jsonl"
    journal = Journal(path)
    journal.open(fresh=True)
    journal.append(result("a"))
    journal.close()
    with path.open("a") as handle:
        handle.write('{"feature_id": "b", "provid')
    assert [r.feature_id for r in Journal(path).read()] == ["a"]
    reopened = Journal(path)
    reopened.open(fresh=False)
    reopened.append(result("c"))
    reopened.close()
    assert [r.feature_id for r in Journal(path).read()] == ["a", "c"]


def test_corrupt_middle_line_is_a_clear_error(tmp_path):
    path = tmp_path / "j.jsonl"
    path.write_text('not json\n{"also": "bad"}\n')
    with pytest.raises(CompatError, match=r"j.jsonl:1: not a result record"):
        Journal(path).read()


def test_unwritable_location_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(CompatError, match="cannot write results"):
        Journal(blocker / "j.jsonl").open(fresh=True)
