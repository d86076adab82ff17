from __future__ import annotations

import pytest
from pydantic import ValidationError

from compat.outcome import (
    Fail,
    NotApplicable,
    NotTested,
    Pass,
    ResultsFile,
    TierResult,
    parse_outcome,
)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"status": "pass"}, Pass()),
        ({"status": "fail", "error": "boom"}, Fail(error="boom")),
        ({"status": "not_applicable", "reason": "no"}, NotApplicable(reason="no")),
        ({"status": "not_tested"}, NotTested()),
    ],
)
def test_each_outcome_shape_parses(data, expected):
    assert parse_outcome(data) == expected
    assert parse_outcome(data).model_dump() == data


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"status": "fail"}, "error"),
        ({"status": "fail", "error": ""}, "non-empty"),
        ({"status": "fail", "error": "   "}, "non-empty"),
        ({"status": "not_applicable"}, "reason"),
        ({"status": "not_applicable", "reason": ""}, "non-empty"),
        ({"status": "pass", "error": "x"}, "Extra inputs"),
        ({"status": "not_tested", "reason": "x"}, "Extra inputs"),
        ({"status": "fail", "error": "x", "reason": "y"}, "Extra inputs"),
        ({"status": "skipped"}, "does not match any of the expected tags"),
        ({}, "Unable to extract tag"),
        ({"status": None}, "status"),
        ({"status": "pass", "error": None}, "Extra inputs"),
    ],
)
def test_invalid_outcomes_are_rejected_at_construction(data, fragment):
    with pytest.raises(ValidationError) as info:
        parse_outcome(data)
    assert fragment in str(info.value)


def test_direct_construction_rejects_empty_error():
    with pytest.raises(ValidationError):
        Fail(error="")
    with pytest.raises(ValidationError):
        NotApplicable(reason="")


def test_tier_result_round_trips_with_evidence():
    result = TierResult.model_validate(
        {
            "feature_id": "vision",
            "provider": "vertex_ai",
            "tier": "opus-4-7",
            "outcome": {"status": "fail", "error": "colour mismatch"},
            "duration_ms": 1234,
            "evidence": {
                "usage": {"input_tokens": 10},
                "upstream_requests": [
                    {"provider": "vertex_ai", "method": "POST", "path": "/v1/x", "status": 400}
                ],
                "transcript_excerpt": "…",
            },
        }
    )
    assert result.key == ("vision", "vertex_ai", "opus-4-7")
    assert TierResult.model_validate(result.model_dump()) == result


def test_tier_result_rejects_unknown_keys_and_negative_duration():
    base = {"feature_id": "f", "provider": "p", "tier": "t", "outcome": {"status": "pass"}}
    with pytest.raises(ValidationError):
        TierResult.model_validate({**base, "colour": "red"})
    with pytest.raises(ValidationError):
        TierResult.model_validate({**base, "duration_ms": -1})


def test_results_file_requires_known_upstream_mode():
    doc = {"versions": {"litellm": "1", "claude_code": "2"}, "upstream": "emulated"}
    assert ResultsFile.model_validate(doc).upstream == "emulated"
    with pytest.raises(ValidationError):
        ResultsFile.model_validate({**doc, "upstream": "simulated"})
    with pytest.raises(ValidationError):
        ResultsFile.model_validate({**doc, "schema_version": "2"})
