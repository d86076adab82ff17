"""The shared model: nonce echo and determinism, the claude CLI's request, the context window."""

from __future__ import annotations

import pytest

from compat.emulator.model import DEFAULT_REPLY, Model
from compat.emulator.rules import RuleBook
from compat.emulator.types import EmulatorError, NeutralRequest, ProviderId
from support.model_requests import (
    BASH_PROMPT,
    BASH_TOOL,
    CLAUDE_BODY,
    CLAUDE_HEADERS,
    HAIKU,
    NONCE,
    SECRET,
    ask,
    rejection,
    texts,
    types,
)

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
