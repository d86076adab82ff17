"""The shared model behind every emulated provider ("the model").

Each provider's wire module decodes its request into a `NeutralRequest`, calls
`Model.respond` (or `Model.count_tokens`) and encodes the `ModelReply` back. The model
validates what the real API validates, answers deterministically from what a real model
would see (the request), and keeps the prompt-cache state.

Prompt protocol
===============
The model follows the plain instructions a real model follows, in the ordinary words of
any client (compat's probes, another harness's suite, a person), not one fixed phrasing;
`instructions` reads them. It answers only from what the request carries: a file's,
image's or search's content comes from the blocks that arrived, never from the prompt's
expectations. "The prompt" is the text of the last user message with `<system-reminder>`
sections removed; "the task" is the first user message's. Rules are tried in this order;
the first that applies answers:

1. Forced tool: `tool_choice` `{"type": "tool", "name": X}` calls the custom tool X with a
   minimal input valid for X's `input_schema` (a forced server tool is answered by rule 6
   or 7); `{"type": "any"}` calls the tool rule 5 or 8 would call, else the first tool.
2. Structured output: `output_config.format` (or the beta `output_format`) of type
   `json_schema` gets a text reply holding one minimal JSON instance valid for the schema;
   its strings carry the nonce (see 12) when the prompt has one, and a sum the prompt
   asks for ("What is 2 + 2?") fills its numeric answer property when the schema allows.
3. Web search through a client tool: when the task asks for a web search in any ordinary
   phrasing ("Use web search to find X", "search the web for X", "look X up online"), the
   model calls the custom `WebSearch` tool with X as its query; while `WebSearch` is
   still deferred it first calls Claude Code's `ToolSearch` tool with `select:WebSearch`.
   Once WebSearch has answered, rule 4 reports the result.
4. Tool result: when the last user message carries `tool_result` blocks, the reply quotes
   their content ("The tool returned: ..."). Images and documents in them (or beside them,
   where the client hands a file over that way) are read from their bytes and answer the
   task as rules 9 and 10 do: a task asking for the bare word gets only the document's
   text ("PONG"). A task about a PDF or image whose bytes did not arrive gets the tool's
   text and a statement that the contents were not received, never invented contents.
5. `StructuredOutput` tool: when a custom tool of that name is offered and the prompt or
   the system prompt mentions "structured output", the model calls it with a minimal
   instance of its `input_schema` (claude's `--json-schema` mode), filled as in rule 2.
6. Web search server tool: when a `web_search_*` server tool is offered and the prompt
   asks for a search (or `tool_choice` forces one), the reply is a `server_tool_use`
   (query: the subject of the search), a `web_search_tool_result` with one result, and a
   text block citing it. Usage reports one web search request.
7. Tool search: when a tool search server tool is offered and other tools carry
   `defer_loading: true`, the reply is a `server_tool_use` of the search tool, a
   `tool_search_tool_result` referencing the deferred tools whose name, description or
   parameters share words with the prompt, and text naming them.
8. Named tool: "Use the X tool ..." calls the offered tool X with the arguments the prompt
   gives; unnamed, a command to run asks for `Bash` and a file to read for `Read`. `Bash`
   gets the command written in backticks, or `echo` of the text the prompt wants printed
   ("which command would print just the word 'pong'" runs `echo pong`); `Read` gets the
   file's path ("read the file at /tmp/a.pdf." reads `/tmp/a.pdf`); `WebSearch` the
   subject of the search; any other tool a minimal valid input. A named tool the client
   lists as deferred (Claude Code's ToolSearch reminder) is loaded with `ToolSearch`
   first. Without the arguments (Bash and no command), no tool is called.
9. Image: an image in the last user message is answered from its pixels: its colour name
   when one word is asked for ("Red"), its hex code when a hex code is ("#1a2b3c"), else
   its size and average colour ("The image is 64x48 pixels and its colour is #1a2b3c.").
10. Document: a PDF, plain-text or content document in the last user message is answered
    with its text: the bare text when asked for it exactly or in one word, else "The
    document says: ...".
11. Plain requests: "Reply with the single word 'pong'" (or `say "..."`, "respond with
    the word X") is answered with those words; "count from 1 to 5" with the numbers (one
    per line when asked); "what is 6 x 7?" with the result.
12. Nonce: a prompt containing a token like `COMPAT-ab12cd` (`COMPAT-` and six or more
    letters or digits) is answered with that token. The text replies of rules 4, 6, 7, 9,
    10 and 11 also end with the token when the prompt has one.
13. Otherwise the reply is "Understood.".

Thinking: with `thinking` `{"type": "enabled", "budget_tokens": N}` or
`{"type": "adaptive"}` the reply starts with a `thinking` block whose `signature` is the
base64 HMAC-SHA256 of its text under the model's secret (`display: "omitted"` returns an
empty text, signed). Thinking blocks sent back in the history must carry the signature
of their text.

Prompt caching follows `prompt_cache`; what each provider and tier accepts (betas,
server tools, thinking modes, context window, cache minimums) follows `capabilities`.

Every reply is a function of the request alone: the same request gets the same message
id, tool ids, content and output tokens; only the cache fields of the usage depend on
what earlier requests cached (and on the clock, for expiry).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from compat.emulator import instructions
from compat.emulator.blocks import as_list, block_type, message_blocks
from compat.emulator.capabilities import (
    INTERLEAVED_THINKING_BETA,
    TOOL_SEARCH_TOOLS,
    Capabilities,
    capabilities_for,
)
from compat.emulator.json_instance import schema_instance
from compat.emulator.media import document_text, image_facts
from compat.emulator.messages_schema import BETA_GATED_FIELDS
from compat.emulator.prompt_cache import PromptCache, Segment, check_breakpoints, request_segments
from compat.emulator.rules import (
    CONVERSE_MODEL_ERROR_PREFIX,
    DOCUMENTED,
    RuleBook,
    unsupported_beta_message,
)
from compat.emulator.tokens import canonical_json, estimate_tokens
from compat.emulator.types import (
    CacheCreation,
    EmulatorError,
    ModelReply,
    NeutralRequest,
    ProviderId,
    Usage,
)

__all__ = ["DEFAULT_REPLY", "NONCE_PATTERN", "Model", "estimate_tokens", "sign_thinking"]

NONCE_PATTERN = re.compile(r"COMPAT-[A-Za-z0-9]{6,}")
DEFAULT_REPLY = "Understood."

StopReason = Literal["end_turn", "tool_use"]

_SYSTEM_REMINDER = re.compile(r"<system-reminder>.*?</system-reminder>", re.DOTALL)
_MENTIONS_STRUCTURED_OUTPUT = re.compile(r"structured[\s_-]*output", re.IGNORECASE)
_MENTIONS_MEDIA = re.compile(
    r"\b(?:pdfs?|images?|pictures?|photos?|photographs?|screenshots?|png|jpe?g|gif|webp)\b",
    re.IGNORECASE,
)
# Property names under which a structured answer carries the number the prompt asked for.
_ANSWER_NAMES = frozenset({"answer", "result", "value", "sum", "total", "number"})
_WORD = re.compile(r"[a-z0-9]+")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_STOP_WORDS = frozenset(
    {
        "the", "and", "for", "with", "that", "this", "from", "what", "which", "use", "tool",
        "tools", "find", "please", "can", "you", "want", "need", "some", "have", "has", "are",
        "was", "how", "get",
    }
)  # fmt: skip
# A fixed default keeps signatures valid across emulator restarts within one run.
_DEFAULT_SECRET = b"compat-emulator-thinking-signature-key"
_EFFORTS = ("low", "medium", "high", "xhigh", "max")
_DISPLAYS = ("summarized", "omitted", "updates")
_THINKING_TYPES = ("adaptive", "disabled", "enabled")
_MIN_BUDGET_TOKENS = 1_024
_MAX_TOOL_REFERENCES = 5
_FRAMING_TOKENS = 3
_EXTENDED_THINKING_DOCS = "https://docs.claude.com/en/docs/build-with-claude/extended-thinking"


def sign_thinking(secret: bytes, thinking: str) -> str:
    """The signature of a thinking text: base64 HMAC-SHA256 under `secret`."""
    digest = hmac.new(secret, thinking.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


@dataclass(frozen=True)
class _Toolbox:
    """The tools the model can see: custom tools by name, deferred ones, server tools."""

    custom: dict[str, dict[str, Any]]
    deferred: list[dict[str, Any]]
    server: list[dict[str, Any]]

    def server_tool(self, predicate: Callable[[str], bool]) -> dict[str, Any] | None:
        return next((tool for tool in self.server if predicate(str(tool.get("type")))), None)


@dataclass(frozen=True)
class _Conversation:
    """The request as the model reads it."""

    body: dict[str, Any]
    digest: str
    tools: _Toolbox
    prompt: str
    task: str
    """The first user message's text: what the conversation was asked to do."""
    previous_tool_calls: frozenset[str]
    """Names of the tools the assistant called in the turn just before the last user turn."""
    system_text: str
    nonce: str | None
    tool_results: list[tuple[str, dict[str, Any]]]
    attachments: list[tuple[str, dict[str, Any]]]
    deferred_names: frozenset[str] = frozenset()
    """Tools the client says the model can load on demand (deferred, or listed as such)."""

    def tool_choice(self) -> str:
        choice = self.body.get("tool_choice")
        return str(choice.get("type", "auto")) if isinstance(choice, dict) else "auto"

    def with_nonce(self, text: str) -> str:
        if self.nonce is None or self.nonce in text:
            return text
        return f"{text} {self.nonce}"

    def item_id(self, prefix: str, salt: str) -> str:
        return f"{prefix}_{hashlib.sha256(f'{self.digest}:{salt}'.encode()).hexdigest()[:24]}"


@dataclass(frozen=True)
class _Answer:
    blocks: list[dict[str, Any]]
    intent: str
    """What the model decided to do, in words; the thinking text states it."""
    stop_reason: StopReason = "end_turn"
    web_search_requests: int = 0


class Model:
    """Deterministic stand-in for Claude, shared by every provider's wire module."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        secret: bytes | None = None,
        rules: RuleBook = DOCUMENTED,
    ) -> None:
        self._key = secret if secret is not None else _DEFAULT_SECRET
        self._cache = PromptCache(clock)
        self.rules = rules

    def _admit(self, req: NeutralRequest) -> _Admitted:
        """The one capability check of a request: everything the platform would refuse."""
        with _platform_wording(req.provider):
            caps = _checked_capabilities(req, self.rules)
            body = req.body
            tools = _toolbox(body, caps)
            thinking_display = _thinking_config(body, caps, req.betas)
            thinking = thinking_display is not None
            _check_tool_choice(body, tools, thinking=thinking)
            segments = request_segments(body)
            check_breakpoints(segments, caps.cache_ttls)
            self._check_history(body, thinking=thinking)
            total = _input_tokens(segments)
            limit = caps.max_input_tokens(req.betas)
            if total > limit:
                # Rule context.windows.
                raise EmulatorError(
                    "invalid_request_error",
                    f"prompt is too long: {total} tokens > {limit} maximum",
                )
        return _Admitted(caps, tools, thinking_display, segments, total)

    def respond(self, req: NeutralRequest) -> ModelReply:
        """Answer one Messages request, or raise the `EmulatorError` the real API would."""
        caps, tools, thinking_display, segments, total = self._admit(req)
        conversation = _read(req, segments, tools)
        answer = _answer(conversation)
        content = answer.blocks
        if thinking_display is not None:
            content = [self._thinking_block(answer.intent, thinking_display), *content]
        cache = self._cache.apply(f"{req.provider}/{caps.tier}", segments, caps.min_cache_tokens)
        usage = Usage(
            input_tokens=total - cache.read - cache.created,
            output_tokens=max(1, estimate_tokens(content)),
            cache_creation_input_tokens=cache.created,
            cache_read_input_tokens=cache.read,
            cache_creation=CacheCreation(
                ephemeral_5m_input_tokens=cache.created_5m,
                ephemeral_1h_input_tokens=cache.created_1h,
            ),
            server_tool_use=(
                {"web_search_requests": answer.web_search_requests}
                if answer.web_search_requests
                else None
            ),
        )
        return ModelReply(
            id=conversation.item_id("msg", "message"),
            model=req.model,
            content=content,
            stop_reason=answer.stop_reason,
            usage=usage,
        )

    def count_tokens(self, req: NeutralRequest) -> int:
        """The input tokens `respond` would count for this request, without answering it."""
        with _platform_wording(req.provider):
            caps = _checked_capabilities(req, self.rules)
            _toolbox(req.body, caps)
        return _input_tokens(request_segments(req.body))

    def _thinking_block(self, intent: str, display: str) -> dict[str, Any]:
        text = "" if display == "omitted" else f"The request asks me to {intent}."
        return {"type": "thinking", "thinking": text, "signature": sign_thinking(self._key, text)}

    def _check_history(self, body: dict[str, Any], *, thinking: bool) -> None:
        messages = as_list(body.get("messages"))
        for i, message in enumerate(messages):
            if not isinstance(message, dict) or message.get("role") != "assistant":
                continue
            for j, block in enumerate(message_blocks(message)):
                if block_type(block) != "thinking":
                    continue
                signature = block.get("signature")
                expected = sign_thinking(self._key, str(block.get("thinking", "")))
                if not isinstance(signature, str) or not hmac.compare_digest(signature, expected):
                    raise EmulatorError(
                        "invalid_request_error",
                        f"messages.{i}.content.{j}: Invalid `signature` in `thinking` block",
                    )
        if thinking:
            _check_final_assistant_turn(messages)


class _Admitted(NamedTuple):
    """What the capability check found, for the reply to use."""

    caps: Capabilities
    tools: _Toolbox
    thinking_display: str | None
    segments: list[Segment]
    input_tokens: int


@contextmanager
def _platform_wording(provider: ProviderId) -> Iterator[None]:
    """Converse hands on the model's own refusals behind a prefix."""
    try:
        yield
    except EmulatorError as exc:
        if provider != "bedrock_converse" or exc.message.startswith(CONVERSE_MODEL_ERROR_PREFIX):
            raise
        raise EmulatorError(exc.kind, CONVERSE_MODEL_ERROR_PREFIX + exc.message) from None


def _checked_capabilities(req: NeutralRequest, rules: RuleBook) -> Capabilities:
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


def _input_tokens(segments: list[Segment]) -> int:
    # The turn framing after the last block is never part of a cached prefix.
    return sum(segment.tokens for segment in segments) + _FRAMING_TOKENS


def _toolbox(body: dict[str, Any], caps: Capabilities) -> _Toolbox:
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
    return _Toolbox(custom=custom, deferred=deferred, server=server)


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


def _thinking_config(body: dict[str, Any], caps: Capabilities, betas: frozenset[str]) -> str | None:
    """Validate `thinking` and `output_config.effort` like the API.

    Returns the thinking display mode when thinking is on, None when it is off.

    Source: https://platform.claude.com/docs/en/build-with-claude/extended-thinking
    """
    output_config = body.get("output_config")
    effort = output_config.get("effort") if isinstance(output_config, dict) else None
    if effort is not None and effort not in _EFFORTS:
        allowed = ", ".join(f"'{e}'" for e in _EFFORTS)
        raise EmulatorError(
            "invalid_request_error", f"output_config.effort: Input should be {allowed}"
        )
    if effort is not None and not caps.supports_effort:
        raise EmulatorError(
            "invalid_request_error", "output_config.effort: effort is not supported for this model"
        )
    config = body.get("thinking")
    if not isinstance(config, dict):
        return None
    kind = config.get("type")
    if kind not in _THINKING_TYPES:
        expected = ", ".join(f"'{t}'" for t in _THINKING_TYPES)
        raise EmulatorError(
            "invalid_request_error",
            f"thinking.type: Input tag '{kind}' found using 'type' does not match any of the "
            f"expected tags: {expected}",
        )
    display = config.get("display") or "summarized"
    if display not in _DISPLAYS:
        allowed = ", ".join(f"'{d}'" for d in _DISPLAYS)
        raise EmulatorError("invalid_request_error", f"thinking.display: Input should be {allowed}")
    if kind == "disabled":
        if not caps.thinking_can_be_disabled:
            raise EmulatorError("invalid_request_error", _adaptive_only("disabled"))
        return None
    if kind not in caps.thinking_modes:
        # Wording observed from the Claude API for Opus 4.7 (and mirrored for adaptive).
        # Source: https://github.com/anomalyco/opencode/issues/22863
        raise EmulatorError(
            "invalid_request_error",
            _adaptive_only(kind)
            if kind == "enabled"
            else '"thinking.type.adaptive" is not supported for this model. Use '
            '"thinking.type.enabled" and "thinking.budget_tokens" to control thinking behavior.',
        )
    if kind == "enabled":
        _check_budget(config, body, betas)
    return str(display)


def _adaptive_only(kind: str) -> str:
    return (
        f'"thinking.type.{kind}" is not supported for this model. Use "thinking.type.adaptive" '
        'and "output_config.effort" to control thinking behavior.'
    )


def _check_budget(config: dict[str, Any], body: dict[str, Any], betas: frozenset[str]) -> None:
    budget = config.get("budget_tokens")
    if not isinstance(budget, int) or isinstance(budget, bool):
        raise EmulatorError(
            "invalid_request_error", "thinking.enabled.budget_tokens: Field required"
        )
    if budget < _MIN_BUDGET_TOKENS:
        raise EmulatorError(
            "invalid_request_error",
            "thinking.enabled.budget_tokens: Input should be greater than or equal to "
            f"{_MIN_BUDGET_TOKENS}",
        )
    max_tokens = body.get("max_tokens")
    # With interleaved thinking the budget spans the whole turn and may exceed max_tokens.
    # Source: https://platform.claude.com/docs/en/build-with-claude/extended-thinking#interleaved-thinking
    if (
        isinstance(max_tokens, int)
        and budget >= max_tokens
        and INTERLEAVED_THINKING_BETA not in betas
    ):
        raise EmulatorError(
            "invalid_request_error",
            "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our "
            f"documentation at {_EXTENDED_THINKING_DOCS}#max-tokens-and-context-window-size",
        )


def _check_tool_choice(body: dict[str, Any], tools: _Toolbox, *, thinking: bool) -> None:
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


def _check_final_assistant_turn(messages: list[Any]) -> None:
    """With thinking on, an assistant turn answered by tool results must start with thinking.

    Source: https://platform.claude.com/docs/en/build-with-claude/extended-thinking#preserving-thinking-blocks
    """
    if len(messages) < 2:
        return
    last_user, assistant = messages[-1], messages[-2]
    if not isinstance(assistant, dict) or assistant.get("role") != "assistant":
        return
    if not any(block_type(b) == "tool_result" for b in message_blocks(last_user)):
        return
    blocks = message_blocks(assistant)
    if not any(block_type(b) == "tool_use" for b in blocks):
        return
    first = block_type(blocks[0]) if blocks else None
    if first not in ("thinking", "redacted_thinking"):
        raise EmulatorError(
            "invalid_request_error",
            f"messages.{len(messages) - 2}.content.0.type: Expected `thinking` or "
            f"`redacted_thinking`, but found `{first}`. When `thinking` is enabled, a final "
            "`assistant` message must start with a thinking block (preceeding the lastmost set "
            "of `tool_use` and `tool_result` blocks). We recommend you include thinking blocks "
            "from previous turns. To avoid this requirement, disable `thinking`. Please consult "
            f"our documentation at {_EXTENDED_THINKING_DOCS}",
        )


def _read(req: NeutralRequest, segments: list[Segment], tools: _Toolbox) -> _Conversation:
    body = req.body
    messages = as_list(body.get("messages"))
    index = next(
        (
            i
            for i in range(len(messages) - 1, -1, -1)
            if isinstance(messages[i], dict) and messages[i].get("role") == "user"
        ),
        None,
    )
    blocks = message_blocks(messages[index]) if index is not None else []
    prompt = _user_text(blocks)
    first_user = next(
        (m for m in messages if isinstance(m, dict) and m.get("role") == "user"), None
    )
    task = _user_text(message_blocks(first_user)) if first_user is not None else ""
    listed = "\n".join(
        str(b.get("text", ""))
        for m in messages
        if isinstance(m, dict) and m.get("role") == "user"
        for b in message_blocks(m)
        if block_type(b) == "text"
    )
    previous = messages[index - 1] if index else None
    previous_calls = frozenset(
        str(b.get("name"))
        for b in (message_blocks(previous) if isinstance(previous, dict) else [])
        if block_type(b) == "tool_use"
    )
    nonces = NONCE_PATTERN.findall(prompt)
    located = [(f"messages.{index}.content.{j}", b) for j, b in enumerate(blocks)]
    system = body.get("system")
    system_text = (
        system
        if isinstance(system, str)
        else " ".join(str(b.get("text", "")) for b in as_list(system) if block_type(b) == "text")
    )
    return _Conversation(
        body=body,
        digest=_digest(req, segments),
        tools=tools,
        prompt=prompt,
        task=task,
        previous_tool_calls=previous_calls,
        system_text=system_text,
        nonce=nonces[-1] if nonces else None,
        tool_results=[(p, b) for p, b in located if block_type(b) == "tool_result"],
        attachments=[(p, b) for p, b in located if block_type(b) in ("image", "document")],
        deferred_names=instructions.deferred_tool_names(listed)
        | {str(t.get("name")) for t in tools.deferred},
    )


def _user_text(blocks: list[Any]) -> str:
    texts = (
        _SYSTEM_REMINDER.sub("", str(b.get("text", ""))).strip()
        for b in blocks
        if block_type(b) == "text"
    )
    return "\n".join(text for text in texts if text)


def _digest(req: NeutralRequest, segments: list[Segment]) -> str:
    """A hash of everything in the request, reusing the segments' canonical JSON."""
    rest = {k: v for k, v in req.body.items() if k not in ("tools", "system", "messages")}
    digest = hashlib.sha256(
        canonical_json([req.provider, req.model, sorted(req.betas), rest]).encode()
    )
    for segment in segments:
        digest.update(segment.canonical.encode())
    return digest.hexdigest()


def _answer(conversation: _Conversation) -> _Answer:
    rules: tuple[Callable[[_Conversation], _Answer | None], ...] = (
        _forced_tool,
        _structured_text,
        _client_web_search,
        _tool_result_reply,
        _structured_output_tool,
        _web_search,
        _tool_search,
        _named_tool,
        _attachments,
        _plain_reply,
    )
    for rule in rules:
        answer = rule(conversation)
        if answer is not None:
            return answer
    if conversation.nonce is not None:
        return _Answer([_text(conversation.nonce)], f"reply with {conversation.nonce}")
    return _Answer([_text(DEFAULT_REPLY)], "acknowledge the message")


def _text(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def _tool_call(
    c: _Conversation,
    tool: dict[str, Any],
    *,
    intent: str,
    preface: str | None = None,
    overrides: dict[str, Any] | None = None,
) -> _Answer:
    name = str(tool.get("name"))
    schema = tool.get("input_schema")
    tool_input = schema_instance(
        schema if isinstance(schema, dict) else {"type": "object"},
        seed=c.nonce or "example",
        where=f"tools.{name}.input_schema",
        overrides=overrides,
    )
    call = {"type": "tool_use", "id": c.item_id("toolu", name), "name": name, "input": tool_input}
    blocks = [_text(preface), call] if preface else [call]
    return _Answer(blocks, intent, stop_reason="tool_use")


def _forced_tool(c: _Conversation) -> _Answer | None:
    choice = c.tool_choice()
    if choice == "tool":
        name = str(c.body["tool_choice"].get("name"))
        if name not in c.tools.custom:
            return None  # a forced server tool: the server-tool rules below answer
        return _tool_call(c, c.tools.custom[name], intent=f"call the {name} tool")
    if choice == "any":
        chosen = _structured_output_tool(c) or _named_tool(c)
        if chosen is not None:
            return chosen
        first = next(iter(c.tools.custom.values()))
        return _tool_call(c, first, intent=f"call the {first.get('name')} tool")
    return None


def _output_schema(body: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The requested JSON schema and where it was given (GA or beta form)."""
    output_config = body.get("output_config")
    candidates = (
        (
            "output_config.format",
            output_config.get("format") if isinstance(output_config, dict) else None,
        ),
        ("output_format", body.get("output_format")),
    )
    for where, fmt in candidates:
        if fmt is None:
            continue
        if not isinstance(fmt, dict) or fmt.get("type") != "json_schema":
            raise EmulatorError(
                "invalid_request_error", f"{where}.type: Input should be 'json_schema'"
            )
        schema = fmt.get("schema")
        if not isinstance(schema, dict):
            raise EmulatorError("invalid_request_error", f"{where}.schema: Field required")
        return f"{where}.schema", schema
    return None


def _structured_text(c: _Conversation) -> _Answer | None:
    # Source: https://platform.claude.com/docs/en/build-with-claude/structured-outputs
    found = _output_schema(c.body)
    if found is None:
        return None
    where, schema = found
    instance = _answer_instance(c, schema, where)
    return _Answer(
        [_text(json.dumps(instance, ensure_ascii=False))],
        "answer with JSON that matches the requested schema",
    )


def _answer_instance(c: _Conversation, schema: dict[str, Any], where: str) -> Any:
    """A valid instance of `schema` that carries the prompt's answer where it can.

    A sum the prompt asks for ("What is 2 + 2?") fills the schema's one numeric property
    (or the numeric property named like an answer); everything else is the schema's
    minimal instance. An answer the schema cannot hold is left out, never forced in.
    """
    overrides = _numeric_answer(schema, c.prompt)
    if overrides:
        try:
            return schema_instance(
                schema, seed=c.nonce or "example", where=where, overrides=overrides
            )
        except EmulatorError:
            pass  # the answer does not fit the schema's bounds: answer minimally instead
    return schema_instance(schema, seed=c.nonce or "example", where=where)


def _numeric_answer(schema: dict[str, Any], prompt: str) -> dict[str, Any]:
    sum_asked = instructions.arithmetic(prompt)
    properties = schema.get("properties")
    if sum_asked is None or not isinstance(properties, dict):
        return {}
    numeric = [
        name
        for name, spec in properties.items()
        if isinstance(spec, dict)
        and spec.get("type") in ("integer", "number")
        and (spec.get("type") == "number" or isinstance(sum_asked.value, int))
    ]
    named = [name for name in numeric if name.lower() in _ANSWER_NAMES]
    chosen = named[:1] or (numeric if len(numeric) == 1 else [])
    return {chosen[0]: sum_asked.value} if chosen else {}


def _tool_result_reply(c: _Conversation) -> _Answer | None:
    """Rule 4: report what the tools returned, answering the task from any media in it."""
    if not c.tool_results:
        return None
    texts: list[str] = []
    media: list[tuple[str, dict[str, Any]]] = []
    for path, block in c.tool_results:
        text, inner_media = _tool_result_parts(path, block)
        if text:
            texts.append(f"an error: {text}" if block.get("is_error") else text)
        media.extend(inner_media)
    # Claude Code may hand a file's contents over beside the tool result, not inside it.
    media.extend(c.attachments)
    style = instructions.answer_style(c.task)
    if media and style != "sentence":
        answer = " ".join(_media_answer(path, block, style) for path, block in media)
        return _Answer([_text(c.with_nonce(answer))], "answer from what the tool returned")
    parts = [*texts, *(_media_answer(path, block, "sentence") for path, block in media)]
    reply = "The tool returned: " + " ".join(p for p in parts if p)
    if not media and _MENTIONS_MEDIA.search(c.task):
        # Asked about a file's contents, but none reached the model: say so, invent nothing.
        reply += " I did not receive the file's contents, so I cannot say what it contains."
    return _Answer([_text(c.with_nonce(reply))], "report what the tool returned")


def _tool_result_parts(
    path: str, block: dict[str, Any]
) -> tuple[str, list[tuple[str, dict[str, Any]]]]:
    """A tool result's text, and the images and documents it carries."""
    content = block.get("content")
    if isinstance(content, str):
        return content.strip(), []
    texts: list[str] = []
    media: list[tuple[str, dict[str, Any]]] = []
    for k, inner in enumerate(as_list(content)):
        kind = block_type(inner)
        if kind == "text":
            texts.append(str(inner.get("text", "")).strip())
        elif kind in ("image", "document"):
            media.append((f"{path}.content.{k}", inner))
    return " ".join(t for t in texts if t), media


def _structured_output_tool(c: _Conversation) -> _Answer | None:
    tool = c.tools.custom.get("StructuredOutput")
    if tool is None or c.tool_choice() == "none":
        return None
    asked = _MENTIONS_STRUCTURED_OUTPUT.search(c.prompt) or _MENTIONS_STRUCTURED_OUTPUT.search(
        c.system_text
    )
    if not asked:
        return None
    schema = tool.get("input_schema")
    overrides = _numeric_answer(schema, c.prompt) if isinstance(schema, dict) else {}
    if overrides:
        try:
            return _tool_call(
                c, tool, intent="give the answer as structured output", overrides=overrides
            )
        except EmulatorError:
            pass  # the answer does not fit the schema's bounds: answer minimally instead
    return _tool_call(c, tool, intent="give the answer as structured output")


def _web_search(c: _Conversation) -> _Answer | None:
    """Rule 6: run the web search server tool when the prompt asks for a search."""
    tool = c.tools.server_tool(lambda kind: kind.startswith("web_search_"))
    if tool is None or c.tool_choice() == "none":
        return None
    choice = c.body.get("tool_choice")
    forced = isinstance(choice, dict) and choice.get("name") == tool.get("name")
    asked = instructions.web_search_query(c.prompt)
    if not (forced or c.tool_choice() == "any" or instructions.asks_for_search(c.prompt)):
        return None
    query = asked or c.nonce or _first_sentence(c.prompt) or "latest news"
    call_id = c.item_id("srvtoolu", "web_search")
    domains = as_list(tool.get("allowed_domains"))
    host = str(domains[0]) if domains else "example.com"
    slug = hashlib.sha256(query.encode()).hexdigest()[:12]
    url = f"https://{host}/search/{slug}"
    title = f"Search results for {query}"
    token = base64.b64encode(hashlib.sha256(f"{c.digest}:{url}".encode()).digest()).decode()
    result = {
        "type": "web_search_result",
        "url": url,
        "title": title,
        "encrypted_content": token,
        "page_age": "January 1, 2026",
    }
    citation = {
        "type": "web_search_result_location",
        "url": url,
        "title": title,
        "encrypted_index": token[:16],
        "cited_text": title,
    }
    answer: dict[str, Any] = {
        "type": "text",
        "text": c.with_nonce(f"According to {title} ({url}), this page answers the question."),
        "citations": [citation],
    }
    blocks: list[dict[str, Any]] = [
        {
            "type": "server_tool_use",
            "id": call_id,
            "name": str(tool.get("name", "web_search")),
            "input": {"query": query},
        },
        {"type": "web_search_tool_result", "tool_use_id": call_id, "content": [result]},
        answer,
    ]
    # Source: https://platform.claude.com/docs/en/agents-and-tools/tool-use/web-search-tool#response
    return _Answer(blocks, f"search the web for {query}", web_search_requests=1)


def _client_web_search(c: _Conversation) -> _Answer | None:
    """Rule 3: the task asks for a web search; Claude Code offers it as its WebSearch tool.

    Claude Code runs WebSearch as a separate request carrying the server tool (rule 6);
    while WebSearch is still deferred the model first loads it with ToolSearch.
    """
    query = instructions.web_search_query(c.task)
    if query is None or c.tool_choice() == "none":
        return None
    called = c.previous_tool_calls
    web_search = c.tools.custom.get("WebSearch")
    if web_search is not None and called <= {"ToolSearch"}:
        return _tool_call(
            c, web_search, intent=f"search the web for {query}", overrides={"query": query}
        )
    if web_search is None and not called:
        return _load_tool(c, "WebSearch")
    return None


def _load_tool(c: _Conversation, name: str) -> _Answer | None:
    """Load a deferred tool with Claude Code's ToolSearch, once."""
    tool_search = c.tools.custom.get("ToolSearch")
    if tool_search is None or "ToolSearch" in c.previous_tool_calls:
        return None
    return _tool_call(
        c,
        tool_search,
        intent=f"load the {name} tool",
        overrides={"query": f"select:{name}", "max_results": 1},
    )


def _tool_search(c: _Conversation) -> _Answer | None:
    tool = c.tools.server_tool(lambda kind: kind in TOOL_SEARCH_TOOLS)
    if tool is None or not c.tools.deferred or c.tool_choice() == "none":
        return None
    words = list(dict.fromkeys(w for w in _words(c.prompt) if len(w) >= 3 and w not in _STOP_WORDS))
    scored = sorted(
        (
            (-len(set(words) & _tool_words(t)), i, str(t.get("name")))
            for i, t in enumerate(c.tools.deferred)
        ),
    )
    found = [name for score, _, name in scored if score < 0][:_MAX_TOOL_REFERENCES]
    name = str(tool.get("name"))
    regex = "regex" in str(tool.get("type"))
    query = f"(?i)({'|'.join(re.escape(w) for w in words[:5])})" if regex else " ".join(words[:5])
    call_id = c.item_id("srvtoolu", name)
    summary = (
        f"I found the {', '.join(found)} tool, which can help with this."
        if found
        else "I could not find a tool that matches this request."
    )
    # Source: https://platform.claude.com/docs/en/agents-and-tools/tool-use/tool-search-tool#response-format
    blocks = [
        {"type": "server_tool_use", "id": call_id, "name": name, "input": {"query": query}},
        {
            "type": "tool_search_tool_result",
            "tool_use_id": call_id,
            "content": {
                "type": "tool_search_tool_search_result",
                "tool_references": [{"type": "tool_reference", "tool_name": n} for n in found],
            },
        },
        _text(c.with_nonce(summary)),
    ]
    return _Answer(blocks, "find a tool for this request")


def _named_tool(c: _Conversation) -> _Answer | None:
    """Rule 8: call the tool the prompt names, with the arguments the prompt gives.

    "Use the X tool ..." names the tool; without a name, a command to run asks for Bash
    and a file to read asks for Read. Bash gets the command (a backticked command, or
    `echo` of the text the prompt wants printed), Read the file's path, WebSearch the
    subject of the search, any other tool a minimal valid input. A named tool that is
    only listed as deferred is loaded with ToolSearch first. A tool whose arguments the
    prompt does not give (Bash with no command, Read with no path) is not called.
    """
    if c.tool_choice() == "none":
        return None
    offered = set(c.tools.custom)
    name = instructions.named_tool(c.prompt, offered | c.deferred_names)
    if name is None:
        if "Bash" in offered and instructions.shell_command(c.prompt) is not None:
            name = "Bash"
        elif "Read" in offered and instructions.file_path(c.prompt) is not None:
            name = "Read"
        else:
            return None
    if name not in offered:
        return _load_tool(c, name)
    tool = c.tools.custom[name]
    if name == "Bash":
        command = instructions.shell_command(c.prompt)
        if command is None:
            return None
        return _tool_call(
            c,
            tool,
            intent=f"run `{command}` with the Bash tool",
            preface="I'll run that command with the Bash tool.",
            overrides={"command": command, "description": "Run the command the user asked for"},
        )
    if name == "Read":
        path = instructions.file_path(c.prompt)
        if path is None:
            return None
        return _tool_call(
            c,
            tool,
            intent=f"read {path} with the Read tool",
            preface="I'll read that file.",
            overrides={"file_path": path},
        )
    if name == "WebSearch":
        query = instructions.web_search_query(c.prompt) or c.nonce or _first_sentence(c.prompt)
        return _tool_call(c, tool, intent=f"search the web for {query}", overrides={"query": query})
    return _tool_call(c, tool, intent=f"call the {name} tool")


def _attachments(c: _Conversation) -> _Answer | None:
    """Rule 9: answer about the images and documents in the prompt, from their bytes."""
    if not c.attachments:
        return None
    style = instructions.answer_style(c.prompt)
    text = " ".join(_media_answer(path, block, style) for path, block in c.attachments)
    return _Answer([_text(c.with_nonce(text))], "describe the attachment")


def _media_answer(path: str, block: dict[str, Any], style: instructions.AnswerStyle) -> str:
    """What an image or document shows, as the prompt asks for it.

    An image: its colour name for a one-word answer, its hex code when a hex code is asked
    for, else its size and colour. A document: its bare text for a brief answer, else
    "The document says: ...".
    """
    if block_type(block) == "image":
        facts = image_facts(block, path)
        if style == "hex":
            return facts.hex
        if style == "brief":
            return facts.colour_name.capitalize()
        return facts.sentence()
    text = document_text(block, path)
    return text if style == "brief" else f"The document says: {text}"


def _plain_reply(c: _Conversation) -> _Answer | None:
    """Rule 10: do what a plain text request asks: say given words, count, add numbers."""
    literal = instructions.literal_reply(c.prompt)
    if literal is not None:
        return _Answer([_text(c.with_nonce(literal))], f"reply with {literal}")
    counted = instructions.counting(c.prompt)
    if counted is not None:
        return _Answer([_text(c.with_nonce(counted))], "count as asked")
    sum_asked = instructions.arithmetic(c.prompt)
    if sum_asked is not None:
        value = str(sum_asked.value)
        return _Answer([_text(c.with_nonce(value))], f"work out {sum_asked.expression}")
    return None


def _first_sentence(text: str) -> str:
    sentence = re.split(r"(?<=[.!?])\s", " ".join(text.split()), maxsplit=1)[0]
    return sentence[:200]


def _words(text: str) -> list[str]:
    return _WORD.findall(_CAMEL_BOUNDARY.sub(" ", text).lower())


def _tool_words(tool: dict[str, Any]) -> set[str]:
    """Words of a tool's name, description, and parameter names and descriptions."""
    schema = tool.get("input_schema")
    properties = schema.get("properties") if isinstance(schema, dict) else None
    parts = [str(tool.get("name", "")).replace("_", " "), str(tool.get("description", ""))]
    if isinstance(properties, dict):
        for prop, spec in properties.items():
            parts.append(prop.replace("_", " "))
            if isinstance(spec, dict):
                parts.append(str(spec.get("description", "")))
    return set(_words(" ".join(parts)))
