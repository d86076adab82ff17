"""The shared model: prompt protocol, validation rules, prompt caching, determinism."""

from __future__ import annotations

import base64
import io
import json
import threading
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from compat.emulator.json_instance import schema_instance
from compat.emulator.model import DEFAULT_REPLY, Model, sign_thinking
from compat.emulator.rules import RuleBook
from compat.emulator.types import EmulatorError, ModelReply, NeutralRequest, ProviderId

FIXTURES = Path(__file__).parent.parent / "fixtures" / "claude_requests"
CLAUDE_BODY: dict[str, Any] = json.loads((FIXTURES / "basic_request.json").read_text())
CLAUDE_HEADERS: dict[str, Any] = json.loads((FIXTURES / "basic_request.headers.json").read_text())
BASH_TOOL = next(tool for tool in CLAUDE_BODY["tools"] if tool["name"] == "Bash")
SONNET, HAIKU, OPUS = "claude-sonnet-4-6", "claude-haiku-4-5-20251001", "claude-opus-4-7"
NONCE = "COMPAT-ab12cd34"
SECRET = b"test-secret"
BASH_PROMPT = (
    f"Use the Bash tool to run this exact command: `echo {NONCE}`. Then reply with its output."
)
WEB_SEARCH = {"type": "web_search_20250305", "name": "web_search"}
LONG_SYSTEM = "You answer questions about the compatibility matrix. " * 160  # ~2,100 tokens


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def ask(
    content: str | list[dict[str, Any]] = "Hello",
    *,
    provider: ProviderId = "anthropic",
    model: str = SONNET,
    betas: tuple[str, ...] = (),
    messages: list[dict[str, Any]] | None = None,
    **body: Any,
) -> NeutralRequest:
    """A Messages request whose last user turn is `content`."""
    body.setdefault("max_tokens", 4096)
    body["messages"] = messages or [{"role": "user", "content": content}]
    return NeutralRequest(provider=provider, model=model, body=body, betas=frozenset(betas))


def texts(reply: ModelReply) -> str:
    return " ".join(block["text"] for block in reply.content if block["type"] == "text")


def types(reply: ModelReply) -> list[str]:
    return [block["type"] for block in reply.content]


def rejection(model: Model, req: NeutralRequest, kind: str = "invalid_request_error") -> str:
    with pytest.raises(EmulatorError) as caught:
        model.respond(req)
    assert caught.value.kind == kind
    return caught.value.message


def encoded_image(width: int, height: int, colour: tuple[int, int, int], fmt: str = "PNG") -> str:
    """A solid-colour image, base64; WebP is saved lossless so the colour stays exact."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format=fmt, lossless=fmt == "WEBP")
    return base64.b64encode(buffer.getvalue()).decode()


def image_block(data: str, media_type: str = "image/png") -> dict[str, Any]:
    return {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}}


def pdf(text: str) -> bytes:
    """A one-page PDF showing `text`, written by hand (offsets computed, so pypdf reads it)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, obj)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def pdf_block(data: bytes) -> dict[str, Any]:
    encoded = base64.b64encode(data).decode()
    source = {"type": "base64", "media_type": "application/pdf", "data": encoded}
    return {"type": "document", "source": source}


@pytest.fixture
def model() -> Model:
    return Model(secret=SECRET)


# --- nonce echo, default reply, determinism ------------------------------------------


def test_a_nonce_in_the_prompt_is_echoed(model: Model) -> None:
    reply = model.respond(ask(f"Reply with exactly: {NONCE}"))
    assert texts(reply) == NONCE
    assert reply.stop_reason == "end_turn"
    assert reply.id.startswith("msg_")


def test_a_token_too_short_to_be_a_nonce_gets_the_default_reply(model: Model) -> None:
    assert texts(model.respond(ask("Reply with exactly: COMPAT-1234"))) == DEFAULT_REPLY


def test_system_reminders_are_not_read_as_the_prompt(model: Model) -> None:
    content = [
        {"type": "text", "text": f"<system-reminder>Ignore {NONCE}</system-reminder>"},
        {"type": "text", "text": "Say hello."},
    ]
    assert texts(model.respond(ask(content))) == DEFAULT_REPLY


def test_the_same_request_gets_the_same_reply_from_any_model_instance() -> None:
    req = ask(BASH_PROMPT, tools=[BASH_TOOL], thinking={"type": "adaptive"})
    first, second = Model(secret=SECRET).respond(req), Model(secret=SECRET).respond(req)
    assert first == second


def test_different_requests_get_different_ids(model: Model) -> None:
    assert model.respond(ask("one")).id != model.respond(ask("two")).id


def test_usage_counts_input_and_output(model: Model) -> None:
    req = ask("Hello")
    reply = model.respond(req)
    assert reply.usage.output_tokens > 0
    assert reply.usage.input_tokens == model.count_tokens(req) > 0
    assert reply.usage.server_tool_use is None


def test_an_unknown_model_is_not_found(model: Model) -> None:
    message = rejection(model, ask(model="claude-sonnet-4-5"), kind="not_found_error")
    assert message == "model: claude-sonnet-4-5"
    with pytest.raises(EmulatorError):
        model.count_tokens(ask(model="gpt-4o"))


# --- the real claude CLI request ------------------------------------------------------


def claude_request(provider: ProviderId) -> NeutralRequest:
    body = {k: v for k, v in CLAUDE_BODY.items() if k not in ("model", "stream")}
    betas = frozenset(CLAUDE_HEADERS["headers"]["anthropic-beta"].split(","))
    return NeutralRequest(provider=provider, model=CLAUDE_BODY["model"], body=body, betas=betas)


def test_the_claude_cli_request_is_answered_on_the_claude_api() -> None:
    # The captured request's own betas are what that release sends first-party: the client
    # evidence the Claude API accepts them on (rules.RuleBook.with_client).
    sent = claude_request("anthropic")
    book = RuleBook.with_client({"first_party": {"sonnet-4-6": sent.betas}}, "captured client")
    reply = Model(secret=SECRET, rules=book).respond(sent)
    assert types(reply) == ["thinking", "text"]
    assert reply.usage.cache_creation_input_tokens > 0


def test_the_claude_cli_betas_are_refused_by_bedrock(model: Model) -> None:
    assert rejection(model, claude_request("bedrock_invoke")) == "invalid beta flag"


def test_without_the_clients_evidence_its_first_party_betas_are_refused(model: Model) -> None:
    assert rejection(model, claude_request("anthropic")).startswith("Unsupported beta header: ")


def test_an_unknown_beta_is_refused_with_the_providers_wording(model: Model) -> None:
    assert (
        rejection(model, ask(betas=("made-up-2099-01-01",)))
        == "Unsupported beta header: made-up-2099-01-01"
    )
    with pytest.raises(EmulatorError, match="Unsupported beta header"):
        model.count_tokens(ask(betas=("made-up-2099-01-01",)))


# --- tool use -------------------------------------------------------------------------


def test_a_bash_request_calls_the_bash_tool(model: Model) -> None:
    reply = model.respond(ask(BASH_PROMPT, tools=[BASH_TOOL]))
    call = reply.content[-1]
    assert reply.stop_reason == "tool_use"
    assert call["type"] == "tool_use"
    assert call["id"].startswith("toolu_")
    assert call["name"] == "Bash"
    assert call["input"]["command"] == f"echo {NONCE}"
    assert call["input"]["description"]
    jsonschema.validate(call["input"], BASH_TOOL["input_schema"])


def test_without_a_bash_tool_the_command_is_not_called(model: Model) -> None:
    reply = model.respond(ask(BASH_PROMPT))
    assert reply.stop_reason == "end_turn"
    assert texts(reply) == NONCE


def test_a_deferred_bash_tool_is_not_called(model: Model) -> None:
    other = {"name": "Read", "input_schema": {"type": "object"}}
    reply = model.respond(ask(BASH_PROMPT, tools=[other, {**BASH_TOOL, "defer_loading": True}]))
    assert "tool_use" not in types(reply)


def test_tool_choice_none_suppresses_the_call(model: Model) -> None:
    reply = model.respond(ask(BASH_PROMPT, tools=[BASH_TOOL], tool_choice={"type": "none"}))
    assert reply.stop_reason == "end_turn"


def bash_turns(model: Model, result: Any, **body: Any) -> tuple[ModelReply, NeutralRequest]:
    """The first reply to the Bash prompt and the follow-up carrying the tool's result."""
    first = model.respond(ask(BASH_PROMPT, tools=[BASH_TOOL], **body))
    call = first.content[-1]
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": BASH_PROMPT},
        {"role": "assistant", "content": first.content},
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": call["id"], "content": result}],
        },
    ]
    return first, ask(messages=messages, tools=[BASH_TOOL], **body)


@pytest.mark.parametrize("result", [NONCE + "\n", [{"type": "text", "text": NONCE}]])
def test_a_tool_result_is_reported_in_the_final_answer(model: Model, result: Any) -> None:
    _, follow_up = bash_turns(model, result)
    reply = model.respond(follow_up)
    assert reply.stop_reason == "end_turn"
    assert types(reply) == ["text"]
    assert NONCE in texts(reply)


# --- thinking -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "thinking"),
    [
        (SONNET, {"type": "enabled", "budget_tokens": 2048}),
        (SONNET, {"type": "adaptive"}),
        (OPUS, {"type": "adaptive", "display": "summarized"}),
        (HAIKU, {"type": "enabled", "budget_tokens": 1024, "display": "updates"}),
    ],
)
def test_thinking_starts_the_reply_with_a_signed_block(
    model: Model, name: str, thinking: dict[str, Any]
) -> None:
    reply = model.respond(ask(f"Say {NONCE}", model=name, thinking=thinking))
    block = reply.content[0]
    assert types(reply) == ["thinking", "text"]
    assert block["thinking"]
    assert block["signature"] == sign_thinking(SECRET, block["thinking"])


def test_omitted_thinking_is_empty_but_signed(model: Model) -> None:
    reply = model.respond(ask(thinking={"type": "adaptive", "display": "omitted"}))
    assert reply.content[0] == {
        "type": "thinking",
        "thinking": "",
        "signature": sign_thinking(SECRET, ""),
    }


@pytest.mark.parametrize("thinking", [None, {"type": "disabled"}])
def test_no_thinking_block_without_thinking(model: Model, thinking: dict[str, Any] | None) -> None:
    body: dict[str, Any] = {} if thinking is None else {"thinking": thinking}
    assert "thinking" not in types(model.respond(ask(**body)))


@pytest.mark.parametrize(
    ("name", "body", "expected"),
    [
        (
            SONNET,
            {"thinking": {"type": "enabled", "budget_tokens": 1023}},
            "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024",
        ),
        (
            SONNET,
            {"max_tokens": 2048, "thinking": {"type": "enabled", "budget_tokens": 2048}},
            "`max_tokens` must be greater than `thinking.budget_tokens`",
        ),
        (
            OPUS,
            {"thinking": {"type": "enabled", "budget_tokens": 2048}},
            '"thinking.type.enabled" is not supported for this model',
        ),
        (HAIKU, {"thinking": {"type": "adaptive"}}, '"thinking.type.adaptive" is not supported'),
        (HAIKU, {"output_config": {"effort": "high"}}, "effort is not supported"),
        (SONNET, {"output_config": {"effort": "extreme"}}, "output_config.effort: Input should"),
        (SONNET, {"thinking": {"type": "sometimes"}}, "thinking.type: Input tag 'sometimes'"),
        (SONNET, {"thinking": {"type": "adaptive", "display": "full"}}, "thinking.display"),
    ],
)
def test_invalid_thinking_parameters_are_rejected(
    model: Model, name: str, body: dict[str, Any], expected: str
) -> None:
    assert expected in rejection(model, ask(model=name, **body))


def test_opus_4_7_thinking_can_be_disabled_except_on_bedrock(model: Model) -> None:
    # Rule thinking.opus-4-7.disabled-on-bedrock: Anthropic's docs allow it, AWS's refuse it.
    off = {"thinking": {"type": "disabled"}}
    for provider in ("anthropic", "azure", "vertex_ai"):
        assert "thinking" not in types(model.respond(ask(provider=provider, model=OPUS, **off)))
    refused = rejection(model, ask(provider="bedrock_invoke", model=OPUS, **off))
    assert '"thinking.type.disabled" is not supported' in refused
    converse = rejection(model, ask(provider="bedrock_converse", model=OPUS, **off))
    assert converse.startswith("The model returned the following errors: ")


def test_interleaved_thinking_lets_the_budget_exceed_max_tokens(model: Model) -> None:
    req = ask(
        max_tokens=2048,
        thinking={"type": "enabled", "budget_tokens": 4096},
        betas=("interleaved-thinking-2025-05-14",),
    )
    assert types(model.respond(req))[0] == "thinking"


def test_thinking_with_a_forced_tool_is_rejected(model: Model) -> None:
    req = ask(tools=[BASH_TOOL], tool_choice={"type": "any"}, thinking={"type": "adaptive"})
    assert rejection(model, req) == "Thinking may not be enabled when tool_choice forces tool use."


def test_thinking_and_tool_use_round_trip_with_the_signed_block(model: Model) -> None:
    first, follow_up = bash_turns(model, NONCE, thinking={"type": "adaptive"})
    assert types(first) == ["thinking", "text", "tool_use"]
    reply = model.respond(follow_up)
    assert types(reply) == ["thinking", "text"]
    assert NONCE in texts(reply)


def test_an_altered_thinking_block_is_rejected(model: Model) -> None:
    _, follow_up = bash_turns(model, NONCE, thinking={"type": "adaptive"})
    follow_up.body["messages"][1]["content"][0]["thinking"] += " (edited)"
    assert (
        rejection(model, follow_up)
        == "messages.1.content.0: Invalid `signature` in `thinking` block"
    )


def test_a_thinking_block_signed_by_another_model_is_rejected() -> None:
    _, follow_up = bash_turns(Model(secret=b"other"), NONCE, thinking={"type": "adaptive"})
    assert "Invalid `signature`" in rejection(Model(secret=SECRET), follow_up)


def test_a_dropped_thinking_block_is_rejected(model: Model) -> None:
    _, follow_up = bash_turns(model, NONCE, thinking={"type": "adaptive"})
    del follow_up.body["messages"][1]["content"][0]
    message = rejection(model, follow_up)
    assert message.startswith(
        "messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found `text`."
    )
    assert "a final `assistant` message must start with a thinking block" in message


def test_without_thinking_a_history_without_thinking_blocks_is_fine(model: Model) -> None:
    _, follow_up = bash_turns(model, NONCE)
    assert NONCE in texts(model.respond(follow_up))


# --- prompt caching -------------------------------------------------------------------


def cached(
    tail: str = "Hello",
    *,
    ttl: str | None = None,
    system: str = LONG_SYSTEM,
    **kwargs: Any,
) -> NeutralRequest:
    """A request with one breakpoint on a long system prompt and `tail` after it."""
    mark = {"type": "ephemeral"} if ttl is None else {"type": "ephemeral", "ttl": ttl}
    block = {"type": "text", "text": system, "cache_control": mark}
    return ask(tail, system=[block], **kwargs)


def test_the_first_request_writes_the_cache_and_a_repeat_reads_it() -> None:
    model = Model(clock=Clock())
    first = model.respond(cached())
    assert first.usage.cache_read_input_tokens == 0
    written = first.usage.cache_creation_input_tokens
    assert written > 1024
    assert first.usage.cache_creation.ephemeral_5m_input_tokens == written
    second = model.respond(cached("A different question"))
    assert second.usage.cache_read_input_tokens == written
    assert second.usage.cache_creation_input_tokens == 0
    total = model.count_tokens(cached("A different question"))
    assert second.usage.input_tokens + second.usage.cache_read_input_tokens == total


def test_a_5m_entry_expires_after_five_minutes() -> None:
    clock = Clock()
    model = Model(clock=clock)
    model.respond(cached())
    clock.now += 301
    reply = model.respond(cached())
    assert reply.usage.cache_read_input_tokens == 0
    assert reply.usage.cache_creation_input_tokens > 0


def test_a_read_refreshes_the_ttl() -> None:
    clock = Clock()
    model = Model(clock=clock)
    model.respond(cached())
    clock.now += 200
    model.respond(cached())
    clock.now += 250  # 450 s after the write, 250 s after the read
    assert model.respond(cached()).usage.cache_read_input_tokens > 0


def test_a_1h_breakpoint_lives_an_hour_and_is_reported_apart() -> None:
    clock = Clock()
    model = Model(clock=clock)
    first = model.respond(cached(ttl="1h"))
    assert first.usage.cache_creation.ephemeral_1h_input_tokens > 0
    assert first.usage.cache_creation.ephemeral_5m_input_tokens == 0
    clock.now += 3000
    assert model.respond(cached(ttl="1h")).usage.cache_read_input_tokens > 0
    clock.now += 3601
    assert model.respond(cached(ttl="1h")).usage.cache_read_input_tokens == 0


def test_a_prefix_below_the_minimum_is_not_cached() -> None:
    model = Model(clock=Clock())
    reply = model.respond(cached(system="A short system prompt."))
    assert reply.usage.cache_creation_input_tokens == 0
    assert model.respond(cached(system="A short system prompt.")).usage.cache_read_input_tokens == 0


def test_haiku_needs_a_longer_prefix_than_sonnet() -> None:
    model = Model(clock=Clock())
    assert model.respond(cached(model=SONNET)).usage.cache_creation_input_tokens > 0
    assert model.respond(cached(model=HAIKU)).usage.cache_creation_input_tokens == 0


def test_providers_do_not_share_a_cache() -> None:
    model = Model(clock=Clock())
    model.respond(cached(provider="anthropic"))
    reply = model.respond(cached(provider="vertex_ai"))
    assert reply.usage.cache_read_input_tokens == 0
    assert reply.usage.cache_creation_input_tokens > 0


def test_the_longest_cached_prefix_is_read_and_the_rest_written() -> None:
    model = Model(clock=Clock())
    mark = {"type": "ephemeral"}

    def two_marks(question: str) -> NeutralRequest:
        system = [{"type": "text", "text": LONG_SYSTEM, "cache_control": mark}]
        content: list[dict[str, Any]] = [
            {"type": "text", "text": "Context. " * 400},
            {"type": "text", "text": question, "cache_control": mark},
        ]
        return ask(content, system=system)

    first = model.respond(two_marks("First question?"))
    second = model.respond(two_marks("Second question?"))
    assert 0 < second.usage.cache_read_input_tokens < first.usage.cache_creation_input_tokens
    assert second.usage.cache_creation_input_tokens > 0


def test_automatic_caching_marks_the_last_block() -> None:
    model = Model(clock=Clock())
    req = ask(LONG_SYSTEM, cache_control={"type": "ephemeral"})
    assert model.respond(req).usage.cache_creation_input_tokens > 0
    assert model.respond(req).usage.cache_read_input_tokens > 0


def marked_tools(*ttls: str) -> list[dict[str, Any]]:
    return [
        {
            "name": f"tool_{i}",
            "input_schema": {"type": "object"},
            "cache_control": {"type": "ephemeral", "ttl": ttl},
        }
        for i, ttl in enumerate(ttls)
    ]


def test_four_breakpoints_are_allowed_and_five_are_not(model: Model) -> None:
    assert model.respond(ask(tools=marked_tools("5m", "5m", "5m", "5m")))
    assert (
        rejection(model, ask(tools=marked_tools("5m", "5m", "5m", "5m", "5m")))
        == "A maximum of 4 blocks with cache_control may be provided. Found 5."
    )


def test_a_1h_breakpoint_after_a_5m_one_is_rejected(model: Model) -> None:
    assert model.respond(ask(tools=marked_tools("1h", "5m")))
    message = rejection(model, ask(tools=marked_tools("5m", "1h")))
    assert message.startswith(
        "tools.1.cache_control.ttl: a ttl='1h' cache_control block must not come after"
    )


def test_an_unknown_ttl_is_rejected(model: Model) -> None:
    assert "Input should be '5m' or '1h'" in rejection(model, ask(tools=marked_tools("10m")))


def test_the_cache_is_safe_under_concurrent_requests() -> None:
    model = Model(clock=Clock())
    replies: list[ModelReply] = []
    threads = [
        threading.Thread(target=lambda: replies.append(model.respond(cached()))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writes = [r for r in replies if r.usage.cache_creation_input_tokens]
    assert len(replies) == 8
    assert len(writes) == 1


# --- vision and documents -------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "media_type"),
    [("PNG", "image/png"), ("GIF", "image/gif"), ("WEBP", "image/webp")],
)
def test_an_image_is_described_by_size_and_colour(model: Model, fmt: str, media_type: str) -> None:
    block = image_block(encoded_image(64, 48, (0x1A, 0x2B, 0x3C), fmt), media_type)
    reply = model.respond(ask([block, {"type": "text", "text": "What colour is this?"}]))
    assert texts(reply) == "The image is 64x48 pixels and its colour is #1a2b3c."


def test_the_colour_is_the_average_of_the_pixels(model: Model) -> None:
    image = Image.new("RGB", (2, 1), (0, 0, 0))
    image.putpixel((1, 0), (200, 100, 50))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    block = image_block(base64.b64encode(buffer.getvalue()).decode())
    assert "#643219" in texts(model.respond(ask([block])))


def test_the_nonce_is_added_to_an_image_answer(model: Model) -> None:
    block = image_block(encoded_image(4, 4, (255, 0, 0)))
    reply = model.respond(ask([block, {"type": "text", "text": f"Describe it and say {NONCE}"}]))
    assert texts(reply) == f"The image is 4x4 pixels and its colour is #ff0000. {NONCE}"


def test_an_image_returned_by_a_tool_is_described(model: Model) -> None:
    result = {
        "type": "tool_result",
        "tool_use_id": "toolu_1",
        "content": [image_block(encoded_image(8, 8, (0, 255, 0)))],
    }
    call = {"type": "tool_use", "id": "toolu_1", "name": "Read", "input": {}}
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": "Read the picture."},
        {"role": "assistant", "content": [call]},
        {"role": "user", "content": [result]},
    ]
    assert "#00ff00" in texts(model.respond(ask(messages=messages)))


def test_undecodable_image_data_is_rejected(model: Model) -> None:
    block = image_block(base64.b64encode(b"not an image at all").decode())
    assert rejection(model, ask([block])) == "Could not process image"


def test_an_image_with_the_wrong_media_type_is_rejected(model: Model) -> None:
    block = image_block(encoded_image(4, 4, (1, 2, 3)), "image/jpeg")
    assert "appears to be a image/png image" in rejection(model, ask([block]))


def test_a_pdf_is_read(model: Model) -> None:
    block = pdf_block(pdf(f"Quarterly report {NONCE}"))
    reply = model.respond(ask([block, {"type": "text", "text": "What does it say?"}]))
    assert texts(reply) == f"The document says: Quarterly report {NONCE}"


def test_a_plain_text_document_is_read(model: Model) -> None:
    source = {"type": "text", "media_type": "text/plain", "data": "Plain words."}
    reply = model.respond(ask([{"type": "document", "source": source}]))
    assert texts(reply) == "The document says: Plain words."


def test_a_corrupt_pdf_is_rejected(model: Model) -> None:
    message = rejection(model, ask([pdf_block(b"%PDF-1.4\nthis is not a pdf")]))
    assert message.endswith("The PDF specified was not valid.")


# --- web search and tool search -------------------------------------------------------


def test_web_search_returns_a_search_a_result_and_a_citing_answer(model: Model) -> None:
    reply = model.respond(
        ask(f"Search the web for the Compat release notes. {NONCE}", tools=[WEB_SEARCH])
    )
    use, result, answer = reply.content
    assert types(reply) == ["server_tool_use", "web_search_tool_result", "text"]
    assert use["id"].startswith("srvtoolu_")
    assert use["name"] == "web_search"
    assert use["input"]["query"] == "the Compat release notes"
    assert result["tool_use_id"] == use["id"]
    hit = result["content"][0]
    assert hit["type"] == "web_search_result"
    assert hit["url"].startswith("https://example.com/")
    assert {"title", "encrypted_content", "page_age"} <= hit.keys()
    assert answer["citations"][0]["url"] == hit["url"]
    assert NONCE in answer["text"]
    assert reply.usage.server_tool_use == {"web_search_requests": 1}


@pytest.mark.parametrize("provider", ["bedrock_invoke", "bedrock_converse"])
def test_web_search_is_not_offered_on_bedrock(model: Model, provider: ProviderId) -> None:
    message = rejection(model, ask("Search", provider=provider, tools=[WEB_SEARCH]))
    assert "web_search_20250305" in message


def test_dynamic_web_search_needs_a_4_6_model(model: Model) -> None:
    tool = {"type": "web_search_20260209", "name": "web_search"}
    assert model.respond(ask("Search", tools=[tool])).usage.server_tool_use
    assert "web_search_20260209" in rejection(model, ask("Search", model=HAIKU, tools=[tool]))
    assert "web_search_20260209" in rejection(model, ask("Search", provider="azure", tools=[tool]))


def deferred(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "description": description,
        "input_schema": {"type": "object", "properties": {"location": {"type": "string"}}},
        "defer_loading": True,
    }


SEARCHABLE = [
    {"type": "tool_search_tool_regex_20251119", "name": "tool_search_tool_regex"},
    deferred("get_weather", "Get the current weather for a city"),
    deferred("search_files", "Search through files in the workspace"),
]


def test_tool_search_references_the_matching_deferred_tool(model: Model) -> None:
    reply = model.respond(ask("What is the weather in Paris?", tools=SEARCHABLE))
    use, result, answer = reply.content
    assert types(reply) == ["server_tool_use", "tool_search_tool_result", "text"]
    assert use["name"] == "tool_search_tool_regex"
    assert "weather" in use["input"]["query"]
    assert result["tool_use_id"] == use["id"]
    assert result["content"] == {
        "type": "tool_search_tool_search_result",
        "tool_references": [{"type": "tool_reference", "tool_name": "get_weather"}],
    }
    assert "get_weather" in answer["text"]


def test_the_bm25_variant_searches_with_words(model: Model) -> None:
    tools = [{"type": "tool_search_tool_bm25_20251119", "name": "tool_search_tool_bm25"}]
    reply = model.respond(ask("Search the workspace files", tools=tools + SEARCHABLE[1:]))
    assert reply.content[0]["input"] == {"query": "search workspace files"}
    assert reply.content[1]["content"]["tool_references"] == [
        {"type": "tool_reference", "tool_name": "search_files"}
    ]


def test_all_tools_deferred_is_rejected(model: Model) -> None:
    assert "At least one tool must be non-deferred" in rejection(model, ask(tools=SEARCHABLE[1:]))


def test_a_deferred_tool_search_tool_is_rejected(model: Model) -> None:
    tools = [{**SEARCHABLE[0], "defer_loading": True}, *SEARCHABLE[1:]]
    assert "cannot have `defer_loading`" in rejection(model, ask(tools=tools))


def test_tool_search_is_not_offered_through_converse(model: Model) -> None:
    message = rejection(model, ask(provider="bedrock_converse", tools=SEARCHABLE))
    assert "tool_search_tool_regex_20251119" in message


def test_an_unsupported_server_tool_is_rejected_by_name(model: Model) -> None:
    tool = {"type": "code_execution_20250825", "name": "code_execution"}
    assert "code_execution_20250825" in rejection(model, ask(tools=[tool]))


# --- structured outputs ---------------------------------------------------------------

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "status": {"type": "string", "enum": ["pass", "fail"]},
        "nonce": {"type": "string"},
        "score": {"type": "integer", "minimum": 3, "maximum": 9},
        "ratio": {"type": "number", "exclusiveMinimum": 0.5},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
        "detail": {"$ref": "#/$defs/detail"},
        "note": {"type": ["string", "null"]},
        "optional": {"type": "string"},
    },
    "required": ["status", "nonce", "score", "ratio", "tags", "detail", "note"],
    "additionalProperties": False,
    "$defs": {
        "detail": {
            "type": "object",
            "properties": {"ok": {"type": "boolean"}},
            "required": ["ok"],
        }
    },
}


@pytest.mark.parametrize(
    ("body", "betas"),
    [
        ({"output_config": {"format": {"type": "json_schema", "schema": SCHEMA}}}, ()),
        (
            {"output_format": {"type": "json_schema", "schema": SCHEMA}},
            ("structured-outputs-2025-11-13",),
        ),
    ],
)
def test_structured_output_is_a_valid_instance_of_the_schema(
    model: Model, body: dict[str, Any], betas: tuple[str, ...]
) -> None:
    reply = model.respond(ask(f"Report the status for {NONCE}.", betas=betas, **body))
    answer = json.loads(texts(reply))
    jsonschema.validate(answer, SCHEMA)
    assert answer["nonce"] == NONCE
    assert answer["status"] == "pass"
    assert len(answer["tags"]) == 2


def test_an_invalid_schema_is_rejected(model: Model) -> None:
    body: dict[str, Any] = {
        "output_config": {"format": {"type": "json_schema", "schema": {"type": "nope"}}}
    }
    assert rejection(model, ask(**body)).startswith("output_config.format.schema:")


def test_a_format_other_than_json_schema_is_rejected(model: Model) -> None:
    body: dict[str, Any] = {"output_config": {"format": {"type": "xml", "schema": {}}}}
    assert "Input should be 'json_schema'" in rejection(model, ask(**body))


def test_a_forced_tool_is_called_with_a_valid_input(model: Model) -> None:
    tool = {"name": "report", "input_schema": SCHEMA}
    reply = model.respond(ask(tools=[tool], tool_choice={"type": "tool", "name": "report"}))
    assert types(reply) == ["tool_use"]
    jsonschema.validate(reply.content[0]["input"], SCHEMA)


def test_forcing_an_unknown_tool_is_rejected(model: Model) -> None:
    req = ask(tools=[BASH_TOOL], tool_choice={"type": "tool", "name": "Write"})
    assert "Tool 'Write' not found" in rejection(model, req)


STRUCTURED_OUTPUT_TOOL = {"name": "StructuredOutput", "input_schema": SCHEMA}


def test_the_structured_output_tool_is_called_when_asked_for(model: Model) -> None:
    reply = model.respond(
        ask(f"Give the status of {NONCE} as structured output.", tools=[STRUCTURED_OUTPUT_TOOL])
    )
    call = reply.content[-1]
    assert call["name"] == "StructuredOutput"
    jsonschema.validate(call["input"], SCHEMA)
    assert call["input"]["nonce"] == NONCE


def test_the_structured_output_tool_is_not_called_unprompted(model: Model) -> None:
    reply = model.respond(ask(f"Say {NONCE}", tools=[STRUCTURED_OUTPUT_TOOL]))
    assert reply.stop_reason == "end_turn"


@st.composite
def schemas(draw: st.DrawFn, depth: int = 0) -> dict[str, Any]:
    """Schemas built from the keywords structured outputs support."""
    kinds = ["string", "integer", "number", "boolean", "enum"]
    kind = draw(st.sampled_from([*kinds, "object", "array"] if depth < 3 else kinds))
    if kind == "enum":
        return {"enum": draw(st.lists(st.text(max_size=5), min_size=1, max_size=3))}
    schema: dict[str, Any] = {"type": kind}
    if kind in ("integer", "number"):
        low = draw(st.integers(-50, 50))
        schema.update(minimum=low, maximum=low + draw(st.integers(0, 20)))
    elif kind == "string":
        schema.update(minLength=draw(st.integers(0, 30)))
    elif kind == "array":
        schema.update(items=draw(schemas(depth + 1)), minItems=draw(st.integers(0, 3)))
    elif kind == "object":
        names = draw(
            st.lists(st.from_regex(r"[a-z]{1,8}", fullmatch=True), unique=True, max_size=4)
        )
        schema["properties"] = {name: draw(schemas(depth + 1)) for name in names}
        schema["required"] = [n for n in names if draw(st.booleans())]
        schema["additionalProperties"] = False
    return schema


@settings(max_examples=200, deadline=None)
@given(schemas())
def test_generated_instances_validate_against_their_schema(schema: dict[str, Any]) -> None:
    jsonschema.validate(schema_instance(schema, seed=NONCE, where="schema"), schema)


# --- context window -------------------------------------------------------------------

OVER_200K = "word " * 170_000  # ~212,500 tokens


def test_haiku_rejects_a_prompt_over_200k_tokens(model: Model) -> None:
    message = rejection(model, ask(OVER_200K, model=HAIKU))
    assert message.startswith("prompt is too long: ")
    assert message.endswith(" tokens > 200000 maximum")


def test_the_1m_beta_does_not_extend_haiku(model: Model) -> None:
    req = ask(OVER_200K, model=HAIKU, betas=("context-1m-2025-08-07",))
    assert rejection(model, req).endswith("> 200000 maximum")


@pytest.mark.parametrize("betas", [(), ("context-1m-2025-08-07",)])
def test_sonnet_accepts_a_prompt_over_200k_tokens(model: Model, betas: tuple[str, ...]) -> None:
    assert model.respond(ask(OVER_200K, betas=betas)).usage.input_tokens > 200_000


def test_the_1m_window_has_a_limit_too(model: Model) -> None:
    assert rejection(model, ask("word " * 810_000)).endswith("> 1000000 maximum")


TOOL_SEARCH = next(tool for tool in CLAUDE_BODY["tools"] if tool["name"] == "ToolSearch")
WEB_SEARCH_TOOL = {
    "name": "WebSearch",
    "description": "Search the web",
    "input_schema": {
        "type": "object",
        "properties": {"query": {"type": "string"}},
        "required": ["query"],
    },
    "defer_loading": True,
}
SEARCH_TASK = f"Search the web for {NONCE} using the WebSearch tool, then reply with the title."


def _calls(reply: ModelReply) -> list[tuple[str, dict[str, Any]]]:
    return [(b["name"], b["input"]) for b in reply.content if b["type"] == "tool_use"]


def test_claude_code_web_search_loads_the_deferred_tool_then_calls_it(model: Model) -> None:
    first = model.respond(ask(SEARCH_TASK, tools=[TOOL_SEARCH]))
    assert _calls(first) == [("ToolSearch", {"query": "select:WebSearch", "max_results": 1})]
    load_id = next(b["id"] for b in first.content if b["type"] == "tool_use")
    loaded = [{"type": "tool_reference", "tool_name": "WebSearch"}]
    history = [
        {"role": "user", "content": SEARCH_TASK},
        {"role": "assistant", "content": [b for b in first.content if b["type"] == "tool_use"]},
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": load_id, "content": loaded},
                {"type": "text", "text": "Tool loaded."},
            ],
        },
    ]
    second = model.respond(ask(messages=history, tools=[TOOL_SEARCH, WEB_SEARCH_TOOL]))
    assert _calls(second) == [("WebSearch", {"query": NONCE})]
    search_id = next(b["id"] for b in second.content if b["type"] == "tool_use")
    history += [
        {"role": "assistant", "content": [b for b in second.content if b["type"] == "tool_use"]},
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": search_id,
                    "content": f'Web search results for query: "{NONCE}"',
                }
            ],
        },
    ]
    third = model.respond(ask(messages=history, tools=[TOOL_SEARCH, WEB_SEARCH_TOOL]))
    assert _calls(third) == [] and "Web search results" in texts(third)


def test_a_forced_web_search_server_tool_runs_the_search(model: Model) -> None:
    reply = model.respond(
        ask(
            f"Perform a web search for the query: {NONCE}",
            tools=[WEB_SEARCH],
            tool_choice={"type": "tool", "name": "web_search"},
        )
    )
    assert types(reply)[:2] == ["server_tool_use", "web_search_tool_result"]


# --- plain instructions, as any client phrases them -----------------------------------
#
# The prompts below are the ordinary phrasing of other harnesses (LiteLLM's own Claude Code
# suite among them), not compat's probe phrasing: the model must follow them the way a
# real model does, and answer only from what the request carries.

READ_TOOL = next(tool for tool in CLAUDE_BODY["tools"] if tool["name"] == "Read")
PDF_PATH = "/tmp/pytest-of-root/pytest-1/test_pdf_input0/marker.pdf"
READ_PDF_TASK = (
    f"Use the Read tool to read the file at {PDF_PATH}. "
    "Report the single word that appears in the document."
)
PLAIN_SEARCH_TASK = (
    "Use web search to find a news headline published this week about Anthropic. "
    "Reply with one sentence summarizing what you found."
)
PRINT_PONG_TASK = (
    "Think step by step about which shell command would print just the word 'pong'. "
    "Then use the Bash tool to run that exact command and report what it printed."
)
STRUCTURED_SUM = {
    "name": "StructuredOutput",
    "description": "Return the final answer as structured output.",
    "input_schema": {
        "type": "object",
        "properties": {"answer": {"type": "integer"}},
        "required": ["answer"],
        "additionalProperties": False,
    },
}


def turn_after(
    model: Model, task: str, tools: list[dict[str, Any]], content: Any, **body: Any
) -> ModelReply:
    """The reply once the tool the model called for `task` has answered with `content`."""
    first = model.respond(ask(task, tools=tools, **body))
    call = next(b for b in first.content if b["type"] == "tool_use")
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": task},
        {"role": "assistant", "content": first.content},
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": call["id"], "content": content}],
        },
    ]
    return model.respond(ask(messages=messages, tools=tools, **body))


def test_a_plainly_asked_command_is_run_with_bash(model: Model) -> None:
    task = "Use the Bash tool to run the command `echo pong` and report what it printed."
    reply = model.respond(ask(task, tools=[READ_TOOL, BASH_TOOL]))
    assert _calls(reply) == [
        ("Bash", {"command": "echo pong", "description": "Run the command the user asked for"})
    ]
    assert "pong" in texts(turn_after(model, task, [READ_TOOL, BASH_TOOL], "pong\n"))


def test_a_command_that_prints_a_word_is_worked_out_and_run(model: Model) -> None:
    thinking = {"type": "adaptive"}
    reply = model.respond(ask(PRINT_PONG_TASK, tools=[BASH_TOOL], thinking=thinking))
    assert types(reply) == ["thinking", "text", "tool_use"]
    assert _calls(reply)[0][1]["command"] == "echo pong"
    assert "echo pong" in reply.content[0]["thinking"]


def test_bash_without_a_command_to_run_is_not_called(model: Model) -> None:
    reply = model.respond(ask("Use the Bash tool to tidy up my project.", tools=[BASH_TOOL]))
    assert _calls(reply) == []


def test_a_named_file_is_read_with_the_read_tool(model: Model) -> None:
    reply = model.respond(ask(READ_PDF_TASK, tools=[BASH_TOOL, READ_TOOL]))
    assert reply.stop_reason == "tool_use"
    assert _calls(reply) == [("Read", {"file_path": PDF_PATH})]  # the full stop is not in it
    jsonschema.validate(_calls(reply)[0][1], READ_TOOL["input_schema"])


def test_a_file_to_read_asks_for_read_without_naming_it(model: Model) -> None:
    reply = model.respond(ask("Read `notes/todo.md` and summarise it.", tools=[READ_TOOL]))
    assert _calls(reply) == [("Read", {"file_path": "notes/todo.md"})]


def test_the_pdf_the_read_tool_returns_is_what_the_answer_reports(model: Model) -> None:
    content = [
        {"type": "text", "text": f"PDF file read: {PDF_PATH} (579 bytes)"},
        pdf_block(pdf("PONG")),
    ]
    reply = turn_after(model, READ_PDF_TASK, [READ_TOOL], content)
    assert texts(reply) == "PONG"  # "the single word": the bare word, from the PDF's bytes
    asked_freely = READ_PDF_TASK.replace("Report the single word", "Say what")
    assert texts(turn_after(model, asked_freely, [READ_TOOL], content)) == (
        f"The tool returned: PDF file read: {PDF_PATH} (579 bytes) The document says: PONG"
    )


def test_a_pdf_that_never_arrived_is_not_invented(model: Model) -> None:
    # The Read result says a PDF was read, but its document block was lost on the way.
    content = [{"type": "text", "text": f"PDF file read: {PDF_PATH} (579 bytes)"}]
    reply = turn_after(model, READ_PDF_TASK, [READ_TOOL], content)
    assert "PONG" not in texts(reply).upper()
    assert "did not receive the file's contents" in texts(reply)
    # Asked about an attachment that is not there at all, the model does not answer it.
    assert texts(model.respond(ask("What single word does the attached PDF contain?"))) == (
        DEFAULT_REPLY
    )


def test_plain_web_search_phrasing_loads_and_calls_websearch(model: Model) -> None:
    first = model.respond(ask(PLAIN_SEARCH_TASK, tools=[TOOL_SEARCH]))
    assert _calls(first) == [("ToolSearch", {"query": "select:WebSearch", "max_results": 1})]
    load_id = next(b["id"] for b in first.content if b["type"] == "tool_use")
    history = [
        {"role": "user", "content": PLAIN_SEARCH_TASK},
        {"role": "assistant", "content": first.content},
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": load_id,
                    "content": [{"type": "tool_reference", "tool_name": "WebSearch"}],
                }
            ],
        },
    ]
    second = model.respond(ask(messages=history, tools=[TOOL_SEARCH, WEB_SEARCH_TOOL]))
    query = "a news headline published this week about Anthropic"
    assert _calls(second) == [("WebSearch", {"query": query})]


@pytest.mark.parametrize(
    ("prompt", "query"),
    [
        (PLAIN_SEARCH_TASK, "a news headline published this week about Anthropic"),
        ("Search the web for the Compat release notes.", "the Compat release notes"),
        ("Do a web search for LiteLLM proxy docs, then summarise.", "LiteLLM proxy docs"),
        ("Look up the Python 3.14 release date online.", "the Python 3.14 release date"),
        ("Perform a web search for the query: claude code", "claude code"),
    ],
)
def test_plainly_asked_web_search_runs_the_server_tool(
    model: Model, prompt: str, query: str
) -> None:
    reply = model.respond(ask(prompt, tools=[WEB_SEARCH]))
    assert types(reply) == ["server_tool_use", "web_search_tool_result", "text"]
    assert reply.content[0]["input"] == {"query": query}
    assert reply.usage.server_tool_use == {"web_search_requests": 1}


def test_the_web_search_tool_is_not_used_when_nothing_asks_for_a_search(model: Model) -> None:
    reply = model.respond(ask("Reply with the single word 'pong'.", tools=[WEB_SEARCH]))
    assert types(reply) == ["text"] and texts(reply) == "pong"
    assert reply.usage.server_tool_use is None


def test_a_one_word_colour_question_gets_the_colour_name(model: Model) -> None:
    block = image_block(encoded_image(1, 1, (255, 0, 0)))
    question = "What single color do you see in the attached image? Answer in one word."
    assert texts(model.respond(ask([{"type": "text", "text": question}, block]))) == "Red"
    green = image_block(encoded_image(3, 2, (0, 200, 10)))
    assert texts(model.respond(ask([green, {"type": "text", "text": question}]))) == "Green"


def test_a_hex_colour_question_gets_the_hex_code(model: Model) -> None:
    block = image_block(encoded_image(4, 4, (0x1A, 0x2B, 0x3C)))
    question = "Reply with its exact hex colour code, like #000000, and nothing else."
    assert texts(model.respond(ask([block, {"type": "text", "text": question}]))) == "#1a2b3c"


def test_a_pdf_asked_for_exactly_is_answered_with_its_bare_text(model: Model) -> None:
    block = pdf_block(pdf(f"The secret code is {NONCE}"))
    question = "What text does this PDF document contain? Reply with that text exactly."
    reply = model.respond(ask([block, {"type": "text", "text": question}]))
    assert texts(reply) == f"The secret code is {NONCE}"


@pytest.mark.parametrize(
    ("prompt", "answer"),
    [
        ("Reply with the single word 'pong' and nothing else.", "pong"),
        ("End of excerpt. Please reply with the single word 'ok'.", "ok"),
        ('Say "hello there".', "hello there"),
        ("Respond with the word banana.", "banana"),
        ("Count from 1 to 5, one number per line.", "1\n2\n3\n4\n5"),
        ("Count from 3 to 1.", "3, 2, 1"),
        ("What is 6 x 7?", "42"),
    ],
)
def test_plain_text_requests_are_followed(model: Model, prompt: str, answer: str) -> None:
    assert texts(model.respond(ask(prompt))) == answer


def test_structured_output_carries_the_answer_the_prompt_asks_for(model: Model) -> None:
    prompt = "What is 2 + 2? Reply only via the structured output."
    reply = model.respond(ask(prompt, tools=[STRUCTURED_SUM]))
    assert _calls(reply) == [("StructuredOutput", {"answer": 4})]
    fmt = {"type": "json_schema", "schema": STRUCTURED_SUM["input_schema"]}
    as_json = model.respond(ask("What is 2 + 2?", output_config={"format": fmt}))
    assert json.loads(texts(as_json)) == {"answer": 4}


def test_an_answer_the_schema_cannot_hold_is_left_out(model: Model) -> None:
    schema = {
        "type": "object",
        "properties": {"answer": {"type": "integer", "maximum": 3}},
        "required": ["answer"],
    }
    fmt = {"type": "json_schema", "schema": schema}
    reply = model.respond(ask("What is 2 + 2?", output_config={"format": fmt}))
    jsonschema.validate(json.loads(texts(reply)), schema)


def test_a_named_tool_listed_as_deferred_is_loaded_before_it_is_called(model: Model) -> None:
    reminder = (
        "<system-reminder>\nThe following deferred tools are now available via ToolSearch. "
        "Use ToolSearch to load them:\nNotebookEdit\nWebFetch\n</system-reminder>"
    )
    content = [
        {"type": "text", "text": reminder},
        {"type": "text", "text": "Use the NotebookEdit tool to add a cell."},
    ]
    reply = model.respond(ask(content, tools=[TOOL_SEARCH, BASH_TOOL]))
    assert _calls(reply) == [("ToolSearch", {"query": "select:NotebookEdit", "max_results": 1})]
    unlisted = model.respond(ask("Use the Frobnicate tool now.", tools=[TOOL_SEARCH]))
    assert _calls(unlisted) == []


def test_following_an_instruction_is_deterministic() -> None:
    request = ask(READ_PDF_TASK, tools=[BASH_TOOL, READ_TOOL])
    assert Model(secret=SECRET).respond(request) == Model(secret=SECRET).respond(request)
