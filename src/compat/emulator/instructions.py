"""The plain instructions the model reads in a prompt, the way a real model would.

Each reader takes the text of a prompt (system reminders already removed) and returns
what it asks for, or None when it asks for nothing of that kind. The readers only pick
out what the prompt states outright (a quoted word, a command in backticks, a file path,
the subject of a search); they never guess content the request does not carry, so the
model's answers stay a function of the request alone.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "AnswerStyle",
    "Arithmetic",
    "answer_style",
    "arithmetic",
    "asks_for_search",
    "counting",
    "deferred_tool_names",
    "file_path",
    "literal_reply",
    "named_tool",
    "shell_command",
    "web_search_query",
]

_QUOTED = r"['\"“‘`]([^'\"”’`\n]{1,200})['\"”’`]"


def _phrase(*parts: str, flags: int = 0) -> re.Pattern[str]:
    """A pattern matched in any letter case: people write instructions in any case."""
    return re.compile("".join(parts), re.IGNORECASE | flags)


_NAMED_TOOL = _phrase(
    r"\b(?:use|using|call|calling|invoke|with|via|through)\s+(?:the\s+|your\s+)?`?",
    r"([A-Za-z_][\w-]*)`?\s+tool\b",
)
_RUN_COMMAND = _phrase(r"\b(?:run|execute)\b[^`]*`([^`\n]+)`")
_PRINT_WORD = _phrase(
    r"\bprints?\s+(?:out\s+)?(?:just\s+|only\s+|exactly\s+)?(?:the\s+)?",
    r"(?:single\s+)?(?:word|text|string|line)?\s*" + _QUOTED,
)
_READ_VERB = _phrase(r"\b(?:read|open|view|look\s+at|inspect|summari[sz]e|load)\b")
_PATH = re.compile(r"`([^`\n]+)`|(?<![\w.:/])((?:~|\.{1,2})?/[^\s`'\"<>|]+)")
_PATH_TRAILER = ".,;:!?)]}'\""
_WEB_SEARCH = (
    _phrase(r"\bweb\s+search\s+for\s+the\s+query:?\s*(.+)"),
    _phrase(r"\bsearch(?:ing)?\s+the\s+(?:web|internet)\s+(?:for|about)\s+(.+)"),
    _phrase(
        r"\buse\s+(?:a\s+|the\s+)?web[\s-]?search(?:\s+tool)?\s+to\s+",
        r"(?:find|look\s+up|get|check|learn|see|search\s+for)\s+(.+)",
    ),
    _phrase(r"\b(?:do|run|perform)\s+a\s+web\s+search\s+(?:for|on|about)\s+(.+)"),
    _phrase(r"\bweb[\s-]?search\s+(?:for|on|about)\s+(.+)"),
    _phrase(r"\bsearch\s+online\s+(?:for|about)\s+(.+)"),
    _phrase(r"\blook\s+up\s+(.+?)\s+(?:online|on\s+the\s+(?:web|internet))\b"),
    _phrase(r"\bfind\s+(.+?)\s+(?:online|on\s+the\s+(?:web|internet))\b"),
    # The tool's own name is matched as written.
    re.compile(r"\bWebSearch\b(?:\s+tool)?\s+to\s+(?:find|look\s+up|search\s+for)\s+(.+)"),
)
_SEARCH_VERB = _phrase(r"\s*(?:please\s+)?(?:search|look\s+(?:it\s+)?up|google)\b")
# Where the subject of a search ends: the sentence, or the next instruction.
_QUERY_END = _phrase(
    r"(?<=[^\s.])[.!?](?:\s|$)|,\s*(?:then|and\s+then|and)\b|\s+(?:using|with|via)\s+the\s+",
    r"|\s+then\s+|;",
)
_LITERAL_REPLY = (
    _phrase(
        r"\b(?:reply|respond|answer|say|return)\s+(?:back\s+)?(?:with\s+)?",
        r"(?:only\s+|just\s+|exactly\s+)?(?:the\s+)?(?:single\s+|one\s+)?",
        r"(?:word|phrase|text|token|string|letter|number)?\s*:?\s*" + _QUOTED,
    ),
    _phrase(
        r"\b(?:reply|respond|answer)\s+with\s+(?:only\s+|just\s+)?the\s+(?:single\s+)?",
        r"word\s+([\w-]{1,60})\b",
    ),
)
_COUNT = _phrase(r"\bcount\s+from\s+(-?\d{1,6})\s+to\s+(-?\d{1,6})\b")
_PER_LINE = _phrase(r"\b(?:per|each\s+on\s+(?:its|a))\s+(?:own\s+)?line\b")
_MAX_COUNT = 1_000
_ARITHMETIC = _phrase(
    r"\b(?:what\s+is|what's|whats|compute|calculate|evaluate|work\s+out)\s+",
    r"(-?\d+(?:\.\d+)?)\s*([-+*/×x÷])\s*(-?\d+(?:\.\d+)?)(?!\s*[-+*/×÷\d])",
)
_BRIEF = _phrase(
    r"\b(?:(?:in\s+)?(?:one|a\s+single|single)\s+word|exactly|verbatim|word\s+for\s+word|",
    r"nothing\s+else|and\s+no\s+other\s+text)\b",
)
_HEX = _phrase(r"\bhex(?:adecimal)?\b")

_DEFERRED_LIST = _phrase(
    r"deferred tools are (?:now )?available via (\w+)[^\n]*\n(.*?)(?:</system-reminder>|\n\n|$)",
    flags=re.DOTALL,
)
_TOOL_NAME = re.compile(r"[A-Za-z_][\w.-]*")

AnswerStyle = Literal["sentence", "brief", "hex"]


@dataclass(frozen=True)
class Arithmetic:
    """A sum the prompt asks for, and its value."""

    expression: str
    value: int | float


def named_tool(text: str, names: set[str]) -> str | None:
    """The tool the prompt tells the model to use ("Use the Bash tool to ..."), by its name.

    Only a name among `names` counts; matching is case-insensitive, the result is the
    tool's own spelling. The first named tool in the prompt wins.
    """
    by_lower = {name.lower(): name for name in names}
    for match in _NAMED_TOOL.finditer(text):
        found = by_lower.get(match.group(1).lower())
        if found is not None:
            return found
    return None


def deferred_tool_names(text: str) -> frozenset[str]:
    """Tools a client lists as loadable on demand (Claude Code's ToolSearch reminder).

    Claude Code names its deferred tools, one a line, in a system reminder ("The
    following deferred tools are now available via ToolSearch ... :"); their schemas are
    not in the request until the model loads them.
    """
    names: set[str] = set()
    for match in _DEFERRED_LIST.finditer(text):
        for line in match.group(2).splitlines():
            name = line.strip()
            if _TOOL_NAME.fullmatch(name):
                names.add(name)
    return frozenset(names)


def shell_command(text: str) -> str | None:
    """The shell command the prompt asks to run.

    A command written in backticks after "run"/"execute" is taken verbatim; a request for
    a command that prints a quoted word or text ("which command would print just the word
    'pong'") is answered with `echo` of that text.
    """
    command = _RUN_COMMAND.search(text)
    if command is not None:
        return command.group(1).strip()
    printed = _PRINT_WORD.search(text)
    if printed is not None:
        return f"echo {shlex.quote(printed.group(1))}"
    return None


def file_path(text: str) -> str | None:
    """The file the prompt asks to read: a path after "read", "open", "look at" and the like.

    An absolute (or ~/, ./, ../) path, or any path written in backticks, counts; a full
    stop or other punctuation closing the sentence is not part of it.
    """
    for verb in _READ_VERB.finditer(text):
        for match in _PATH.finditer(text, verb.end()):
            quoted, bare = match.groups()
            if quoted is not None:
                if "/" in quoted or "." in quoted:
                    return quoted.strip()
                continue
            path = bare.rstrip(_PATH_TRAILER)
            if len(path) > 1:
                return path
    return None


def web_search_query(text: str) -> str | None:
    """What the prompt asks to search the web for, in its own words, or None.

    Covers the ordinary ways of asking: "search the web for X", "use web search to find
    X", "do a web search for X", "look X up online", "use the WebSearch tool to find X".
    """
    flat = " ".join(text.split())
    for pattern in _WEB_SEARCH:
        match = pattern.search(flat)
        if match is None:
            continue
        subject = match.group(1)
        end = _QUERY_END.search(subject)
        subject = (subject[: end.start()] if end else subject).strip(" .,;:!?\"'")
        if subject:
            return subject[:200]
    return None


def asks_for_search(text: str) -> bool:
    """Whether the prompt asks for a search at all, subject or not ("Search.", "Look it up")."""
    return web_search_query(text) is not None or _SEARCH_VERB.match(text) is not None


def literal_reply(text: str) -> str | None:
    """The exact words the prompt asks the reply to be ("Reply with the single word 'pong'")."""
    for pattern in _LITERAL_REPLY:
        match = pattern.search(text)
        if match is not None:
            return match.group(1).strip()
    return None


def counting(text: str) -> str | None:
    """The numbers of "count from A to B", one per line when the prompt asks for that."""
    match = _COUNT.search(text)
    if match is None:
        return None
    start, stop = int(match.group(1)), int(match.group(2))
    if abs(stop - start) >= _MAX_COUNT:
        return None
    step = 1 if stop >= start else -1
    numbers = [str(n) for n in range(start, stop + step, step)]
    return ("\n" if _PER_LINE.search(text) else ", ").join(numbers)


def arithmetic(text: str) -> Arithmetic | None:
    """A two-number sum the prompt asks for ("What is 2 + 2?"), worked out."""
    match = _ARITHMETIC.search(text)
    if match is None:
        return None
    left, operator, right = match.groups()
    a, b = float(left), float(right)
    if operator == "+":
        value = a + b
    elif operator == "-":
        value = a - b
    elif operator in "*×x":
        value = a * b
    elif b == 0:
        return None
    else:
        value = a / b
    number: int | float = int(value) if float(value).is_integer() else round(value, 10)
    return Arithmetic(expression=f"{left} {operator} {right}", value=number)


def answer_style(text: str) -> AnswerStyle:
    """How the prompt asks to be answered.

    "hex" when it asks for a hex code; "brief" when it asks for one word, the exact text
    or nothing else (the bare answer); otherwise "sentence".
    """
    if _HEX.search(text):
        return "hex"
    if _BRIEF.search(text):
        return "brief"
    return "sentence"
