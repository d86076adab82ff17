"""The error a red cell shows for each fault: what the upstream or the proxy said, without
Claude Code's and LiteLLM's wrapping. Inputs are what claude 2.1.329 reported through
LiteLLM 1.106.2 for the emulator's faults (the chain tests in this directory re-check them)."""

from __future__ import annotations

import pytest

from compat.driver import ClaudeRun, parse_transcript
from compat.probes.base import api_error_message, cli_failure

FOOTER = (
    "\n\nLiteLLM: model group 'claude-haiku-4-5' failed with the error above. No fallback was "
    "attempted. This is a server-side issue, usually temporary — try again in a moment. If it "
    "persists, check your inference gateway (127.0.0.1:40353)."
)


@pytest.mark.parametrize(
    ("status", "reported", "stderr", "shown"),
    [
        (
            429,
            "API Error: Request rejected (429) · litellm.RateLimitError: AnthropicException - "
            '{"type":"error","error":{"type":"rate_limit_error","message":"This request would '
            "exceed your organization's rate limit. Please try again later.\"},"
            '"request_id":"req_01"}' + FOOTER,
            "",
            "API error 429: litellm.RateLimitError: AnthropicException - rate_limit_error: This "
            "request would exceed your organization's rate limit. Please try again later.",
        ),
        (
            500,  # an upstream 529, as LiteLLM's Anthropic route relays it
            "API Error: 500 litellm.InternalServerError: AnthropicError - "
            '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},'
            '"request_id":"req_02"}' + FOOTER,
            "",
            "API error 500: litellm.InternalServerError: AnthropicError - overloaded_error: "
            "Overloaded",
        ),
        (
            500,
            "API Error: 500 litellm.InternalServerError: Vertex_aiException InternalServerError - "
            '[{"error":{"code":500,"message":"Internal server error","status":"INTERNAL"}}]'
            + FOOTER,
            "",
            "API error 500: litellm.InternalServerError: Vertex_aiException InternalServerError "
            "- INTERNAL: Internal server error",
        ),
        (
            429,
            "API Error: Request rejected (429) · litellm.RateLimitError: BedrockException - "
            '{"message":"Too many requests, please wait before trying again."}' + FOOTER,
            "",
            "API error 429: litellm.RateLimitError: BedrockException - Too many requests, please "
            "wait before trying again.",
        ),
        (
            500,  # a malformed SSE frame: LiteLLM quotes the half-built reply, claude complains
            "API Error: 500 litellm.APIConnectionError: AnthropicException - "
            '{"id":"msg_921409a15b76b000d4be5946","type":"message","role":"assistant",'
            '"content":[{"type":"thinking","thinking":"The request asks' + FOOTER,
            'Could not parse message into JSON: {"type":"content_block_delta","index":0\n'
            'From chunk: [ "event: content_block_delta" ]',
            "API error 500: litellm.APIConnectionError: AnthropicException - the stream broke "
            "off mid-reply; claude stderr: Could not parse message into JSON: "
            '{"type":"content_block_delta","index":0',
        ),
        (
            422,  # Bedrock Converse's JSON reply cut short
            "API Error: 422 litellm.BadRequestError: BedrockException - Error converting to "
            "valid response block=Unterminated string starting at: line 1 column 167 (char 166)"
            ". File an issue if litellm error - https://github.com/BerriAI/litellm/issues" + FOOTER,
            "",
            "API error 422: litellm.BadRequestError: BedrockException - Error converting to "
            "valid response block=Unterminated string starting at: line 1 column 167 (char 166)",
        ),
        (None, "", "", "API error (no message)"),
    ],
    ids=["429", "529-as-500", "vertex-500", "bedrock-429", "bad-sse-frame", "cut-json", "empty"],
)
def test_api_errors_read_as_what_went_wrong(status, reported, stderr, shown):
    assert api_error_message(status, reported, stderr) == shown


def test_a_timed_out_run_names_the_timeout_and_the_kill():
    run = ClaudeRun(
        argv=[], events=[], exit_code=None, stderr="", duration_ms=12000, timed_out=True
    )
    verdict = cli_failure(run, 12.0)
    assert verdict is not None and not verdict.retryable
    assert verdict.outcome.error == (
        "claude did not finish within 12s (the per-cell --timeout); its process group was killed"
    )


def test_a_500_is_retried_like_an_overload():
    line = (
        '{"type":"result","subtype":"success","is_error":true,"api_error_status":500,'
        '"result":"API Error: 500 Internal server error"}'
    )
    run = ClaudeRun(argv=[], events=parse_transcript(line), exit_code=1, stderr="", duration_ms=1)
    verdict = cli_failure(run, 60.0)
    assert verdict is not None and verdict.retryable
    assert verdict.outcome.error == "API error 500: Internal server error"
