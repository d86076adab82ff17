"""The model's capability check, piece by piece: what a platform refuses in a neutral request.

`Model._admit` runs them in order; what each platform accepts comes from `capabilities`
and the rules table (`rules`), each rule with its evidence.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

from compat.emulator.blocks import as_list
from compat.emulator.capabilities import TOOL_SEARCH_TOOLS, Capabilities, capabilities_for
from compat.emulator.conversation import Toolbox
from compat.emulator.messages_schema import BETA_GATED_FIELDS
from compat.emulator.prompt_cache import Segment
from compat.emulator.rules import CONVERSE_MODEL_ERROR_PREFIX, RuleBook, unsupported_beta_message
from compat.emulator.types import EmulatorError, NeutralRequest, ProviderId

# The turn framing after the last block is never part of a cached prefix.
_FRAMING_TOKENS = 3


class Admitted(NamedTuple):
    """What the capability check found, for the reply to use."""

    caps: Capabilities
    tools: Toolbox
    thinking_display: str | None
    segments: list[Segment]
    input_tokens: int


@contextmanager
def platform_wording(provider: ProviderId) -> Iterator[None]:
    """Converse hands on the model's own refusals behind a prefix."""
    try:
        yield
    except EmulatorError as exc:
        if provider != "bedrock_converse" or exc.message.startswith(CONVERSE_MODEL_ERROR_PREFIX):
            raise
        raise EmulatorError(exc.kind, CONVERSE_MODEL_ERROR_PREFIX + exc.message) from None


def checked_capabilities(req: NeutralRequest, rules: RuleBook) -> Capabilities:
    """The platform's row for this model; refused beta flags and beta-gated fields raise."""
    caps = capabilities_for(req.provider, req.model, rules)
    refused = req.betas - caps.supported_betas
    if refused:
        # Rules refusal.*.beta: each platform's own wording.
        raise EmulatorError(
            "invalid_request_error", unsupported_beta_message(req.provider, refused)
        )
    for name, needed in BETA_GATED_FIELDS.items():
        if name in req.body and not req.betas & needed:
            raise EmulatorError("invalid_request_error", f"{name}: Extra inputs are not permitted")
    return caps


def input_tokens(segments: list[Segment]) -> int:
    """The input tokens of a request's segments and its turn framing."""
    return sum(segment.tokens for segment in segments) + _FRAMING_TOKENS


def toolbox(body: dict[str, Any], caps: Capabilities) -> Toolbox:
    """The tools a request offers, by kind; names are unique, server tools the platform's."""
    tools = as_list(body.get("tools"))
    names: set[str] = set()
    custom: dict[str, dict[str, Any]] = {}
    deferred: list[dict[str, Any]] = []
    server: list[dict[str, Any]] = []
    referenced = _referenced_tools(body)
    for i, tool in enumerate(tools):
        if not isinstance(tool, dict):
            continue
        name = str(tool.get("name", ""))
        if name in names:
            raise EmulatorError("invalid_request_error", "tools: Tool names must be unique.")
        names.add(name)
        kind = tool.get("type")
        if kind not in (None, "custom"):
            if kind not in caps.supported_server_tools:
                raise EmulatorError(
                    "invalid_request_error",
                    f"tools.{i}.type: '{kind}' is not supported for this model on this platform",
                )
            if kind in TOOL_SEARCH_TOOLS and tool.get("defer_loading"):
                # Source: https://platform.claude.com/docs/en/agents-and-tools/tool-use/tool-search-tool
                raise EmulatorError(
                    "invalid_request_error",
                    f"tools.{i}: The tool search tool cannot have `defer_loading` set to true.",
                )
            server.append(tool)
        elif tool.get("defer_loading") and name not in referenced:
            deferred.append(tool)
        else:
            custom[name] = tool
    if tools and all(isinstance(t, dict) and t.get("defer_loading") for t in tools):
        # Source: https://platform.claude.com/docs/en/agents-and-tools/tool-use/tool-search-tool
        raise EmulatorError(
            "invalid_request_error",
            "All tools have defer_loading set. At least one tool must be non-deferred.",
        )
    return Toolbox(custom=custom, deferred=deferred, server=server)


def _referenced_tools(value: Any) -> set[str]:
    """Names of deferred tools loaded by `tool_reference` blocks anywhere in the history."""
    if isinstance(value, list):
        return {name for item in value for name in _referenced_tools(item)}
    if not isinstance(value, dict):
        return set()
    if value.get("type") == "tool_reference":
        return {str(value.get("tool_name"))}
    nested = value["messages"] if "messages" in value else list(value.values())
    return _referenced_tools(nested)


def check_tool_choice(body: dict[str, Any], tools: Toolbox, *, thinking: bool) -> None:
    """A forced tool choice names an offered tool, and thinking never forces one."""
    choice = body.get("tool_choice")
    if not isinstance(choice, dict):
        return
    kind = choice.get("type")
    if kind in ("any", "tool") and thinking:
        # Source: https://platform.claude.com/docs/en/build-with-claude/extended-thinking#extended-thinking-with-tool-use
        raise EmulatorError(
            "invalid_request_error", "Thinking may not be enabled when tool_choice forces tool use."
        )
    server_names = {t.get("name") for t in tools.server}
    if kind == "tool" and choice.get("name") not in tools.custom.keys() | server_names:
        raise EmulatorError(
            "invalid_request_error",
            f"tool_choice.name: Tool '{choice.get('name')}' not found in the provided tools",
        )
    if kind == "any" and not tools.custom:
        raise EmulatorError(
            "invalid_request_error", "tool_choice: `any` requires at least one tool"
        )
