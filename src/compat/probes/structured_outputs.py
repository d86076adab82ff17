"""`--json-schema` yields a `structured_output` that validates against the schema.

Claude Code carries the schema as a client tool, `StructuredOutput`, whose input schema is
the one given. A pass needs that tool with the schema's properties in an answered
upstream request, and a `structured_output` in the result that validates and carries the
nonce.
"""

from __future__ import annotations

import json

import jsonschema

from compat.driver import ClaudeInvocation, ClaudeRun
from compat.probes import register, wire
from compat.probes.base import CliProbe, ProbeContext, clip
from compat.probes.prompts import ask, offered_problem
from compat.upstream_log import RecordedRequest

TOOL = "StructuredOutput"

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

    def wire_problem(
        self, run: ClaudeRun, ctx: ProbeContext, records: list[RecordedRequest]
    ) -> str | None:
        problem = offered_problem(records, TOOL, "Claude Code's --json-schema tool")
        if problem is not None:
            return problem
        schemas = [
            tool.get("input_schema")
            for record in wire.answered(records)
            for tool in wire.tools(record)
            if tool.get("name") == TOOL
        ]
        expected = sorted(SCHEMA["properties"])
        for schema in schemas:
            properties = schema.get("properties") if isinstance(schema, dict) else None
            if isinstance(properties, dict) and sorted(properties) == expected:
                return None
        return (
            f"expected the {TOOL} tool upstream with the schema's properties {expected}, its "
            f"input schema arrived as {clip(json.dumps(schemas[0]))}: the proxy altered it"
        )

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
