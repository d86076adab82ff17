"""A cell's evidence: what its upstream requests looked like, and passes that needed help."""

from __future__ import annotations

import json
from typing import Any

from compat.outcome import UpstreamRequest
from compat.probes.base import Verdict, clip
from compat.redact import redact
from compat.upstream_log import RecordedRequest, UpstreamLog

MAX_UPSTREAM_EVIDENCE = 6
STRING_LIMIT = 160
BODY_LIMIT = 1500
# Redaction reads this much past a string's cut: enough for any credential to be seen
# whole (a signed JWT is about 1 KB), without scanning a megabyte of filler per string.
REDACTION_MARGIN = 4096
BULK_KEYS = ("tools", "toolConfig", "system", "messages")


def _clip_strings(value: Any, limit: int = STRING_LIMIT) -> Any:
    """Redact, then shorten long strings (system prompts, base64) so evidence stays readable."""
    if isinstance(value, str):
        # Redacted before clipping: a secret cut in half would no longer be recognised.
        window = limit + REDACTION_MARGIN
        clipped = redact(value[:window])
        length = len(clipped) + max(0, len(value) - window)
        return clipped if length <= limit else clipped[:limit] + f"… [{length} chars]"
    if isinstance(value, list):
        return [_clip_strings(v, limit) for v in value[:20]] + (
            [f"… [{len(value) - 20} more]"] if len(value) > 20 else []
        )
    if isinstance(value, dict):
        return {k: _clip_strings(v, limit) for k, v in value.items()}
    return value


def summarise_body(body: Any, limit: int = BODY_LIMIT) -> str:
    """The body as evidence: small fields (betas, thinking, ...) first, tools by name only."""
    if isinstance(body, dict):
        ordered = {k: v for k, v in body.items() if k not in BULK_KEYS}
        for key in BULK_KEYS:
            if key in body:
                ordered[key] = (
                    _tool_names(body[key]) if key in ("tools", "toolConfig") else body[key]
                )
        body = ordered
    text = json.dumps(_clip_strings(body), ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= limit else text[:limit] + "…"


def _tool_names(tools: Any) -> Any:
    if isinstance(tools, dict):
        tools = tools.get("tools", [])
    if not isinstance(tools, list):
        return tools
    names = []
    for tool in tools:
        if isinstance(tool, dict):
            spec = tool.get("toolSpec", tool)
            names.append(spec.get("name") or spec.get("type") or "?")
    return names


def upstream_request(record: RecordedRequest) -> UpstreamRequest:
    """One recorded upstream request as a compact evidence entry."""
    summary = None
    if record.error_kind or record.error_message:
        summary = clip(f"{record.error_kind or 'error'}: {record.error_message or ''}", 500)
    return UpstreamRequest(
        provider=record.provider,
        method=record.method,
        path=record.path,
        status=record.status,
        summary=summary,
        body_excerpt=summarise_body(record.body),
    )


def upstream_evidence(log: UpstreamLog | None, key: str, since: int) -> list[UpstreamRequest]:
    """This run's upstream requests (bodies holding `key`), refused ones first, a few at most."""
    if log is None:
        return []
    found = [upstream_request(r) for r in log.query(contains=key, since=since)]
    # Refused requests first: they explain a red cell (or a degraded green one).
    found.sort(key=lambda r: (r.status or 0) < 400)
    return found[:MAX_UPSTREAM_EVIDENCE]


def refused_then_passed(verdict: Verdict, upstream: list[UpstreamRequest]) -> list[str]:
    """A pass whose upstream refused some requests: Claude Code fell back (e.g. fewer betas)."""
    if verdict.outcome.status != "pass":
        return []
    refused = [r for r in upstream if r.status is not None and r.status >= 400]
    if not refused:
        return []
    reasons = sorted({r.summary or f"HTTP {r.status}" for r in refused})
    return [
        f"upstream refused {len(refused)} request(s) before this passed; Claude Code "
        f"retried with a reduced request: {'; '.join(reasons)}"
    ]
