"""Extended thinking: signed blocks, the settings the API refuses, the history's signatures."""

from __future__ import annotations

from typing import Any

import pytest

from compat.emulator.model import Model, sign_thinking
from support.model_requests import (
    BASH_TOOL,
    HAIKU,
    NONCE,
    OPUS,
    SECRET,
    SONNET,
    ask,
    bash_turns,
    rejection,
    texts,
    types,
)


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
