"""`--json-schema` yields a `structured_output` that validates against the schema."""

from __future__ import annotations

import json

import jsonschema

from compat.driver import ClaudeInvocation, ClaudeRun
from compat.probes import register
from compat.probes.base import CliProbe, ProbeContext, clip
from compat.probes.prompts import ask

SCHEMA = {
    "type": "object",
    "properties": {
        "token": {"type": "string", "description": "the token, verbatim"},
        "confirmed": {"type": "boolean"},
    },
    "required": ["token", "confirmed"],
    "additionalProperties": False,
}


@register
class StructuredOutputs(CliProbe):
    feature_id = "structured_outputs"

    def invocation(self, ctx: ProbeContext) -> ClaudeInvocation:
        prompt = f"Return the token {ctx.nonce} as structured output, with `confirmed` set to true."
        return ask(ctx, prompt, "--json-schema", json.dumps(SCHEMA))

    def judge(self, run: ClaudeRun, ctx: ProbeContext) -> str | None:
        result = run.result
        output = result.structured_output if result is not None else None
        if output is None:
            return f"expected a structured_output, got none (reply: {clip(run.final_text)})"
        try:
            jsonschema.validate(output, SCHEMA)
        except jsonschema.ValidationError as exc:
            return f"structured_output does not match the schema: {exc.message}"
        if ctx.nonce not in output["token"]:
            return (
                f"expected token {ctx.nonce} in structured_output, got {clip(json.dumps(output))}"
            )
        return None
