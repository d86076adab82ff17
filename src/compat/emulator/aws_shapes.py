"""AWS JSON structures as Bedrock validates them, and AWS's wording for what fails.

Members outside the API model are refused and types are strict, as the Bedrock Runtime
service model (botocore's `bedrock-runtime`) defines them; errors read like AWS's own
"1 validation error detected: Value at '...' failed to satisfy constraint: ...".
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, ClassVar, Self, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, model_validator

from compat.emulator.types import EmulatorError


def _blob(value: object) -> bytes:
    # JSON carries Converse blobs as base64 strings (AWS rest-json protocol).
    if not isinstance(value, str):
        raise ValueError("expected a base64-encoded string")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error as exc:
        raise ValueError("invalid base64 data") from exc


Blob = Annotated[bytes, BeforeValidator(_blob)]


class AwsShape(BaseModel):
    """An AWS JSON structure: members outside the API model are refused, types are strict."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    # Members the API defines but the emulator does not model; named so the error says so.
    unmodelled: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _refuse_unmodelled(cls, data: object) -> object:
        if isinstance(data, Mapping):
            for name in sorted(cls.unmodelled & set(data)):
                raise ValueError(f"{cls.__name__}.{name} is not supported by this emulator")
        return data


class AwsUnion(AwsShape):
    """An AWS JSON union: exactly one member may be set."""

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        present = [name for name in type(self).model_fields if getattr(self, name) is not None]
        if len(present) != 1:
            raise ValueError(f"exactly one member of {type(self).__name__} must be set")
        return self


ShapeT = TypeVar("ShapeT", bound=BaseModel)


def _aws_path(location: Sequence[int | str]) -> str:
    # AWS validation messages name list items 1-based with a `.member` suffix.
    return ".".join(f"{part + 1}.member" if isinstance(part, int) else part for part in location)


# AWS's wording for each kind of constraint violation, keyed by pydantic error type.
_CONSTRAINTS: dict[str, str] = {
    "missing": "Member must not be null",
    "extra_forbidden": "Member is not defined in the API model",
    "literal_error": "Member must satisfy enum value set: [{expected}]",
    "greater_than_equal": "Member must have value greater than or equal to {ge}",
    "less_than_equal": "Member must have value less than or equal to {le}",
    "too_short": "Member must have length greater than or equal to {min_length}",
    "bytes_too_short": "Member must have length greater than or equal to {min_length}",
    "string_too_short": "Member must have length greater than or equal to {min_length}",
    "too_long": "Member must have length less than or equal to {max_length}",
    "string_too_long": "Member must have length less than or equal to {max_length}",
    "string_pattern_mismatch": "Member must satisfy regular expression pattern: {pattern}",
}


def _constraint(error: Mapping[str, Any]) -> str:
    ctx = error.get("ctx", {})
    if error["type"] == "value_error":
        return str(ctx["error"])
    template = _CONSTRAINTS.get(error["type"])
    return template.format(**ctx) if template else str(error["msg"])


def validation_message(exc: ValidationError) -> str:
    """Render pydantic errors in the shape of AWS's own validation messages."""
    errors = exc.errors()
    parts = [
        f"Value at '{_aws_path(error['loc'])}' failed to satisfy constraint: {_constraint(error)}"
        if error["loc"]
        else _constraint(error)
        for error in errors
    ]
    noun = "error" if len(errors) == 1 else "errors"
    return f"{len(errors)} validation {noun} detected: " + "; ".join(parts)


def parse(shape: type[ShapeT], body: object) -> ShapeT:
    """Validate a decoded JSON body against a Converse shape or raise ValidationException."""
    try:
        return shape.model_validate(body)
    except ValidationError as exc:
        raise EmulatorError.invalid(validation_message(exc)) from None
