"""A one-hour TTL breakpoint survives the proxy: 1h cache-creation tokens are reported."""

from __future__ import annotations

from compat.driver import ClaudeInvocation, ClaudeRun
from compat.probes import register
from compat.probes.base import CliProbe, ProbeContext
from compat.probes.prompt_caching import breakpoints_problem, caching_problem
from compat.probes.prompts import bash_invocation
from compat.upstream_log import RecordedRequest


@register
class PromptCaching1h(CliProbe):
    feature_id = "prompt_caching_1h"
    upstream_requests = 2  # the cache write, then the read on the repeat

    def invocation(self, ctx: ProbeContext) -> ClaudeInvocation:
        # With this variable Claude Code marks all its breakpoints `ttl: "1h"` and sends
        # the extended-cache-ttl beta.
        return bash_invocation(ctx, env={"ENABLE_PROMPT_CACHING_1H": "1"})

    def wire_problem(
        self, run: ClaudeRun, ctx: ProbeContext, records: list[RecordedRequest]
    ) -> str | None:
        return breakpoints_problem(records, ttl="1h")

    def judge(self, run: ClaudeRun, ctx: ProbeContext) -> str | None:
        return caching_problem(run, ttl_field="ephemeral_1h_input_tokens")
