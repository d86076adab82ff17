"""Native API passthrough: Claude Code in each platform's own mode, judged on what arrived."""

from __future__ import annotations

import pytest

from compat.driver import ClaudeRun
from compat.outcome import Pass
from compat.probes.passthrough import NATIVE_MODES, Passthrough
from compat.run.cells import Cell
from compat.upstream_log import RecordedRequest
from support.recorded import (
    PROXY,
    failed,
    judge,
    made_record,
    no_records,
    recorded_context,
    transcript,
)

PROBE = Passthrough()


def test_passthrough_passes_on_its_recorded_round_trip():
    assert judge("passthrough", transcript("passthrough")).outcome == Pass()


def test_passthrough_passes_live_on_the_stream_alone():
    ctx = recorded_context("passthrough", lambda records: None)
    assert judge("passthrough", transcript("passthrough"), ctx).outcome == Pass()


def test_a_request_without_the_beta_header_fails():
    def strip(records):
        for record in records:
            record["headers"].pop("anthropic-beta", None)
        return records

    failed(
        judge("passthrough", transcript("passthrough"), recorded_context("passthrough", strip)),
        "expected Claude Code's betas in the header `anthropic-beta`, it arrived without them",
    )


def test_a_request_without_the_version_header_fails():
    def strip(records):
        for record in records:
            record["headers"].pop("anthropic-version", None)
        return records

    failed(
        judge("passthrough", transcript("passthrough"), recorded_context("passthrough", strip)),
        "expected header `anthropic-version: 2023-06-01`, found None",
    )


def test_a_request_served_by_another_wire_fails():
    def elsewhere(records):
        for record in records:
            record["provider"] = "bedrock_converse"
        return records

    failed(
        judge("passthrough", transcript("passthrough"), recorded_context("passthrough", elsewhere)),
        "expected the request in anthropic's own wire, the proxy sent POST /v1/messages (200) "
        "to bedrock_converse",
    )


def test_a_buffered_upstream_request_fails():
    def buffered(records):
        for record in records:
            record["body"]["stream"] = False
        return records

    failed(
        judge("passthrough", transcript("passthrough"), recorded_context("passthrough", buffered)),
        "expected the streaming operation of anthropic's API",
    )


def test_no_upstream_request_fails():
    failed(
        judge(
            "passthrough", transcript("passthrough"), recorded_context("passthrough", no_records)
        ),
        "no upstream request carrying this run's prompt reached the emulator",
    )


def test_one_text_delta_is_a_buffered_stream():
    def one_delta(text: str) -> str:
        kept, seen = [], False
        for line in text.splitlines():
            if '"text_delta"' in line:
                if seen:
                    continue
                seen = True
            kept.append(line)
        return "\n".join(kept)

    failed(
        judge("passthrough", transcript("passthrough", one_delta)),
        "expected at least 2 text_delta stream events in Claude Code's native mode, saw 1",
    )


def _context(provider: str):
    ctx = recorded_context("passthrough")
    return ctx.__class__(
        cell=Cell("passthrough", provider, "haiku-4-5"),
        alias=f"claude-haiku-4-5-{provider}",
        proxy=PROXY,
        upstream_model=f"native-{provider}",
    )


@pytest.mark.parametrize(
    ("provider", "model", "variables"),
    [
        ("anthropic", "native-anthropic", {"ANTHROPIC_BASE_URL": "http://127.0.0.1:9/anthropic"}),
        (
            "bedrock_invoke",
            "claude-haiku-4-5-bedrock_invoke",
            {
                "CLAUDE_CODE_USE_BEDROCK": "1",
                "CLAUDE_CODE_SKIP_BEDROCK_AUTH": "1",
                "ANTHROPIC_BEDROCK_BASE_URL": "http://127.0.0.1:9/bedrock",
            },
        ),
        (
            "vertex_ai",
            "native-vertex_ai",
            {
                "CLAUDE_CODE_USE_VERTEX": "1",
                "CLAUDE_CODE_SKIP_VERTEX_AUTH": "1",
                "ANTHROPIC_VERTEX_BASE_URL": "http://127.0.0.1:9/vertex_ai/v1",
            },
        ),
        (
            "azure",
            "native-azure",
            {
                "CLAUDE_CODE_USE_FOUNDRY": "1",
                "ANTHROPIC_FOUNDRY_BASE_URL": "http://127.0.0.1:9/azure/anthropic",
                "ANTHROPIC_FOUNDRY_API_KEY": "sk-test",
            },
        ),
    ],
)
def test_each_platform_mode_points_claude_code_at_its_route(provider, model, variables):
    invocation = PROBE.invocation(_context(provider))
    assert invocation.model == model
    assert variables.items() <= dict(invocation.env).items()
    # The proxy's key is the only credential Claude Code is given.
    secrets = {v for k, v in invocation.env.items() if "KEY" in k or "TOKEN" in k}
    assert secrets <= {"sk-test"}


def test_a_provider_without_a_native_mode_is_refused_by_name():
    with pytest.raises(ValueError, match="no Claude Code mode reaches provider 'bedrock_converse'"):
        PROBE.invocation(_context("bedrock_converse"))


def _record(provider: str, path: str, body: dict, headers: dict | None = None) -> RecordedRequest:
    return made_record(path, body, headers, provider=provider)


def test_bedrock_needs_its_body_version_and_betas():
    ctx = _context("bedrock_invoke")
    path = "/model/us.anthropic.claude-haiku-4-5-20251001-v1:0/invoke-with-response-stream"
    good = {"anthropic_version": "bedrock-2023-05-31", "anthropic_beta": ["x"], "messages": []}
    run = ClaudeRun(argv=[], events=[], exit_code=0, stderr="", duration_ms=1)
    assert PROBE.wire_problem(run, ctx, [_record("bedrock_invoke", path, good)]) is None
    problem = PROBE.wire_problem(
        run, ctx, [_record("bedrock_invoke", path, {**good, "anthropic_beta": []})]
    )
    assert problem is not None and "body `anthropic_beta`" in problem
    converted = PROBE.wire_problem(
        run, ctx, [_record("bedrock_invoke", path.replace("-with-response-stream", ""), good)]
    )
    assert converted is not None and "streaming operation of bedrock_invoke" in converted


def test_vertex_needs_its_body_version_on_stream_raw_predict():
    ctx = _context("vertex_ai")
    path = "/v1/projects/p/locations/us-east5/publishers/anthropic/models/m:streamRawPredict"
    body = {"anthropic_version": "vertex-2023-10-16", "messages": []}
    run = ClaudeRun(argv=[], events=[], exit_code=0, stderr="", duration_ms=1)
    headers = {"anthropic-beta": "claude-code-20250219"}
    assert PROBE.wire_problem(run, ctx, [_record("vertex_ai", path, body, headers)]) is None
    wrong = PROBE.wire_problem(
        run, ctx, [_record("vertex_ai", path, {**body, "anthropic_version": "x"}, headers)]
    )
    assert wrong is not None and "vertex-2023-10-16" in wrong


def test_every_native_mode_has_a_streaming_operation():
    assert set(NATIVE_MODES) == {"anthropic", "bedrock_invoke", "vertex_ai", "azure"}
