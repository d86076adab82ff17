"""What every probe shares: API errors, timeouts and crashes, live runs, wire problems first."""

from __future__ import annotations

import jsonschema
import pytest

from compat.driver import ClaudeRun, parse_transcript
from compat.outcome import Fail, Pass
from compat.probes.base import cli_failure
from compat.probes.structured_outputs import SCHEMA
from support.recorded import (
    CLI_FEATURES,
    FIXTURES,
    PROBES,
    drop_tool,
    judge,
    recorded_context,
    transcript,
)


def error_run(name: str, exit_code: int = 1) -> ClaudeRun:
    events = parse_transcript((FIXTURES / "transcripts" / f"{name}.jsonl").read_text())
    return ClaudeRun(argv=[], events=events, exit_code=exit_code, stderr="", duration_ms=1)


@pytest.mark.parametrize(
    "feature", [f for f in CLI_FEATURES if not PROBES[f].needs_upstream_record]
)
def test_every_cli_probe_passes_its_recording_live_on_the_transcript_alone(feature):
    ctx = recorded_context(feature, lambda records: None)
    assert judge(feature, transcript(feature), ctx).outcome == Pass()


@pytest.mark.parametrize("feature", [f for f in CLI_FEATURES if PROBES[f].needs_upstream_record])
def test_a_probe_judged_on_the_record_passes_its_recording_with_it(feature):
    assert judge(feature, transcript(feature), recorded_context(feature)).outcome == Pass()


@pytest.mark.parametrize("feature", CLI_FEATURES)
def test_an_overloaded_upstream_is_a_retryable_failure_for_every_probe(feature):
    verdict = judge(feature, error_run("error_529"))
    assert isinstance(verdict.outcome, Fail) and verdict.retryable
    assert verdict.outcome.error.startswith("API error 529")


def test_a_400_is_a_final_failure_naming_the_upstream_error():
    verdict = judge(
        "tool_use", error_run("error_400"), recorded_context("tool_use", lambda r: None)
    )
    assert isinstance(verdict.outcome, Fail) and not verdict.retryable
    assert "API error 400" in verdict.outcome.error


def test_what_the_proxy_dropped_comes_before_the_refusal_it_caused():
    ctx = recorded_context("tool_use", drop_tool("Bash"))
    verdict = judge("tool_use", error_run("error_400"), ctx)
    assert isinstance(verdict.outcome, Fail) and not verdict.retryable
    error = verdict.outcome.error
    assert error.startswith("expected the tool `Bash` in the upstream request's `tools`")
    assert "; API error 400" in error


def test_a_timeout_and_a_crash_are_failures():
    timed_out = ClaudeRun(
        argv=[], events=[], exit_code=None, stderr="", duration_ms=1, timed_out=True
    )
    failure = cli_failure(timed_out, 30)
    assert failure is not None and "did not finish within 30s" in failure.outcome.error
    crashed = ClaudeRun(argv=[], events=[], exit_code=2, stderr="boom\nSegfault", duration_ms=1)
    failure = cli_failure(crashed, 30)
    assert failure is not None and "exited with code 2 without a result event: Segfault" in (
        failure.outcome.error
    )


def test_structured_output_schema_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
