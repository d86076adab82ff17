"""What every probe shares: the context of one cell, verdicts, and the common judging."""

from __future__ import annotations

import json
import re
import secrets
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict, model_validator

from compat.driver import ClaudeInvocation, ClaudeRun, ProxyEndpoint, run_claude
from compat.outcome import Fail, FailureCause, Pass
from compat.redact import redact
from compat.run.cells import Cell
from compat.upstream_log import RecordedRequest, UpstreamLog

NONCE_PREFIX = "COMPAT-"
# What Claude Code retries by itself (rate limits and server errors): it runs with its
# retries off, so the runner retries these instead. 500 is included because LiteLLM's
# Anthropic route relays an upstream 529 `overloaded_error` as HTTP 500.
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504, 529})
ANTHROPIC_VERSION = "2023-06-01"


def new_nonce() -> str:
    """A fresh token no reply can contain unless this run's request reached the model."""
    return NONCE_PREFIX + secrets.token_hex(6).upper()


class Verdict(BaseModel):
    """A probe's judgement of one tier, and everything the scheduler records as its evidence."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    outcome: Pass | Fail
    cause: FailureCause | None = None
    """Why a Fail failed (None on a pass); a Fail given none was judged so by its probe."""
    retryable: bool = False
    usage: dict[str, Any] | None = None
    excerpt: str | None = None
    evidence_key: str | None = None
    """Text unique to this run's upstream request bodies (None: the cell's nonce)."""
    runs: tuple[ClaudeRun, ...] = ()
    """The claude runs the probe made, in order."""

    @model_validator(mode="before")
    @classmethod
    def _without_secrets(cls, data: Any) -> Any:
        # Every verdict passes here before the scheduler records it: upstream errors,
        # judges' quotes of the reply and transcript tails can all echo a credential.
        if not isinstance(data, dict):
            return data
        data = dict(data)
        outcome = data.get("outcome")
        if isinstance(outcome, Fail):
            data["outcome"] = Fail(error=redact(outcome.error))
            data["cause"] = data.get("cause") or "judged"
        else:
            data["cause"] = None
        if data.get("excerpt") is not None:
            data["excerpt"] = redact(data["excerpt"])
        return data

    def revised(self, **changes: Any) -> Verdict:
        """This verdict with `changes`, validated (and redacted) again."""
        return Verdict(**{**dict(self), **changes})


ClaudeCall = Callable[[ClaudeInvocation], Awaitable[ClaudeRun]]


@dataclass(frozen=True)
class ProbeContext:
    """One cell's inputs: the model alias to ask for, a fresh nonce, and how to reach the proxy.

    Probes read it and never change it: what they found goes back in their Verdict.
    """

    cell: Cell
    alias: str
    proxy: ProxyEndpoint
    claude_binary: Path | str = "claude"
    nonce: str = field(default_factory=new_nonce)
    timeout_s: float = 120.0
    scratch_root: Path | None = None
    upstream: UpstreamLog | None = None
    """What the upstream received (the emulator's recorder); None against live upstreams,
    where no record exists and the probes judge the transcript alone."""
    upstream_since: int = 0
    """Requests recorded up to this sequence number belong to other runs."""
    upstream_model: str | None = None
    """The provider's own id for this tier's model (what a client of its native API names)."""
    family: str = "claude"
    """The column's model family: `gpt` columns judge OpenAI's forms of a feature."""

    def upstream_requests(self, key: str | None = None) -> list[RecordedRequest] | None:
        """This run's upstream requests (bodies holding `key`, default the nonce).

        None when there is no record to read (live upstreams): a wire check is skipped,
        never passed on an empty list.
        """
        if self.upstream is None:
            return None
        return self.upstream.query(contains=key or self.nonce, since=self.upstream_since)

    async def claude(self, invocation: ClaudeInvocation) -> ClaudeRun:
        return await run_claude(
            self.claude_binary, invocation, self.proxy, scratch_root=self.scratch_root
        )

    def http(self) -> httpx.AsyncClient:
        """A client for the proxy, authenticated like the CLI (bearer token)."""
        return httpx.AsyncClient(
            base_url=self.proxy.base_url,
            headers={
                "authorization": f"Bearer {self.proxy.api_key.get_secret_value()}",
                "anthropic-version": ANTHROPIC_VERSION,
            },
            timeout=self.timeout_s,
        )


def fail(message: str, cause: FailureCause = "judged", **kwargs: Any) -> Verdict:
    return Verdict(outcome=Fail(error=message), cause=cause, **kwargs)


def clip(text: str | None, limit: int = 300) -> str:
    """`text` redacted, on one line, cut to `limit` characters."""
    # Redacted before cutting: a secret cut in half would no longer be recognised.
    text = " ".join(redact(text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Wrapping around the upstream's own error in what Claude Code reports: its `API Error:`
# prefix and retry advice, LiteLLM's exception boilerplate and model-group footer.
_CLAUDE_PREFIX = re.compile(r"^API Error:\s*(?:Request rejected \(\d{3}\)\s*·\s*|\d{3}\s+)?")
_BOILERPLATE = re.compile(
    r"\.?\s*(?:Handle with `litellm\.\w+`\.?|File an issue if litellm error - \S+)"
    r"|\s*(?:LiteLLM: model group |This is a server-side issue, usually temporary).*",
    re.DOTALL,
)


def _error_envelope(value: Any) -> str | None:
    """`type: message` from an Anthropic, Vertex, Bedrock or LiteLLM error body, else None."""
    if isinstance(value, list) and value:
        value = value[0]
    if not isinstance(value, dict):
        return None
    # Anthropic and Vertex nest the error; Bedrock's body is `{"message": …}` itself.
    error = value.get("error", value)
    if not isinstance(error, dict) or not isinstance(error.get("message"), str):
        return None
    kind = error.get("type") or error.get("status")
    return f"{kind}: {error['message']}" if kind else error["message"]


def _readable_json(text: str) -> str:
    """Replace the first JSON body in `text` by what it says, or name a reply cut short."""
    start = min((i for i in (text.find("{"), text.find("[")) if i >= 0), default=-1)
    if start < 0:
        return text
    try:
        value, end = json.JSONDecoder().raw_decode(text, start)
    except json.JSONDecodeError:
        tail = text[start:]
        if tail.startswith('{"id":"msg') or '"type":"message"' in tail[:200]:
            # LiteLLM quotes the reply it had assembled when the stream broke.
            return f"{text[:start]}the stream broke off mid-reply"
        return text
    readable = _error_envelope(value)
    return text if readable is None else text[:start] + readable + text[end:]


def api_error_message(status: int | None, text: str | None, stderr: str = "") -> str:
    """`API error 429: <what the upstream or the proxy said>`, without the wrapping."""
    detail = _readable_json(_BOILERPLATE.sub("", _CLAUDE_PREFIX.sub("", (text or "").strip())))
    message = f"API error {status}" if status is not None else "API error"
    message += f": {clip(detail)}" if detail.strip() else " (no message)"
    # The CLI's own complaint (e.g. an SSE frame it could not parse) names a broken stream.
    complaint = next((line for line in stderr.splitlines() if line.strip()), "")
    return message + (f"; claude stderr: {clip(complaint, 160)}" if complaint else "")


def cli_failure(run: ClaudeRun, timeout_s: float) -> Verdict | None:
    """The failures every CLI probe shares: timeout, API error, crash, no result."""
    common = {"usage": run.usage, "excerpt": run.excerpt(), "runs": (run,)}
    if run.timed_out:
        return fail(
            f"claude did not finish within {timeout_s:.0f}s (the per-cell --timeout); "
            "its process group was killed",
            cause="timeout",
            **common,
        )
    status = run.api_error_status
    result = run.result
    if status is not None or (result is not None and result.is_error):
        return fail(
            api_error_message(status, result.result if result else None, run.stderr),
            cause="refused",
            retryable=status in RETRYABLE_STATUSES,
            **common,
        )
    if result is None:
        stderr = clip(run.stderr.strip().splitlines()[-1] if run.stderr.strip() else "")
        return fail(
            f"claude exited with code {run.exit_code} without a result event"
            + (f": {stderr}" if stderr else ""),
            cause="crashed",
            **common,
        )
    return None


class Probe(ABC):
    """How to ask for one feature and how to judge the answer."""

    feature_id: ClassVar[str]
    upstream_requests: ClassVar[int] = 1
    """Upstream requests one working attempt makes (one per model turn); pacing charges these."""
    needs_upstream_record: ClassVar[bool] = False
    """Judged only on the emulator's record: against live upstreams the cell is not tested."""

    @abstractmethod
    async def run(self, ctx: ProbeContext) -> Verdict: ...

    def evidence_key(self, ctx: ProbeContext) -> str:
        """Text unique to this run's upstream request bodies."""
        return ctx.nonce


class HttpProbe(Probe):
    """A probe that is one HTTP call to the proxy, judged on its response."""

    path: ClassVar[str]
    headers: ClassVar[dict[str, str]] = {}
    request_body: ClassVar[Callable[[ProbeContext], dict[str, Any]]]
    judge_response: ClassVar[Callable[[httpx.Response, ProbeContext], Verdict]]

    async def run(self, ctx: ProbeContext) -> Verdict:
        async with ctx.http() as client:
            response = await client.post(
                self.path, json=self.request_body(ctx), headers=self.headers
            )
        return self.judge_response(response, ctx).revised(evidence_key=self.evidence_key(ctx))


class CliProbe(Probe):
    """A probe that is one `claude -p` call, judged on its transcript."""

    @abstractmethod
    def invocation(self, ctx: ProbeContext) -> ClaudeInvocation: ...

    @abstractmethod
    def judge(self, run: ClaudeRun, ctx: ProbeContext) -> str | None:
        """None when the feature worked, else what was expected and what was seen."""

    def wire_problem(
        self, run: ClaudeRun, ctx: ProbeContext, records: list[RecordedRequest]
    ) -> str | None:
        """What the upstream should have received and did not (`records`: this run's)."""
        return None

    def verdict(self, run: ClaudeRun, ctx: ProbeContext) -> Verdict:
        key = self.evidence_key(ctx)
        failure = cli_failure(run, ctx.timeout_s)
        records = ctx.upstream_requests(key)
        wire = self.wire_problem(run, ctx, records) if records is not None else None
        if failure is not None:
            if wire is None or failure.retryable or failure.cause != "refused":
                return failure.revised(evidence_key=key)
            # What the proxy dropped explains the upstream's refusal: say both. (A timeout
            # or a crash explains the missing answer itself.)
            assert isinstance(failure.outcome, Fail)
            return failure.revised(
                outcome=Fail(error=f"{wire}; {failure.outcome.error}"), evidence_key=key
            )
        problem = wire or self.judge(run, ctx)
        outcome: Pass | Fail = Pass() if problem is None else Fail(error=problem)
        return Verdict(
            outcome=outcome, usage=run.usage, excerpt=run.excerpt(), evidence_key=key, runs=(run,)
        )

    async def run(self, ctx: ProbeContext) -> Verdict:
        return self.verdict(await ctx.claude(self.invocation(ctx)), ctx)


def expect_nonce(text: str, nonce: str, what: str = "the reply") -> str | None:
    if nonce in text:
        return None
    return f"expected {what} to contain the nonce {nonce}, got: {clip(text) or '(empty)'}"


def payload_marker(data_b64: str) -> str:
    """A slice of a base64 payload unique to this run, to find its upstream requests by."""
    middle = len(data_b64) // 2
    return data_b64[max(0, middle - 24) : middle + 24]


def http_error(response: httpx.Response) -> Verdict:
    """A failed HTTP call to the proxy, with the upstream error it relayed."""
    try:
        body = response.json()
        error = body.get("error", body) if isinstance(body, dict) else body
        message = error.get("message", error) if isinstance(error, dict) else error
    except ValueError:
        message = response.text
    return fail(
        f"proxy answered HTTP {response.status_code}: {clip(str(message))}",
        retryable=response.status_code in RETRYABLE_STATUSES,
        excerpt=clip(response.text, 2000),
    )
