"""Plain instructions as any client phrases them, followed as a real model follows them."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from compat.emulator.model import DEFAULT_REPLY, Model
from compat.emulator.types import ModelReply
from support.model_requests import (
    BASH_TOOL,
    CLAUDE_BODY,
    NONCE,
    SECRET,
    TOOL_SEARCH,
    WEB_SEARCH,
    WEB_SEARCH_TOOL,
    ask,
    calls,
    encoded_image,
    image_block,
    pdf,
    pdf_block,
    texts,
    types,
)

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
    assert calls(reply) == [
        ("Bash", {"command": "echo pong", "description": "Run the command the user asked for"})
    ]
    assert "pong" in texts(turn_after(model, task, [READ_TOOL, BASH_TOOL], "pong\n"))


def test_a_command_that_prints_a_word_is_worked_out_and_run(model: Model) -> None:
    thinking = {"type": "adaptive"}
    reply = model.respond(ask(PRINT_PONG_TASK, tools=[BASH_TOOL], thinking=thinking))
    assert types(reply) == ["thinking", "text", "tool_use"]
    assert calls(reply)[0][1]["command"] == "echo pong"
    assert "echo pong" in reply.content[0]["thinking"]


def test_bash_without_a_command_to_run_is_not_called(model: Model) -> None:
    reply = model.respond(ask("Use the Bash tool to tidy up my project.", tools=[BASH_TOOL]))
    assert calls(reply) == []


def test_a_named_file_is_read_with_the_read_tool(model: Model) -> None:
    reply = model.respond(ask(READ_PDF_TASK, tools=[BASH_TOOL, READ_TOOL]))
    assert reply.stop_reason == "tool_use"
    assert calls(reply) == [("Read", {"file_path": PDF_PATH})]  # the full stop is not in it
    jsonschema.validate(calls(reply)[0][1], READ_TOOL["input_schema"])


def test_a_file_to_read_asks_for_read_without_naming_it(model: Model) -> None:
    reply = model.respond(ask("Read `notes/todo.md` and summarise it.", tools=[READ_TOOL]))
    assert calls(reply) == [("Read", {"file_path": "notes/todo.md"})]


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
    assert calls(first) == [("ToolSearch", {"query": "select:WebSearch", "max_results": 1})]
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
    assert calls(second) == [("WebSearch", {"query": query})]


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
    assert calls(reply) == [("StructuredOutput", {"answer": 4})]
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
    assert calls(reply) == [("ToolSearch", {"query": "select:NotebookEdit", "max_results": 1})]
    unlisted = model.respond(ask("Use the Frobnicate tool now.", tools=[TOOL_SEARCH]))
    assert calls(unlisted) == []


def test_following_an_instruction_is_deterministic() -> None:
    request = ask(READ_PDF_TASK, tools=[BASH_TOOL, READ_TOOL])
    assert Model(secret=SECRET).respond(request) == Model(secret=SECRET).respond(request)
