"""JSON over HTTP with httpx: every failure becomes one CompatError saying what to do."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from compat import __version__
from compat.durations import format_duration
from compat.errors import CompatError
from compat.redact import strip_url_credentials

if TYPE_CHECKING:
    from pydantic import BaseModel

ModelT = TypeVar("ModelT", bound="BaseModel")

TIMEOUT_SECONDS = 30.0
BODY_EXCERPT_CHARS = 200
RATE_LIMIT_STATUSES = frozenset({403, 429})


@dataclass(frozen=True)
class JsonAnswer:
    """A successful answer: the decoded body and the response it came from (for headers)."""

    data: Any
    response: httpx.Response


def client(token: str | None = None) -> httpx.Client:
    """An httpx client with compat's User-Agent and, when given, a bearer token."""
    headers = {"User-Agent": f"compat/{__version__}", "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.Client(headers=headers, timeout=TIMEOUT_SECONDS, follow_redirects=True)


def shown(url: str | httpx.URL) -> str:
    """A URL safe to print: without credentials."""
    return strip_url_credentials(str(url))


def _excerpt(response: httpx.Response) -> str:
    text = " ".join(response.text.split())
    if len(text) > BODY_EXCERPT_CHARS:
        text = text[:BODY_EXCERPT_CHARS] + "…"
    return text or "(empty body)"


def _retry_at(response: httpx.Response, now: datetime) -> datetime | None:
    """When a rate-limited request may be retried, from `retry-after` or `x-ratelimit-reset`."""
    retry_after = response.headers.get("retry-after", "").strip()
    if retry_after.isdigit():
        return now + timedelta(seconds=int(retry_after))
    reset = response.headers.get("x-ratelimit-reset", "").strip()
    if reset.isdigit():
        return datetime.fromtimestamp(int(reset), UTC)
    return None


def is_rate_limited(response: httpx.Response) -> bool:
    """GitHub's primary limit (remaining 0) or a secondary limit (a `retry-after` header)."""
    if response.status_code not in RATE_LIMIT_STATUSES:
        return False
    return (
        response.headers.get("x-ratelimit-remaining") == "0"
        or "retry-after" in response.headers
        or response.status_code == 429
    )


def rate_limit_error(response: httpx.Response, *, hint: str = "") -> CompatError:
    now = datetime.now(UTC)
    when = _retry_at(response, now)
    if when is None:
        retry = "retry later (the answer did not say when)"
    else:
        wait = format_duration(max(when - now, timedelta(0)))
        retry = f"retry after {when:%Y-%m-%dT%H:%M:%SZ} (in {wait})"
    return CompatError(
        f"{response.request.method} {shown(response.request.url)}: rate limited "
        f"(HTTP {response.status_code}); {retry}{hint}"
    )


def status_error(response: httpx.Response) -> CompatError:
    return CompatError(
        f"{response.request.method} {shown(response.request.url)}: HTTP {response.status_code} "
        f"{response.reason_phrase}: {_excerpt(response)}"
    )


def send_json(
    http: httpx.Client,
    method: str,
    url: str,
    *,
    what: str,
    body: Any = None,
    rate_limit_hint: str = "",
) -> JsonAnswer:
    """Send one request and decode its JSON answer; transport, status and JSON problems raise."""
    try:
        response = http.request(method, url, json=body)
    except httpx.ConnectError as exc:
        raise CompatError(f"cannot reach {shown(url)} ({exc}); are you offline?") from None
    except httpx.TimeoutException:
        raise CompatError(
            f"{method} {shown(url)}: no answer within {TIMEOUT_SECONDS:.0f}s; are you offline?"
        ) from None
    except httpx.HTTPError as exc:
        raise CompatError(f"{method} {shown(url)}: {type(exc).__name__}: {exc}") from None
    if is_rate_limited(response):
        raise rate_limit_error(response, hint=rate_limit_hint)
    if response.is_error:
        raise status_error(response)
    try:
        data = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise CompatError(
            f"{method} {shown(url)}: expected {what} as JSON, got "
            f"{response.headers.get('content-type', 'no content type')}: {_excerpt(response)}"
        ) from None
    return JsonAnswer(data=data, response=response)


def get_model(url: str, model: type[ModelT], what: str) -> ModelT:
    """GET a JSON object and validate it as `model`; any problem is one CompatError."""
    from pydantic import ValidationError

    from compat.files import validation_problems

    with client() as session:
        answer = send_json(session, "GET", url, what=what)
    if not isinstance(answer.data, dict):
        raise CompatError(
            f"GET {shown(url)}: expected {what} (a JSON object), "
            f"found a {type(answer.data).__name__}"
        )
    try:
        return model.model_validate(answer.data)
    except ValidationError as exc:
        problems = "; ".join(validation_problems(exc)[:5])
        raise CompatError(
            f"GET {shown(url)}: expected {what}, but the answer does not fit: {problems}"
        ) from None
