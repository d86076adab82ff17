"""Cache breakpoints survive the proxy: the second turn reads the prefix the first wrote.

On the GPT columns caching is automatic: the upstream's `cached_tokens` for the repeated
prefix must come back to Claude Code as `cache_read_input_tokens`.
"""

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
        if ctx.family == "gpt":
            # OpenAI caches every prefix of 1024 tokens or more by itself: there are no
            # breakpoints to forward (https://platform.openai.com/docs/guides/prompt-caching).
            return None
        return breakpoints_problem(records, ttl=None)

    def judge(self, run: ClaudeRun, ctx: ProbeContext) -> str | None:
        return caching_problem(run, ttl_field=None, automatic=ctx.family == "gpt")
