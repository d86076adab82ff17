"""Structured outputs: schema instances, forced tools and the StructuredOutput tool."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compat.emulator.json_instance import schema_instance
from compat.emulator.model import Model
from support.model_requests import (
    BASH_TOOL,
    NONCE,
    ask,
    rejection,
    texts,
    types,
)

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "status": {"type": "string", "enum": ["pass", "fail"]},
        "nonce": {"type": "string"},
        "score": {"type": "integer", "minimum": 3, "maximum": 9},
        "ratio": {"type": "number", "exclusiveMinimum": 0.5},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
        "detail": {"$ref": "#/$defs/detail"},
        "note": {"type": ["string", "null"]},
        "optional": {"type": "string"},
    },
    "required": ["status", "nonce", "score", "ratio", "tags", "detail", "note"],
    "additionalProperties": False,
    "$defs": {
        "detail": {
            "type": "object",
            "properties": {"ok": {"type": "boolean"}},
            "required": ["ok"],
        }
    },
}


@pytest.mark.parametrize(
    ("body", "betas"),
    [
        ({"output_config": {"format": {"type": "json_schema", "schema": SCHEMA}}}, ()),
        (
            {"output_format": {"type": "json_schema", "schema": SCHEMA}},
            ("structured-outputs-2025-11-13",),
        ),
    ],
)
def test_structured_output_is_a_valid_instance_of_the_schema(
    model: Model, body: dict[str, Any], betas: tuple[str, ...]
) -> None:
    reply = model.respond(ask(f"Report the status for {NONCE}.", betas=betas, **body))
    answer = json.loads(texts(reply))
    jsonschema.validate(answer, SCHEMA)
    assert answer["nonce"] == NONCE
    assert answer["status"] == "pass"
    assert len(answer["tags"]) == 2


def test_an_invalid_schema_is_rejected(model: Model) -> None:
    body: dict[str, Any] = {
        "output_config": {"format": {"type": "json_schema", "schema": {"type": "nope"}}}
    }
    assert rejection(model, ask(**body)).startswith("output_config.format.schema:")


def test_a_format_other_than_json_schema_is_rejected(model: Model) -> None:
    body: dict[str, Any] = {"output_config": {"format": {"type": "xml", "schema": {}}}}
    assert "Input should be 'json_schema'" in rejection(model, ask(**body))


def test_a_forced_tool_is_called_with_a_valid_input(model: Model) -> None:
    tool = {"name": "report", "input_schema": SCHEMA}
    reply = model.respond(ask(tools=[tool], tool_choice={"type": "tool", "name": "report"}))
    assert types(reply) == ["tool_use"]
    jsonschema.validate(reply.content[0]["input"], SCHEMA)


def test_forcing_an_unknown_tool_is_rejected(model: Model) -> None:
    req = ask(tools=[BASH_TOOL], tool_choice={"type": "tool", "name": "Write"})
    assert "Tool 'Write' not found" in rejection(model, req)


STRUCTURED_OUTPUT_TOOL = {"name": "StructuredOutput", "input_schema": SCHEMA}


def test_the_structured_output_tool_is_called_when_asked_for(model: Model) -> None:
    reply = model.respond(
        ask(f"Give the status of {NONCE} as structured output.", tools=[STRUCTURED_OUTPUT_TOOL])
    )
    call = reply.content[-1]
    assert call["name"] == "StructuredOutput"
    jsonschema.validate(call["input"], SCHEMA)
    assert call["input"]["nonce"] == NONCE


def test_the_structured_output_tool_is_not_called_unprompted(model: Model) -> None:
    reply = model.respond(ask(f"Say {NONCE}", tools=[STRUCTURED_OUTPUT_TOOL]))
    assert reply.stop_reason == "end_turn"


@st.composite
def schemas(draw: st.DrawFn, depth: int = 0) -> dict[str, Any]:
    """Schemas built from the keywords structured outputs support."""
    kinds = ["string", "integer", "number", "boolean", "enum"]
    kind = draw(st.sampled_from([*kinds, "object", "array"] if depth < 3 else kinds))
    if kind == "enum":
        return {"enum": draw(st.lists(st.text(max_size=5), min_size=1, max_size=3))}
    schema: dict[str, Any] = {"type": kind}
    if kind in ("integer", "number"):
        low = draw(st.integers(-50, 50))
        schema.update(minimum=low, maximum=low + draw(st.integers(0, 20)))
    elif kind == "string":
        schema.update(minLength=draw(st.integers(0, 30)))
    elif kind == "array":
        schema.update(items=draw(schemas(depth + 1)), minItems=draw(st.integers(0, 3)))
    elif kind == "object":
        names = draw(
            st.lists(st.from_regex(r"[a-z]{1,8}", fullmatch=True), unique=True, max_size=4)
        )
        schema["properties"] = {name: draw(schemas(depth + 1)) for name in names}
        schema["required"] = [n for n in names if draw(st.booleans())]
        schema["additionalProperties"] = False
    return schema


@settings(max_examples=200, deadline=None)
@given(schemas())
def test_generated_instances_validate_against_their_schema(schema: dict[str, Any]) -> None:
    jsonschema.validate(schema_instance(schema, seed=NONCE, where="schema"), schema)
