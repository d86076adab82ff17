"""A small, valid instance of a JSON schema: what the model answers for structured outputs.

The instance is minimal (objects carry their required properties only, arrays their
`minItems`), deterministic, and validated with `jsonschema` before it is returned, so a
schema the generator cannot satisfy fails loudly instead of yielding an invalid answer.
Strings carry `seed` (the prompt's nonce when there is one) so a caller can tell the
answer was made for its request.
"""

from __future__ import annotations

import math
from typing import Any

import jsonschema
from jsonschema.exceptions import SchemaError

from compat.emulator.types import EmulatorError

_MAX_DEPTH = 32
_STRING_FORMATS: dict[str, str] = {
    "date": "2026-01-01",
    "date-time": "2026-01-01T00:00:00Z",
    "time": "00:00:00Z",
    "email": "user@example.com",
    "hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "uri": "https://example.com/",
    "uuid": "00000000-0000-4000-8000-000000000000",
}


def schema_instance(
    schema: dict[str, Any],
    *,
    seed: str,
    where: str,
    overrides: dict[str, Any] | None = None,
) -> Any:
    """A minimal instance valid for `schema`; `where` names the schema in error messages.

    `overrides` sets top-level properties of an object instance (those the schema
    declares), for answers whose content is decided by the prompt rather than the schema.
    """
    validator_class = jsonschema.validators.validator_for(
        schema, default=jsonschema.Draft202012Validator
    )
    try:
        validator_class.check_schema(schema)
    except SchemaError as exc:
        raise EmulatorError("invalid_request_error", f"{where}: {exc.message}") from exc
    instance = _Generator(schema, seed).value(schema, 0)
    if isinstance(instance, dict) and overrides:
        declared = schema.get("properties") or {}
        instance.update({k: v for k, v in overrides.items() if k in declared})
    error = jsonschema.exceptions.best_match(validator_class(schema).iter_errors(instance))
    if error is not None:
        raise EmulatorError(
            "invalid_request_error", f"{where}: unsupported schema feature: {error.message}"
        )
    return instance


class _Generator:
    def __init__(self, root: dict[str, Any], seed: str) -> None:
        self._root = root
        self._seed = seed

    def value(self, schema: Any, depth: int) -> Any:
        if depth > _MAX_DEPTH or not isinstance(schema, dict):
            return self._seed
        if "$ref" in schema:
            return self.value(self._resolve(schema["$ref"]), depth + 1)
        if "const" in schema:
            return schema["const"]
        if schema.get("enum"):
            return schema["enum"][0]
        for key in ("anyOf", "oneOf"):
            if schema.get(key):
                return self.value(schema[key][0], depth + 1)
        if schema.get("allOf"):
            return self.value(_merge([schema, *schema["allOf"]]), depth + 1)
        kind = _first_type(schema)
        if kind == "object":
            return self._object(schema, depth)
        if kind == "array":
            return self._array(schema, depth)
        if kind in ("integer", "number"):
            return _number(schema, integer=kind == "integer")
        if kind == "boolean":
            return True
        if kind == "null":
            return None
        return self._string(schema)

    def _object(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        properties = schema.get("properties") or {}
        return {
            name: self.value(properties.get(name, {}), depth + 1)
            for name in schema.get("required") or []
        }

    def _array(self, schema: dict[str, Any], depth: int) -> list[Any]:
        prefix = schema.get("prefixItems") or []
        count = int(schema.get("minItems", 0))
        items = schema.get("items", {})
        return [
            self.value(prefix[i] if i < len(prefix) else items, depth + 1) for i in range(count)
        ]

    def _string(self, schema: dict[str, Any]) -> str:
        text = _STRING_FORMATS.get(str(schema.get("format")), self._seed)
        min_length = int(schema.get("minLength", 0))
        if len(text) < min_length:
            text = text + "x" * (min_length - len(text))
        if "maxLength" in schema:
            text = text[: int(schema["maxLength"])]
        return text

    def _resolve(self, ref: str) -> Any:
        if not ref.startswith("#"):
            raise EmulatorError("invalid_request_error", f"unsupported $ref: {ref}")
        node: Any = self._root
        for part in ref.lstrip("#").split("/"):
            if part:
                node = node.get(part.replace("~1", "/").replace("~0", "~"), {})
        return node


def _first_type(schema: dict[str, Any]) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        # Prefer a real value over null when a field is nullable.
        kind = next((k for k in kind if k != "null"), kind[0] if kind else None)
    if kind is None and ("properties" in schema or "required" in schema):
        return "object"
    if kind is None and "items" in schema:
        return "array"
    return kind if isinstance(kind, str) else None


def _number(schema: dict[str, Any], *, integer: bool) -> int | float:
    low = schema.get("minimum")
    high = schema.get("maximum")
    step = 1 if integer else 0.5
    if "exclusiveMinimum" in schema:
        low = schema["exclusiveMinimum"] + step
    if "exclusiveMaximum" in schema:
        high = schema["exclusiveMaximum"] - step
    value: float = 0
    if low is not None and value < low:
        value = low
    if high is not None and value > high:
        value = high
    multiple = schema.get("multipleOf")
    if multiple:
        value = math.ceil(value / multiple) * multiple
    if integer or float(value).is_integer():
        return math.ceil(value) if integer else int(value)
    return value


def _merge(schemas: list[Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for part in schemas:
        if not isinstance(part, dict):
            continue
        for key, value in part.items():
            if key == "allOf":
                continue
            if key == "properties":
                merged["properties"] = {**merged.get("properties", {}), **value}
            elif key == "required":
                merged["required"] = [*merged.get("required", []), *value]
            else:
                merged.setdefault(key, value)
    return merged
