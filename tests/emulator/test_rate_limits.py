"""The first-party API's rate-limit headers: token buckets, a 429's headers, who sends them."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
import pytest

from compat.emulator import EmulatorServer
from compat.emulator.faults import FaultSpec
from compat.emulator.rate_limits import (
    INPUT_TOKENS_PER_MINUTE,
    OUTPUT_TOKENS_PER_MINUTE,
    REQUESTS_PER_MINUTE,
    RateLimits,
    rfc3339,
)
from support.wire_bodies import HAIKU, message_body, post_messages

NOW = 1_780_000_000.0
RFC3339_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
BUCKETS = ("requests", "tokens", "input-tokens", "output-tokens")
NAMES = [
    f"anthropic-ratelimit-{b}-{part}" for b in BUCKETS for part in ("limit", "remaining", "reset")
]


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def parsed(reset: str) -> float:
    return datetime.strptime(reset, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()


def test_reset_times_are_rfc3339_whole_seconds_rounded_up() -> None:
    assert rfc3339(0.0) == "1970-01-01T00:00:00Z"
    assert rfc3339(59.2) == "1970-01-01T00:01:00Z"


def test_each_request_drains_the_buckets_and_time_refills_them() -> None:
    clock = Clock()
    limits = RateLimits(clock)
    first = limits.served(input_tokens=1_000, output_tokens=100)
    assert first["anthropic-ratelimit-requests-limit"] == str(REQUESTS_PER_MINUTE)
    assert first["anthropic-ratelimit-requests-remaining"] == str(REQUESTS_PER_MINUTE - 1)
    assert first["anthropic-ratelimit-input-tokens-limit"] == str(INPUT_TOKENS_PER_MINUTE)
    assert first["anthropic-ratelimit-input-tokens-remaining"] == str(
        INPUT_TOKENS_PER_MINUTE - 1_000
    )
    assert first["anthropic-ratelimit-output-tokens-remaining"] == str(
        OUTPUT_TOKENS_PER_MINUTE - 100
    )
    second = limits.served(input_tokens=1_000, output_tokens=100)
    assert second["anthropic-ratelimit-requests-remaining"] == str(REQUESTS_PER_MINUTE - 2)
    # The bucket refills continuously: 4000 a minute is one request per 15 ms.
    clock.now += 0.015
    third = limits.served(input_tokens=0, output_tokens=0)
    assert third["anthropic-ratelimit-requests-remaining"] == str(REQUESTS_PER_MINUTE - 2)
    # ... up to the limit, never past it.
    clock.now += 3_600
    assert limits.served(input_tokens=0, output_tokens=0)[
        "anthropic-ratelimit-requests-remaining"
    ] == str(REQUESTS_PER_MINUTE - 1)


def test_reset_is_when_the_bucket_is_full_again() -> None:
    clock = Clock()
    headers = RateLimits(clock).served(input_tokens=INPUT_TOKENS_PER_MINUTE // 2, output_tokens=1)
    # Half the input bucket refills in half a minute.
    assert parsed(headers["anthropic-ratelimit-input-tokens-reset"]) == NOW + 30
    # One request's worth refills within the second.
    assert parsed(headers["anthropic-ratelimit-requests-reset"]) == NOW + 1
    assert all(RFC3339_Z.match(headers[name]) for name in NAMES if name.endswith("-reset"))


@pytest.mark.parametrize(
    ("input_tokens", "output_tokens", "tightest"),
    [(10, OUTPUT_TOKENS_PER_MINUTE // 2, "output"), (INPUT_TOKENS_PER_MINUTE // 2, 10, "input")],
)
def test_tokens_headers_repeat_the_most_restrictive_limit(
    input_tokens: int, output_tokens: int, tightest: str
) -> None:
    headers = RateLimits(Clock()).served(input_tokens=input_tokens, output_tokens=output_tokens)
    for part in ("limit", "remaining", "reset"):
        assert (
            headers[f"anthropic-ratelimit-tokens-{part}"]
            == headers[f"anthropic-ratelimit-{tightest}-tokens-{part}"]
        )


def test_a_refusal_empties_the_request_bucket_and_says_retry() -> None:
    clock = Clock()
    limits = RateLimits(clock)
    headers = limits.refused(3)
    assert headers["anthropic-ratelimit-requests-remaining"] == "0"
    assert parsed(headers["anthropic-ratelimit-requests-reset"]) == NOW + 60
    assert headers["retry-after"] == "3"
    assert headers["x-should-retry"] == "true"
    clock.now += 3
    after = limits.served(input_tokens=0, output_tokens=0)
    assert after["anthropic-ratelimit-requests-remaining"] == str(REQUESTS_PER_MINUTE // 20 - 1)


# --- on the wire ------------------------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True])
def test_every_messages_answer_carries_the_headers(emulator: EmulatorServer, stream: bool) -> None:
    response = post_messages(emulator, message_body(stream=stream))
    assert response.status_code == 200
    for name in NAMES:
        assert name in response.headers, name
    remaining = int(response.headers["anthropic-ratelimit-requests-remaining"])
    assert 0 <= remaining < REQUESTS_PER_MINUTE
    assert int(response.headers["anthropic-ratelimit-input-tokens-remaining"]) < (
        INPUT_TOKENS_PER_MINUTE
    )
    assert RFC3339_Z.match(response.headers["anthropic-ratelimit-tokens-reset"])
    assert "retry-after" not in response.headers
    assert "x-should-retry" not in response.headers


def test_a_429_carries_retry_after_in_seconds_and_the_rate_limit_headers(
    emulator: EmulatorServer,
) -> None:
    emulator.ctx.faults.add(
        FaultSpec(provider="anthropic", kind="status", status=429, retry_after_s=7)
    )
    response = post_messages(emulator)
    assert response.status_code == 429
    assert response.json()["error"]["type"] == "rate_limit_error"
    assert response.headers["retry-after"] == "7"
    assert response.headers["x-should-retry"] == "true"
    assert response.headers["anthropic-ratelimit-requests-remaining"] == "0"
    for name in NAMES:
        assert name in response.headers, name


def test_other_errors_carry_no_rate_limit_headers(emulator: EmulatorServer) -> None:
    emulator.ctx.faults.add(FaultSpec(provider="anthropic", kind="status", status=529))
    overloaded = post_messages(emulator)
    invalid = post_messages(emulator, message_body(bogus=True))
    for response, status in ((overloaded, 529), (invalid, 400)):
        assert response.status_code == status
        assert not any(name.startswith("anthropic-ratelimit") for name in response.headers)
        # No public capture shows the API's x-should-retry on these: the emulator sends none.
        assert "x-should-retry" not in response.headers


def test_count_tokens_and_the_clouds_send_none(emulator: EmulatorServer) -> None:
    counted = post_messages(
        emulator,
        {"model": HAIKU, "messages": [{"role": "user", "content": "hi"}]},
        path="/v1/messages/count_tokens",
    )
    foundry = post_messages(
        emulator, message_body(model=HAIKU), path="/anthropic/v1/messages", headers={"api-key": "k"}
    )
    emulator.ctx.faults.add(FaultSpec(provider="azure", kind="status", status=429))
    foundry_429 = post_messages(
        emulator, message_body(model=HAIKU), path="/anthropic/v1/messages", headers={"api-key": "k"}
    )
    assert [counted.status_code, foundry.status_code, foundry_429.status_code] == [200, 200, 429]
    for response in (counted, foundry, foundry_429):
        assert not any(name.startswith("anthropic-ratelimit") for name in response.headers)


def test_the_models_list_sends_none(emulator: EmulatorServer) -> None:
    response = httpx.get(
        f"{emulator.url}/v1/models",
        headers={"x-api-key": "k", "anthropic-version": "2023-06-01"},
    )
    assert response.status_code == 200
    assert not any(name.startswith("anthropic-ratelimit") for name in response.headers)
