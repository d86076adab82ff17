"""The prompt rules that call a client tool: forced, structured output, web search, named."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from compat.emulator import instructions
from compat.emulator.conversation import Answer, Conversation, first_sentence, text_block
from compat.emulator.json_instance import schema_instance
from compat.emulator.structured import numeric_answer, with_answer

_MENTIONS_STRUCTURED_OUTPUT = re.compile(r"structured[\s_-]*output", re.IGNORECASE)


def tool_call(
    c: Conversation,
    tool: dict[str, Any],
    *,
    intent: str,
    preface: str | None = None,
    overrides: dict[str, Any] | None = None,
) -> Answer:
    """A call of `tool` with a minimal valid input, `overrides` set where the prompt says."""
    name = str(tool.get("name"))
    schema = tool.get("input_schema")
    tool_input = schema_instance(
        schema if isinstance(schema, dict) else {"type": "object"},
        seed=c.nonce or "example",
        where=f"tools.{name}.input_schema",
        overrides=overrides,
    )
    call = {"type": "tool_use", "id": c.item_id("toolu", name), "name": name, "input": tool_input}
    blocks = [text_block(preface), call] if preface else [call]
    return Answer(blocks, intent, stop_reason="tool_use")


def forced_tool(c: Conversation) -> Answer | None:
    """Rule 1: `tool_choice` names a custom tool, or asks for any tool."""
    choice = c.tool_choice()
    if choice == "tool":
        name = str(c.body["tool_choice"].get("name"))
        if name not in c.tools.custom:
            return None  # a forced server tool: the server-tool rules below answer
        return tool_call(c, c.tools.custom[name], intent=f"call the {name} tool")
    if choice == "any":
        chosen = structured_output_tool(c) or named_tool(c)
        if chosen is not None:
            return chosen
        first = next(iter(c.tools.custom.values()))
        return tool_call(c, first, intent=f"call the {first.get('name')} tool")
    return None


def structured_output_tool(c: Conversation) -> Answer | None:
    """Rule 5: the `StructuredOutput` tool, when the prompt or system prompt asks for it."""
    tool = c.tools.custom.get("StructuredOutput")
    if tool is None or c.tool_choice() == "none":
        return None
    asked = _MENTIONS_STRUCTURED_OUTPUT.search(c.prompt) or _MENTIONS_STRUCTURED_OUTPUT.search(
        c.system_text
    )
    if not asked:
        return None
    schema = tool.get("input_schema")
    return with_answer(
        lambda answer: tool_call(
            c, tool, intent="give the answer as structured output", overrides=answer
        ),
        numeric_answer(schema, c.prompt) if isinstance(schema, dict) else {},
    )


def client_web_search(c: Conversation) -> Answer | None:
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
        return tool_call(
            c, web_search, intent=f"search the web for {query}", overrides={"query": query}
        )
    if web_search is None and not called:
        return _load_tool(c, "WebSearch")
    return None


def _load_tool(c: Conversation, name: str) -> Answer | None:
    """Load a deferred tool with Claude Code's ToolSearch, once."""
    tool_search = c.tools.custom.get("ToolSearch")
    if tool_search is None or "ToolSearch" in c.previous_tool_calls:
        return None
    return tool_call(
        c,
        tool_search,
        intent=f"load the {name} tool",
        overrides={"query": f"select:{name}", "max_results": 1},
    )


@dataclass(frozen=True)
class _PromptArgument:
    """A tool called only with an argument the prompt states, and how the call is worded."""

    read: Callable[[str], str | None]
    """Reads the argument from the prompt (`instructions`)."""
    intent: str
    preface: str
    overrides: Callable[[str], dict[str, Any]]


# Without a tool's name, a command to run asks for Bash and a file to read for Read.
_ARGUMENT_TOOLS: dict[str, _PromptArgument] = {
    "Bash": _PromptArgument(
        read=instructions.shell_command,
        intent="run `{}` with the Bash tool",
        preface="I'll run that command with the Bash tool.",
        overrides=lambda command: {
            "command": command,
            "description": "Run the command the user asked for",
        },
    ),
    "Read": _PromptArgument(
        read=instructions.file_path,
        intent="read {} with the Read tool",
        preface="I'll read that file.",
        overrides=lambda path: {"file_path": path},
    ),
}


def named_tool(c: Conversation) -> Answer | None:
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
    name = instructions.named_tool(c.prompt, offered | c.deferred_names) or next(
        (
            tool
            for tool, argument in _ARGUMENT_TOOLS.items()
            if tool in offered and argument.read(c.prompt) is not None
        ),
        None,
    )
    if name is None:
        return None
    if name not in offered:
        return _load_tool(c, name)
    tool = c.tools.custom[name]
    argument = _ARGUMENT_TOOLS.get(name)
    if argument is not None:
        value = argument.read(c.prompt)
        if value is None:
            return None
        return tool_call(
            c,
            tool,
            intent=argument.intent.format(value),
            preface=argument.preface,
            overrides=argument.overrides(value),
        )
    if name == "WebSearch":
        query = instructions.web_search_query(c.prompt) or c.nonce or first_sentence(c.prompt)
        return tool_call(c, tool, intent=f"search the web for {query}", overrides={"query": query})
    return tool_call(c, tool, intent=f"call the {name} tool")
