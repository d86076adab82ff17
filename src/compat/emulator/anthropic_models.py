"""`GET /v1/models` of the first-party API: the Claude models the emulator serves, paged.

Query `limit` (1 to 1000, default 20), `before_id` and `after_id` cursors; the answer is
`{"data": [{"type": "model", "id", "display_name", "created_at"}], "has_more", "first_id",
"last_id"}`, most recently released first, with the same `x-api-key` and
`anthropic-version` checks as the Messages API.
Source: https://docs.claude.com/en/api/models-list
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from compat.emulator.messages_api import anthropic_error, check_anthropic_headers, new_request_id
from compat.emulator.types import EmulatorError

MAX_LIMIT = 1000
DEFAULT_LIMIT = 20


@dataclass(frozen=True)
class ListedModel:
    """One entry of the models list."""

    id: str
    display_name: str
    created_at: str
    """When the model was released, RFC 3339."""

    def info(self) -> dict[str, Any]:
        return {
            "type": "model",
            "id": self.id,
            "display_name": self.display_name,
            "created_at": self.created_at,
        }


# One model per tier the emulator serves (`capabilities.TIERS`), by its Claude API id.
# Ids: https://docs.claude.com/en/docs/about-claude/models/overview (the manifest's anthropic
# ids). Release dates: https://www.anthropic.com/news/claude-opus-4-7 (also Vertex's
# `claude-opus-4-7@20260416`), https://www.anthropic.com/news/claude-sonnet-4-6,
# https://www.anthropic.com/news/claude-haiku-4-5.
MODELS: tuple[ListedModel, ...] = (
    ListedModel("claude-opus-4-7", "Claude Opus 4.7", "2026-04-16T00:00:00Z"),
    ListedModel("claude-sonnet-4-6", "Claude Sonnet 4.6", "2026-02-17T00:00:00Z"),
    ListedModel("claude-haiku-4-5-20251001", "Claude Haiku 4.5", "2025-10-15T00:00:00Z"),
)
"""Most recently released first, the order the API lists them in."""


class ModelsQuery(BaseModel):
    """The query parameters of `GET /v1/models`."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    before_id: str | None = None
    after_id: str | None = None


def models_page(models: Sequence[ListedModel], query: ModelsQuery) -> dict[str, Any]:
    """One page of `models`: after `after_id`, before `before_id`, at most `limit` long.

    `before_id` alone pages backwards: the `limit` models just before it, `has_more` when
    earlier ones remain; otherwise the page starts after `after_id` (or at the start) and
    `has_more` says later ones remain.
    """
    ids = [model.id for model in models]
    start = _position(ids, "after_id", query.after_id) + 1 if query.after_id is not None else 0
    end = _position(ids, "before_id", query.before_id) if query.before_id is not None else len(ids)
    window = list(models[start:end])
    if query.before_id is not None and query.after_id is None:
        page = window[-query.limit :]
    else:
        page = window[: query.limit]
    return {
        "data": [model.info() for model in page],
        "has_more": len(window) > len(page),
        "first_id": page[0].id if page else None,
        "last_id": page[-1].id if page else None,
    }


def _position(ids: list[str], field: str, value: str) -> int:
    if value not in ids:
        # Not documented: the emulator refuses a cursor it never listed rather than guess.
        raise EmulatorError.invalid(f"{field}: no model with id '{value}'")
    return ids.index(value)


def _query_error(exc: ValidationError) -> EmulatorError:
    """A query the API refuses, in the `path: msg` shape of its validation errors."""
    first = exc.errors(include_url=False)[0]
    where = ".".join(str(part) for part in first["loc"])
    return EmulatorError.invalid(f"{where}: {first['msg']}")


async def list_models(request: Request) -> Response:
    """`GET /v1/models`."""
    refused = check_anthropic_headers(request, ("x-api-key",))
    if refused is not None:
        return anthropic_error(request, refused)
    try:
        query = ModelsQuery.model_validate(dict(request.query_params))
        page = models_page(MODELS, query)
    except ValidationError as exc:
        return anthropic_error(request, _query_error(exc))
    except EmulatorError as exc:
        return anthropic_error(request, exc)
    return JSONResponse(page, headers={"request-id": new_request_id()})
