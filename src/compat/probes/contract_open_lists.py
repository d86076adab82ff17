"""Open lists: a beta value and a body field the proxy has never seen both reach the upstream.

Claude Code adds `ANTHROPIC_BETAS` to its `anthropic-beta` header and merges
`CLAUDE_CODE_EXTRA_BODY` into the top of every request body; both are made up per run, so
no proxy can have them on an allowlist. The check is what arrived upstream, not the answer:
the Claude API refuses a beta it does not know ("Unsupported beta header: …",
https://platform.claude.com/docs/en/api/beta-headers), so the run itself ends in that error
when the proxy forwards faithfully.
"""

from __future__ import annotations

import json

from compat.driver import ClaudeInvocation, ClaudeRun
from compat.outcome import Fail, Pass
from compat.probes import register
from compat.probes import wire as wire_fields
from compat.probes.base import CliProbe, ProbeContext, Verdict, cli_failure
from compat.probes.prompts import ask, echo_prompt
from compat.upstream_log import RecordedRequest


def unseen_beta(nonce: str) -> str:
    """A beta value in the dated shape of real ones that no release can know."""
    return f"compat-unseen-{nonce.removeprefix('COMPAT-').lower()}-2099-01-01"


def unseen_field(nonce: str) -> str:
    return f"compat_unseen_{nonce.removeprefix('COMPAT-').lower()}"


@register
class OpenLists(CliProbe):
    feature_id = "contract_open_lists"
    needs_upstream_record = True

    def invocation(self, ctx: ProbeContext) -> ClaudeInvocation:
        env = {
            "ANTHROPIC_BETAS": unseen_beta(ctx.nonce),
            "CLAUDE_CODE_EXTRA_BODY": json.dumps({unseen_field(ctx.nonce): ctx.nonce}),
        }
        return ask(ctx, echo_prompt(ctx.nonce), env=env)

    def lost(self, ctx: ProbeContext, records: list[RecordedRequest]) -> str | None:
        """What of the two open-list values no upstream request carried, or None."""
        beta, field = unseen_beta(ctx.nonce), unseen_field(ctx.nonce)
        messages = [r for r in records if isinstance(r.body, dict) and "messages" in r.body]
        if not messages:
            return "no request carrying this run's prompt reached the upstream"
        missing = []
        if not any(beta in wire_fields.betas(r) for r in messages):
            missing.append(f"the unseen beta `{beta}` (ANTHROPIC_BETAS)")
        if not any(r.body.get(field) == ctx.nonce for r in messages):
            missing.append(f"the unseen body field `{field}` (CLAUDE_CODE_EXTRA_BODY)")
        if not missing:
            return None
        return (
            f"expected {' and '.join(missing)} upstream unchanged; "
            f"{wire_fields.describe(messages[0])} arrived without: the proxy keeps an allowlist"
        )

    def verdict(self, run: ClaudeRun, ctx: ProbeContext) -> Verdict:
        records = ctx.upstream_requests()
        failure = cli_failure(run, ctx.timeout_s)
        if records is None or (
            failure is not None and (failure.cause != "refused" or failure.retryable)
        ):
            return failure or super().verdict(run, ctx)
        problem = self.lost(ctx, records)
        outcome: Pass | Fail = Pass() if problem is None else Fail(error=problem)
        return Verdict(
            outcome=outcome,
            usage=run.usage,
            excerpt=run.excerpt(),
            evidence_key=ctx.nonce,
            runs=(run,),
        )

    def judge(self, run: ClaudeRun, ctx: ProbeContext) -> str | None:
        return None
