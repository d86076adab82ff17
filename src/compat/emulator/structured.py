"""Structured answers: a JSON instance of the requested schema that carries the prompt's answer."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from compat.emulator import instructions
from compat.emulator.conversation import Answer, Conversation, text_block
from compat.emulator.json_instance import schema_instance
from compat.emulator.types import EmulatorError

T = TypeVar("T")

# Property names under which a structured answer carries the number the prompt asked for.
_ANSWER_NAMES = frozenset({"answer", "result", "value", "sum", "total", "number"})


def output_schema(body: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The requested JSON schema and where it was given (GA or beta form)."""
    output_config = body.get("output_config")
    candidates = (
        (
            "output_config.format",
            output_config.get("format") if isinstance(output_config, dict) else None,
        ),
        ("output_format", body.get("output_format")),
    )
    for where, fmt in candidates:
        if fmt is None:
            continue
        if not isinstance(fmt, dict) or fmt.get("type") != "json_schema":
            raise EmulatorError.invalid(f"{where}.type: Input should be 'json_schema'")
        schema = fmt.get("schema")
        if not isinstance(schema, dict):
            raise EmulatorError.invalid(f"{where}.schema: Field required")
        return f"{where}.schema", schema
    return None


def numeric_answer(schema: dict[str, Any], prompt: str) -> dict[str, Any]:
    """The property that carries the sum the prompt asks for, with its value; else nothing.

    A sum the prompt asks for ("What is 2 + 2?") fills the schema's one numeric property,
    or the numeric property named like an answer.
    """
    sum_asked = instructions.arithmetic(prompt)
    properties = schema.get("properties")
    if sum_asked is None or not isinstance(properties, dict):
        return {}
    numeric = [
        name
        for name, spec in properties.items()
        if isinstance(spec, dict)
        and spec.get("type") in ("integer", "number")
        and (spec.get("type") == "number" or isinstance(sum_asked.value, int))
    ]
    named = [name for name in numeric if name.lower() in _ANSWER_NAMES]
    chosen = named[:1] or (numeric if len(numeric) == 1 else [])
    return {chosen[0]: sum_asked.value} if chosen else {}


def with_answer(build: Callable[[dict[str, Any] | None], T], answer: dict[str, Any]) -> T:
    """`build(answer)`, or the minimal `build(None)` when the schema cannot hold the answer.

    An answer the schema cannot hold is left out, never forced in.
    """
    if answer:
        try:
            return build(answer)
        except EmulatorError:
            pass  # the answer does not fit the schema's bounds: answer minimally instead
    return build(None)


def structured_text(c: Conversation) -> Answer | None:
    """Rule 2: a text reply holding one instance of the requested output schema."""
    # Source: https://platform.claude.com/docs/en/build-with-claude/structured-outputs
    found = output_schema(c.body)
    if found is None:
        return None
    where, schema = found
    instance = with_answer(
        lambda answer: schema_instance(
            schema, seed=c.nonce or "example", where=where, overrides=answer
        ),
        numeric_answer(schema, c.prompt),
    )
    return Answer(
        [text_block(json.dumps(instance, ensure_ascii=False))],
        "answer with JSON that matches the requested schema",
    )
