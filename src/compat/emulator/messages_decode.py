"""Decode an Anthropic-shaped request body into the `NeutralRequest` the model answers.

`validate_messages_request` checks the envelope the wire names, then the body, then the
rules a schema cannot express, and words each refusal the way that platform does.

Sources, cited again beside each rule:
- Messages API reference: https://platform.claude.com/docs/en/api/messages/create
- Errors: https://docs.claude.com/en/api/errors
- Beta headers: https://docs.anthropic.com/en/api/beta-headers
- Bedrock: https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-anthropic-claude-messages-request-response.html
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from compat.emulator.messages_checks import check_messages, check_system, check_tools
from compat.emulator.messages_envelope import (
    ENVELOPE_KEYS,
    Endpoint,
    EnvelopeRules,
    envelope_validator,
)
from compat.emulator.messages_schema import SERVER_TOOL_TYPES, tool_tag
from compat.emulator.types import EmulatorError, NeutralRequest, ProviderId

# Request size limit for the Messages and Token Counting APIs (32 MB).
# Source: https://docs.claude.com/en/api/errors ("Request size limits").
MAX_BODY_BYTES = 32 * 1024 * 1024

# --- error wording ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Violation:
    """One schema error, located by its JSON path in the request body."""

    path: tuple[str, ...]
    kind: str
    message: str


def _json_path(payload: Any, loc: tuple[int | str, ...]) -> tuple[str, ...]:
    """The JSON path of a pydantic location, without the union tags pydantic inserts."""
    node, path = payload, []
    for part in loc:
        # A tagged union puts the tag (the block's `type`, the message's `role`) before the
        # member's fields; skip it even when a field has the same name (`text.text`).
        if isinstance(node, Mapping) and part in (node.get("type"), node.get("role")):
            continue
        in_object = isinstance(node, Mapping) and part in node
        in_array = isinstance(node, list) and isinstance(part, int) and part < len(node)
        if in_object or in_array:
            node = node[part]
            path.append(str(part))
    return tuple(path)


def _violations(payload: Any, errors: list[ErrorDetails]) -> list[_Violation]:
    """Schema errors located in the body, minus union branches a deeper error explains."""
    # A content list that fails also fails the `str` alternative at the list itself; only
    # the error inside the list says what is wrong.
    located = []
    for error in errors:
        loc = error["loc"]
        path = _json_path(payload, loc)
        message = error["msg"]
        if error["type"] == "missing":
            path = (*_json_path(payload, loc[:-1]), str(loc[-1]))
        elif error["type"] == "invalid_tool_type":
            tags = ", ".join(f"'{tag}'" for tag in ("custom", *sorted(SERVER_TOOL_TYPES)))
            message = (
                f"Input tag '{tool_tag(_node(payload, path))}' found using 'type' does not "
                f"match any of the expected tags: {tags}"
            )
        located.append(_Violation(path, error["type"], message))
    return [
        v
        for v in located
        if not any(len(o.path) > len(v.path) and o.path[: len(v.path)] == v.path for o in located)
    ]


def _node(payload: Any, path: tuple[str, ...]) -> Any:
    node = payload
    for part in path:
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def _anthropic_message(violation: _Violation) -> str:
    """`path: msg`, the shape of the real API's validation errors."""
    # Example from the wild: "output_config: Extra inputs are not permitted"
    # (https://github.com/OpenHands/software-agent-sdk/issues/1630).
    path = ".".join(violation.path)
    return f"{path}: {violation.message}" if path else violation.message


def _bedrock_message(violations: list[_Violation]) -> str:
    """Bedrock's schema-validator wording, every violation listed."""
    # Source: "Malformed input request: #: extraneous key [stream] is not permitted, please
    # reformat your input and try again." (https://github.com/sigoden/aichat/issues/543).
    parts = []
    for v in violations:
        if v.kind in ("extra_forbidden", "missing") and v.path:
            where = "/".join(("#", *v.path[:-1]))
            if v.kind == "extra_forbidden":
                parts.append(f"{where}: extraneous key [{v.path[-1]}] is not permitted")
            else:
                parts.append(f"{where}: required key [{v.path[-1]}] not found")
        else:
            parts.append(f"{'/'.join(('#', *v.path))}: {v.message}")
    return f"Malformed input request: {''.join(parts)}, please reformat your input and try again."


# --- decoding --------------------------------------------------------------------------


def parse_json_body(raw: bytes) -> dict[str, Any]:
    """Decode a request body into a JSON object, or raise the API's error for it."""
    if len(raw) > MAX_BODY_BYTES:
        # Source: https://docs.claude.com/en/api/errors (413 request_too_large).
        raise EmulatorError(
            "request_too_large", "Request exceeds the maximum allowed number of bytes."
        )
    try:
        payload = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EmulatorError.invalid(
            f"There was an error parsing the body of your request: {exc}"
        ) from exc
    if not isinstance(payload, dict):
        raise EmulatorError.invalid("The request body must be a JSON object")
    return payload


def parse_beta_header(value: str | None) -> frozenset[str]:
    """The flags of a comma-separated `anthropic-beta` header."""
    # Source: https://docs.anthropic.com/en/api/beta-headers ("anthropic-beta: feature1,feature2").
    if not value:
        return frozenset()
    return frozenset(part.strip() for part in value.split(",") if part.strip())


def validate_messages_request(
    payload: dict[str, Any],
    *,
    provider: ProviderId,
    envelope: EnvelopeRules,
    endpoint: Endpoint = "messages",
    model: str | None = None,
    header_betas: Iterable[str] = (),
) -> NeutralRequest:
    """Check one Messages (or count-tokens) body as `provider` would, and neutralise it."""
    # `envelope` is where the wire carries the envelope fields; `model` is the model named
    # by the URL (Vertex, Bedrock); `header_betas` are the flags of the `anthropic-beta`
    # header. Refusals raise `EmulatorError` in the provider's words.
    try:
        body = envelope_validator(envelope, endpoint).validate_python(payload)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False, include_input=False)
        violations = _violations(payload, errors)
        message = (
            _bedrock_message(violations)
            if envelope.bedrock_messages
            else _anthropic_message(violations[0])
        )
        raise EmulatorError.invalid(message) from None
    betas = frozenset(header_betas) | frozenset(getattr(body, "anthropic_beta", None) or ())
    resolved_model = getattr(body, "model", None) or model
    if not resolved_model:
        raise EmulatorError.invalid("model: Field required")
    check_system(body.system)
    check_messages(body.messages, betas)
    check_tools(body.tools, body.tool_choice)
    # What the platform accepts (betas, beta-gated fields, thinking, tools, the context
    # window) is checked once, by the model's capability check, on the neutral request.
    stream = bool(getattr(body, "stream", None))
    return NeutralRequest(
        provider=provider,
        model=resolved_model,
        body={key: value for key, value in payload.items() if key not in ENVELOPE_KEYS},
        betas=betas,
        stream=stream,
    )
