"""Native API passthrough: Claude Code in its own provider mode, through the pass-through routes.

Claude Code speaks each platform's own API (`CLAUDE_CODE_USE_BEDROCK`, `_VERTEX`, `_FOUNDRY`,
or the first-party Messages API) to the proxy's `/bedrock`, `/vertex_ai`, `/azure` or
`/anthropic` route, with the proxy's key as its only credential; the proxy adds the upstream's
credentials and forwards the request. A pass needs three things:

- the prompt round-trips: the streamed text (two or more `text_delta` events) holds the nonce;
- the stream stayed in the platform's wire: the upstream was asked on its own streaming
  operation (Bedrock's `invoke-with-response-stream`, whose `vnd.amazon.eventstream` Claude
  Code decodes itself, so a converted stream breaks it; Vertex's `streamRawPredict`);
- the request reached the upstream in that format, with what the gateway guide says to
  forward unchanged (https://code.claude.com/docs/en/llm-gateway-protocol#api-formats):
  the `anthropic-version` and `anthropic-beta` headers for the Messages API, the
  `anthropic_version` and `anthropic_beta` body fields for Bedrock InvokeModel, and the
  `anthropic_version` body field with the `anthropic-beta` header for Vertex rawPredict.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from compat.driver import ClaudeInvocation, ClaudeRun
from compat.probes import register
from compat.probes import wire as wire_fields
from compat.probes.base import CliProbe, ProbeContext, expect_nonce
from compat.probes.prompts import PERMISSION_ARGS, echo_prompt
from compat.upstream_log import RecordedRequest

MIN_TEXT_DELTAS = 2
# What each Claude Code mode puts in `anthropic_version`: the Bedrock and Vertex values their
# docs require (https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-anthropic-claude-messages-request-response.html,
# https://cloud.google.com/vertex-ai/generative-ai/docs/partner-models/claude/use-claude),
# and the Messages API's header (https://docs.claude.com/en/api/versioning).
BEDROCK_VERSION = "bedrock-2023-05-31"
VERTEX_VERSION = "vertex-2023-10-16"
MESSAGES_VERSION = "2023-06-01"
# Claude Code's Vertex mode, behind a gateway, still names its project and region.
VERTEX_PROJECT = "compat-passthrough"
VERTEX_REGION = "us-east5"
AWS_REGION = "us-east-1"


@dataclass(frozen=True)
class NativeMode:
    """How Claude Code reaches one provider's pass-through route, and what must arrive."""

    route: str
    """The proxy's pass-through prefix, e.g. `/bedrock`."""
    environment: Callable[[str, str], dict[str, str]]
    """(route URL, proxy key) → the variables putting Claude Code in this mode."""
    names_alias: bool
    """Whether Claude Code names the proxy's alias (True) or the platform's own model id.

    LiteLLM's `/bedrock` route answers only models of its model list ("Invalid model name
    passed in model=us.anthropic…" otherwise); `/anthropic`, `/azure` and `/vertex_ai`
    forward the client's model id as it is, so a client names the platform's own."""
    streaming_path: re.Pattern[str]
    version_in_body: str | None
    """The `anthropic_version` body value this mode sends (None: the header carries it)."""
    betas_in_body: bool

    def carried(self, record: RecordedRequest) -> str | None:
        """What of the forward-unchanged list is missing from `record`, or None."""
        body = record.body if isinstance(record.body, dict) else {}
        headers = {name.lower(): value for name, value in record.headers.items()}
        if self.version_in_body is not None:
            if body.get("anthropic_version") != self.version_in_body:
                return (
                    f"expected body `anthropic_version: {self.version_in_body}`, found "
                    f"{body.get('anthropic_version')!r}"
                )
        elif headers.get("anthropic-version") != MESSAGES_VERSION:
            return (
                f"expected header `anthropic-version: {MESSAGES_VERSION}`, found "
                f"{headers.get('anthropic-version')!r}"
            )
        where = "body `anthropic_beta`" if self.betas_in_body else "header `anthropic-beta`"
        carried = (
            body.get("anthropic_beta") if self.betas_in_body else headers.get("anthropic-beta")
        )
        if not carried:
            return f"expected Claude Code's betas in the {where}, it arrived without them"
        return None


def _bedrock(url: str, key: str) -> dict[str, str]:
    # With its AWS signing skipped, Claude Code sends ANTHROPIC_AUTH_TOKEN (the proxy's
    # key, set by the driver) as `Authorization: Bearer`, as behind any gateway.
    return {
        "CLAUDE_CODE_USE_BEDROCK": "1",
        "CLAUDE_CODE_SKIP_BEDROCK_AUTH": "1",
        "ANTHROPIC_BEDROCK_BASE_URL": url,
        "AWS_REGION": AWS_REGION,
    }


def _vertex(url: str, key: str) -> dict[str, str]:
    return {
        "CLAUDE_CODE_USE_VERTEX": "1",
        "CLAUDE_CODE_SKIP_VERTEX_AUTH": "1",
        "ANTHROPIC_VERTEX_BASE_URL": url + "/v1",
        "ANTHROPIC_VERTEX_PROJECT_ID": VERTEX_PROJECT,
        "CLOUD_ML_REGION": VERTEX_REGION,
    }


def _foundry(url: str, key: str) -> dict[str, str]:
    return {
        "CLAUDE_CODE_USE_FOUNDRY": "1",
        "ANTHROPIC_FOUNDRY_BASE_URL": url + "/anthropic",
        "ANTHROPIC_FOUNDRY_API_KEY": key,
    }


def _first_party(url: str, key: str) -> dict[str, str]:
    return {"ANTHROPIC_BASE_URL": url}


NATIVE_MODES: dict[str, NativeMode] = {
    "anthropic": NativeMode(
        route="/anthropic",
        environment=_first_party,
        names_alias=False,
        streaming_path=re.compile(r"^/v1/messages$"),
        version_in_body=None,
        betas_in_body=False,
    ),
    "bedrock_invoke": NativeMode(
        route="/bedrock",
        environment=_bedrock,
        names_alias=True,
        streaming_path=re.compile(r"^/model/[^/]+/invoke-with-response-stream$"),
        version_in_body=BEDROCK_VERSION,
        betas_in_body=True,
    ),
    "vertex_ai": NativeMode(
        route="/vertex_ai",
        environment=_vertex,
        names_alias=False,
        streaming_path=re.compile(r"/publishers/anthropic/models/[^/]+:streamRawPredict$"),
        version_in_body=VERTEX_VERSION,
        betas_in_body=False,
    ),
    "azure": NativeMode(
        route="/azure",
        environment=_foundry,
        names_alias=False,
        streaming_path=re.compile(r"^/anthropic/v1/messages$"),
        version_in_body=None,
        betas_in_body=False,
    ),
}


@register
class Passthrough(CliProbe):
    feature_id = "passthrough"

    @staticmethod
    def mode(ctx: ProbeContext) -> NativeMode:
        try:
            return NATIVE_MODES[ctx.cell.provider]
        except KeyError:
            raise ValueError(
                f"no Claude Code mode reaches provider {ctx.cell.provider!r} natively; "
                "declare its passthrough cell not_applicable in the manifest"
            ) from None

    def invocation(self, ctx: ProbeContext) -> ClaudeInvocation:
        mode = self.mode(ctx)
        key = ctx.proxy.api_key.get_secret_value()
        url = ctx.proxy.base_url.rstrip("/") + mode.route
        model = ctx.alias if mode.names_alias or ctx.upstream_model is None else ctx.upstream_model
        return ClaudeInvocation(
            model=model,
            prompt=echo_prompt(ctx.nonce),
            extra_args=(*PERMISSION_ARGS, "--include-partial-messages"),
            env=mode.environment(url, key),
            timeout_s=ctx.timeout_s,
        )

    def wire_problem(
        self, run: ClaudeRun, ctx: ProbeContext, records: list[RecordedRequest]
    ) -> str | None:
        mode = self.mode(ctx)
        if not records:
            return "no upstream request carrying this run's prompt reached the emulator"
        foreign = [r for r in records if r.provider != ctx.cell.provider]
        if foreign:
            return (
                f"expected the request in {ctx.cell.provider}'s own wire, the proxy sent "
                f"{wire_fields.describe(foreign[0])} to {foreign[0].provider}"
            )
        native = [
            r for r in records if mode.streaming_path.search(r.path) and wire_fields.streaming(r)
        ]
        if not native:
            return (
                f"expected the streaming operation of {ctx.cell.provider}'s API, the proxy "
                f"sent {wire_fields.describe(records[0])}"
            )
        for record in native:
            missing = mode.carried(record)
            if missing is not None:
                return f"{missing} ({wire_fields.describe(record)})"
        return None

    def judge(self, run: ClaudeRun, ctx: ProbeContext) -> str | None:
        deltas = run.deltas("text_delta")
        if len(deltas) < MIN_TEXT_DELTAS:
            return (
                f"expected at least {MIN_TEXT_DELTAS} text_delta stream events in Claude Code's "
                f"native mode, saw {len(deltas)} (the stream was buffered or converted)"
            )
        return expect_nonce("".join(d.get("text", "") for d in deltas), ctx.nonce, "the stream")
