"""`GET /v1/models` on the first-party API: the listed models, paging, limits and auth."""

from __future__ import annotations

from typing import Any

import anthropic
import httpx
import pytest

from compat.emulator import EmulatorServer
from compat.emulator.anthropic_models import MODELS, ModelsQuery, models_page
from compat.emulator.capabilities import TIERS, tier_of
from compat.emulator.types import EmulatorError
from support.wire_bodies import API_HEADERS, assert_anthropic_error

IDS = [model.id for model in MODELS]


def get_models(
    emulator: EmulatorServer, headers: dict[str, str] | None = None, **params: Any
) -> httpx.Response:
    return httpx.get(
        f"{emulator.url}/v1/models",
        params=params,
        headers=API_HEADERS if headers is None else headers,
    )


def test_one_model_per_tier_newest_first() -> None:
    assert sorted(tier_of(model_id) for model_id in IDS) == sorted(TIERS)
    created = [model.created_at for model in MODELS]
    assert created == sorted(created, reverse=True)


def test_the_list_in_the_documented_shape(emulator: EmulatorServer) -> None:
    response = get_models(emulator)
    assert response.status_code == 200
    assert response.headers["request-id"].startswith("req_")
    body = response.json()
    assert set(body) == {"data", "has_more", "first_id", "last_id"}
    assert [m["id"] for m in body["data"]] == IDS
    assert all(set(m) == {"type", "id", "display_name", "created_at"} for m in body["data"])
    assert all(m["type"] == "model" for m in body["data"])
    assert body["data"][1]["display_name"] == "Claude Sonnet 4.6"
    assert (body["has_more"], body["first_id"], body["last_id"]) == (False, IDS[0], IDS[-1])
    (record,) = emulator.ctx.recorder.query()
    assert (record.provider, record.method, record.path) == ("anthropic", "GET", "/v1/models")


def test_the_sdk_pages_through_every_model(emulator: EmulatorServer) -> None:
    client = anthropic.Anthropic(base_url=emulator.url, api_key="sk-test", max_retries=0)
    pages = client.models.list(limit=1)
    assert [model.id for model in pages] == IDS
    first = client.models.list(limit=2)
    assert first.has_more is True and [m.id for m in first.data] == IDS[:2]
    assert first.data[0].created_at.year == 2026


def test_after_id_pages_forward(emulator: EmulatorServer) -> None:
    body = get_models(emulator, limit=1, after_id=IDS[0]).json()
    assert [m["id"] for m in body["data"]] == [IDS[1]]
    assert body["has_more"] is True
    last = get_models(emulator, after_id=IDS[-1]).json()
    assert last == {"data": [], "has_more": False, "first_id": None, "last_id": None}


def test_before_id_pages_backward(emulator: EmulatorServer) -> None:
    body = get_models(emulator, limit=1, before_id=IDS[-1]).json()
    assert [m["id"] for m in body["data"]] == [IDS[-2]]
    assert body["has_more"] is True
    rest = get_models(emulator, before_id=IDS[-1]).json()
    assert [m["id"] for m in rest["data"]] == IDS[:-1]
    assert rest["has_more"] is False


def test_both_cursors_bound_the_page() -> None:
    page = models_page(MODELS, ModelsQuery(after_id=IDS[0], before_id=IDS[-1]))
    assert [m["id"] for m in page["data"]] == IDS[1:-1]


@pytest.mark.parametrize(
    ("limit", "fragment"),
    [
        ("0", "limit: Input should be greater than or equal to 1"),
        ("1001", "limit: Input should be less than or equal to 1000"),
        ("many", "limit: Input should be a valid integer"),
    ],
)
def test_a_limit_out_of_range_is_an_invalid_request(
    emulator: EmulatorServer, limit: str, fragment: str
) -> None:
    assert_anthropic_error(
        get_models(emulator, limit=limit), 400, "invalid_request_error", fragment
    )


def test_limit_bounds_are_inclusive(emulator: EmulatorServer) -> None:
    assert get_models(emulator, limit=1).status_code == 200
    assert len(get_models(emulator, limit=1000).json()["data"]) == len(IDS)


def test_an_unknown_cursor_is_refused() -> None:
    with pytest.raises(EmulatorError, match="after_id"):
        models_page(MODELS, ModelsQuery(after_id="claude-2.1"))


def test_the_messages_api_header_checks_apply(emulator: EmulatorServer) -> None:
    no_key = get_models(emulator, headers={"anthropic-version": "2023-06-01"})
    assert_anthropic_error(no_key, 401, "authentication_error", "x-api-key")
    no_version = get_models(emulator, headers={"x-api-key": "k"})
    assert_anthropic_error(no_version, 400, "invalid_request_error", "anthropic-version")
    bearer = get_models(
        emulator, headers={"authorization": "Bearer t", "anthropic-version": "2023-06-01"}
    )
    assert bearer.status_code == 200


def test_other_methods_are_not_found_like_any_unserved_path(emulator: EmulatorServer) -> None:
    response = httpx.post(f"{emulator.url}/v1/models", headers=API_HEADERS, json={})
    assert_anthropic_error(response, 404, "not_found_error", "Not Found")
