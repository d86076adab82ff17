"""Token counting: the count is the upstream's, for this run's request."""

from __future__ import annotations

import httpx

from compat.outcome import Fail, Pass
from compat.probes.count_tokens import judge_count
from support.recorded import http_response, no_records, recorded_context, refused


def count(response=None, upstream=lambda r: r):
    return judge_count(
        response or http_response("count_tokens"), recorded_context("count_tokens", upstream)
    )


def failed(verdict, expected: str) -> None:
    assert isinstance(verdict.outcome, Fail), verdict.outcome
    assert expected in verdict.outcome.error, verdict.outcome.error


def test_count_tokens_passes_on_the_recorded_upstream_count():
    verdict = count()
    assert verdict.outcome == Pass()
    assert verdict.usage == {"input_tokens": http_response("count_tokens").json()["input_tokens"]}


def test_a_count_that_never_reached_upstream_fails():
    def local(body: dict) -> None:
        body["litellm_count_source"] = "local_estimate"

    failed(
        count(http_response("count_tokens", local), no_records),
        "expected this run's count_tokens request upstream (found by its nonce), none reached "
        "it: the proxy answered from its own estimate (the proxy labels its count "
        "'local_estimate')",
    )


def test_a_count_upstream_refused_fails():
    failed(count(upstream=refused), "upstream refused the count_tokens request")


def test_a_count_labelled_a_local_estimate_fails_live_too():
    def local(body: dict) -> None:
        body["litellm_count_source"] = "local_estimate"

    failed(
        count(http_response("count_tokens", local), lambda r: None),
        "the proxy labels its count 'local_estimate'",
    )


def test_a_non_positive_count_and_an_http_error_fail():
    failed(
        count(http_response("count_tokens", lambda b: b.update(input_tokens=0))),
        "positive integer input_tokens",
    )
    error = count(httpx.Response(404, json={"error": {"message": "no route for count_tokens"}}))
    failed(error, "HTTP 404: no route for count_tokens")
