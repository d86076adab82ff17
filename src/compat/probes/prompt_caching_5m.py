"""Cache breakpoints survive the proxy: the second turn reads the prefix the first wrote."""

from __future__ import annotations

from compat.driver import ClaudeInvocation, ClaudeRun
from compat.probes import register
from compat.probes.base import CliProbe, ProbeContext
from compat.probes.prompt_caching import breakpoints_problem, caching_problem
from compat.probes.prompts import bash_invocation
from compat.upstream_log import RecordedRequest


@register
class PromptCaching5m(CliProbe):
    feature_id = "prompt_caching_5m"
    upstream_requests = 2  # the cache write, then the read on the repeat

    def invocation(self, ctx: ProbeContext) -> ClaudeInvocation:
        # The Bash round trip makes two requests sharing the system prompt and tools:
        # the second must read what the first wrote.
        return bash_invocation(ctx)

    def wire_problem(
        self, run: ClaudeRun, ctx: ProbeContext, records: list[RecordedRequest]
    ) -> str | None:
        return breakpoints_problem(records, ttl=None)

    def judge(self, run: ClaudeRun, ctx: ProbeContext) -> str | None:
        return caching_problem(run, ttl_field=None)
