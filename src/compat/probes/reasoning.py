"""What thinking means on the GPT columns: reasoning asked for, with a summary to show.

OpenAI's reasoning models think unless told `effort: "none"`, but return what they thought
only in two forms a client asks for: a readable summary (`reasoning.summary`, Responses
API) and the encrypted reasoning (`include: ["reasoning.encrypted_content"]`), which is
what carries the reasoning back on the next turn in a stateless conversation. Claude
Code's thinking request (summarized thinking, signed so it can go back) therefore needs
both, and a translating proxy that asks for neither hands Claude Code no thinking at all,
or only a redacted block. Chat Completions returns neither form: only a count of
reasoning tokens.

Sources: https://platform.openai.com/docs/guides/reasoning#reasoning-summaries,
https://platform.openai.com/docs/guides/reasoning#encrypted-reasoning-items,
https://platform.openai.com/docs/api-reference/responses/create (reasoning, include).
"""

from __future__ import annotations

from typing import Any

from compat.probes import wire
from compat.upstream_log import RecordedRequest

ENCRYPTED_REASONING = "reasoning.encrypted_content"


def _reasoning(record: RecordedRequest) -> dict[str, Any]:
    body = record.body if isinstance(record.body, dict) else {}
    value = body.get("reasoning")
    return value if isinstance(value, dict) else {}


def reasoning_request_problem(records: list[RecordedRequest]) -> str | None:
    """The proxy asked the GPT upstream to reason, for a summary and for its encrypted form."""
    sent = [r for r in wire.answered(records) if wire.openai_format(r) is not None]
    if not sent:
        return "no upstream request carrying this run's prompt was answered"
    first = sent[0]
    where = wire.describe(first)
    if wire.openai_format(first) == "chat":
        return (
            f"expected the thinking request in OpenAI's Responses API, the proxy sent {where}: "
            "Chat Completions returns no reasoning summary and no encrypted reasoning, so no "
            "thinking can reach Claude Code"
        )
    effort = wire.openai_effort(first)
    if effort in (None, "none"):
        return (
            f"expected a reasoning effort upstream for Claude Code's thinking request, {where} "
            f"carried {f'effort {effort!r}' if effort else 'no `reasoning.effort`'}: the proxy "
            "dropped the thinking request"
        )
    body = first.body if isinstance(first.body, dict) else {}
    include = body.get("include") if isinstance(body.get("include"), list) else []
    missing = []
    if not _reasoning(first).get("summary"):
        missing.append("`reasoning.summary` (the readable thinking)")
    if ENCRYPTED_REASONING not in include:
        missing.append(f'`include: ["{ENCRYPTED_REASONING}"]` (the reasoning to send back)')
    if not missing:
        return None
    return (
        f"expected {' and '.join(missing)} in the upstream request for Claude Code's thinking, "
        f"{where} asked for effort {effort!r} without: OpenAI returns the reasoning only in the "
        "forms asked for, so Claude Code got no readable, signed thinking block"
    )
