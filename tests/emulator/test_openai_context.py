from __future__ import annotations

from compat.emulator.openai_context import as_context, declares_context
from compat.emulator.openai_responses_decode import decode_responses

NOTE = "Operator note (not from the user): the following was a reminder."
ENVIRONMENT = "# Environment\nUse the Skill tool to list skills."


def text(value: str) -> dict[str, str]:
    return {"type": "text", "text": value}


def test_a_message_saying_it_is_not_the_users_becomes_background():
    blocks = [text(NOTE), text(ENVIRONMENT), {"type": "image", "source": {}}]
    assert declares_context(blocks)
    wrapped = as_context(blocks)
    assert wrapped[0]["text"] == f"<system-reminder>\n{NOTE}\n</system-reminder>"
    assert wrapped[1]["text"].startswith("<system-reminder>\n# Environment")
    assert wrapped[2] == blocks[2]


def test_the_users_own_words_are_left_alone():
    blocks = [text("Reply with the token COMPAT-ABC123."), text("This is not from the user.")]
    assert not declares_context(blocks)
    assert as_context(blocks) is blocks


def test_the_decoded_prompt_keeps_the_instruction_and_sets_the_note_aside():
    request = decode_responses(
        {
            "model": "gpt-5.6-luna",
            "input": [
                {"role": "user", "content": [{"type": "input_text", "text": "Say COMPAT-ABC123"}]},
                {"role": "user", "content": [{"type": "input_text", "text": NOTE}]},
            ],
        },
        provider="openai",
    )
    (message,) = request.neutral.body["messages"]
    assert [b["text"] for b in message["content"]] == [
        "Say COMPAT-ABC123",
        f"<system-reminder>\n{NOTE}\n</system-reminder>",
    ]
