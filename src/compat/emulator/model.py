"""The shared model behind every emulated provider ("the model").

Each provider's wire module decodes its request into a `NeutralRequest`, calls
`Model.respond` (or `Model.count_tokens`) and encodes the `ModelReply` back. The model
validates what the real API validates (`admission`, `thinking`), answers
deterministically from what a real model would see (the request), and keeps the
prompt-cache state.

Prompt protocol
===============
The model follows the plain instructions a real model follows, in the ordinary words of
any client (compat's probes, another harness's suite, a person), not one fixed phrasing;
`instructions` reads them, `conversation` holds what the model sees, and the rules live
in `tool_calls`, `structured`, `server_tools` and `answers`. It answers only from what
the request carries: a file's, image's or search's content comes from the blocks that
arrived, never from the prompt's expectations. "The prompt" is the text of the last user
message with `<system-reminder>` sections removed; "the task" is the first user
message's. Rules are tried in this order; the first that applies answers:

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

Prompt caching follows `prompt_cache` (breakpoints, or automatic prefix caching where the
platform caches on its own: the GPT tiers); what each provider and tier accepts (betas,
server tools, thinking modes, context window, cache minimums) follows `capabilities`.

Every reply is a function of the request alone: the same request gets the same message
id, tool ids, content and output tokens; only the cache fields of the usage depend on
what earlier requests cached (and on the clock, for expiry).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from compat.emulator.admission import (
    Admitted,
    check_tool_choice,
    checked_capabilities,
    input_tokens,
    platform_wording,
    toolbox,
)
from compat.emulator.answers import attachments, plain_reply, tool_result_reply
from compat.emulator.conversation import (
    NONCE_PATTERN,
    Answer,
    Conversation,
    read_conversation,
    text_block,
)
from compat.emulator.prompt_cache import PromptCache, check_breakpoints, request_segments
from compat.emulator.rules import DOCUMENTED, RuleBook
from compat.emulator.server_tools import tool_search, web_search
from compat.emulator.structured import structured_text
from compat.emulator.thinking import check_history, sign_thinking, thinking_block, thinking_config
from compat.emulator.tokens import estimate_tokens
from compat.emulator.tool_calls import (
    client_web_search,
    forced_tool,
    named_tool,
    structured_output_tool,
)
from compat.emulator.types import CacheCreation, EmulatorError, ModelReply, NeutralRequest, Usage

__all__ = ["DEFAULT_REPLY", "NONCE_PATTERN", "Model", "estimate_tokens", "sign_thinking"]

DEFAULT_REPLY = "Understood."

# A fixed default keeps signatures valid across emulator restarts within one run.
_DEFAULT_SECRET = b"compat-emulator-thinking-signature-key"

# The prompt protocol's rules 1 to 11, in the order they are tried (module docstring).
_RULES: tuple[Callable[[Conversation], Answer | None], ...] = (
    forced_tool,
    structured_text,
    client_web_search,
    tool_result_reply,
    structured_output_tool,
    web_search,
    tool_search,
    named_tool,
    attachments,
    plain_reply,
)


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

    def _admit(self, req: NeutralRequest) -> Admitted:
        """The one capability check of a request: everything the platform would refuse."""
        with platform_wording(req.provider):
            caps = checked_capabilities(req, self.rules)
            body = req.body
            tools = toolbox(body, caps)
            thinking_display = thinking_config(body, caps, req.betas)
            thinking = thinking_display is not None
            check_tool_choice(body, tools, thinking=thinking)
            segments = request_segments(body)
            check_breakpoints(segments, caps.cache_ttls)
            check_history(body, self._key, thinking=thinking)
            total = input_tokens(segments)
            limit = caps.max_input_tokens(req.betas)
            if total > limit:
                # Rule context.windows.
                raise EmulatorError(
                    "invalid_request_error",
                    f"prompt is too long: {total} tokens > {limit} maximum",
                )
        return Admitted(caps, tools, thinking_display, segments, total)

    def respond(self, req: NeutralRequest) -> ModelReply:
        """Answer one Messages request, or raise the `EmulatorError` the real API would."""
        caps, tools, thinking_display, segments, total = self._admit(req)
        conversation = read_conversation(req, segments, tools)
        answer = _answer(conversation)
        content = answer.blocks
        if thinking_display is not None:
            content = [thinking_block(self._key, answer.intent, thinking_display), *content]
        scope = f"{req.provider}/{caps.tier}"
        if caps.automatic_cache_increment is not None:
            cache = self._cache.apply_automatic(
                scope, segments, caps.min_cache_tokens, caps.automatic_cache_increment
            )
        else:
            cache = self._cache.apply(scope, segments, caps.min_cache_tokens)
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
        with platform_wording(req.provider):
            caps = checked_capabilities(req, self.rules)
            toolbox(req.body, caps)
        return input_tokens(request_segments(req.body))


def _answer(conversation: Conversation) -> Answer:
    """The first rule that applies answers; rules 12 and 13 when none does."""
    for rule in _RULES:
        answer = rule(conversation)
        if answer is not None:
            return answer
    if conversation.nonce is not None:
        return Answer([text_block(conversation.nonce)], f"reply with {conversation.nonce}")
    return Answer([text_block(DEFAULT_REPLY)], "acknowledge the message")
