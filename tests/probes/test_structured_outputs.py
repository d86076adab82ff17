"""Structured outputs: the reply matches the schema, and the schema reached upstream."""

from __future__ import annotations

import re

from compat.outcome import Pass
from support.recorded import (
    drop_tool,
    failed,
    judge,
    recorded_context,
    transcript,
)

NONCES = re.compile(r"COMPAT-[0-9A-F]{12}")


def test_structured_outputs_pass_on_the_recorded_transcript():
    assert judge("structured_outputs", transcript("structured_outputs")).outcome == Pass()


def test_structured_output_that_breaks_the_schema_fails():
    run = transcript(
        "structured_outputs",
        lambda t: t.replace('"structured_output":{', '"structured_output":{"extra":1,'),
    )
    failed(judge("structured_outputs", run), "does not match the schema")


def test_structured_outputs_fail_when_the_schema_tool_never_reached_upstream():
    ctx = recorded_context("structured_outputs", drop_tool("StructuredOutput"))
    verdict = judge("structured_outputs", transcript("structured_outputs"), ctx)
    failed(verdict, "expected Claude Code's --json-schema tool `StructuredOutput` in the upstream")
