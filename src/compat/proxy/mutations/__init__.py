"""Mutations of the proxy under test: take one feature away and see its cell turn red.

A probe that cannot fail proves nothing, so each feature has a mutation of the proxy's
behaviour that removes what carries it (a beta flag, a body field, a tool, a content
block, the stream's increments, the upstream token count). The mechanism is LiteLLM's
own: a custom callback (`compat_mutations.py`, a `CustomLogger` whose pre-call hook edits
the request and whose streaming-iterator hook re-chunks the reply), loaded from the
proxy config. `mutating_config` writes a copy of a config that loads it;
`MutationControl` switches mutations on and off while that proxy runs, so one boot
serves every mutation in turn.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict

MODULE_FILE = Path(__file__).with_name("compat_mutations.py")
CALLBACK = "compat_mutations.proxy_mutations"
CONTROL_NAME = "compat_mutations.json"
LOG_NAME = "compat_mutations.log.jsonl"

MutationKind = Literal[
    "drop_beta",
    "drop_field",
    "set_field",
    "drop_tools",
    "drop_blocks",
    "strip_cache_control",
    "drop_cache_ttl",
    "coalesce_deltas",
    "count_locally",
    "drop_header",
    "drop_events",
    "buffer_stream",
    "redirect_path",
    "drop_usage",
]


class Mutation(BaseModel):
    """One change the callback makes to every request (or stream) while it is on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: MutationKind
    beta: str | None = None
    """drop_beta: the flag removed from the client's `anthropic-beta` (`x-*`: every flag
    starting with `x-`)."""
    path: str | None = None
    """drop_field / set_field: a dotted body path, e.g. `output_config.effort`."""
    value: Any = None
    """set_field: the value written there."""
    name: str | None = None
    """drop_tools: the tool name removed (and a tool_choice naming it); drop_header: the
    request header a pass-through route loses."""
    type_prefix: str | None = None
    """drop_tools: server tools whose `type` starts with this are removed."""
    type: str | None = None
    """drop_blocks: the content block type removed from the messages."""
    role: str | None = None
    """drop_blocks: only from messages of this role."""
    deltas: tuple[str, ...] = ()
    """coalesce_deltas: the delta types merged into one per content block."""
    events: tuple[str, ...] = ()
    """drop_events: the stream event types the proxy loses (e.g. `ping`, `message_delta`)."""
    fields: tuple[str, ...] = ()
    """drop_usage: the usage fields the proxy leaves out of the stream it relays."""

    def __str__(self) -> str:
        match self.kind:
            case "drop_beta":
                return f"drop the {self.beta} beta"
            case "drop_field":
                return f"drop `{self.path}`"
            case "set_field":
                return f"set `{self.path}` to {json.dumps(self.value)}"
            case "drop_tools" if self.name:
                return f"drop the {self.name} tool from `tools`"
            case "drop_tools":
                return f"drop the {self.type_prefix}* server tools from `tools`"
            case "drop_blocks":
                where = f"{self.role} " if self.role else ""
                return f"drop `{self.type}` blocks from {where}messages"
            case "strip_cache_control":
                return "strip every `cache_control` breakpoint"
            case "drop_cache_ttl":
                return "drop `ttl` from every `cache_control`"
            case "drop_usage":
                return f"drop {'/'.join(self.fields)} from the streamed usage"
            case "drop_events":
                return f"drop every {'/'.join(self.events)} stream event"
            case "buffer_stream":
                return "buffer the whole stream and send it at its end"
            case "redirect_path":
                return f"redirect `{self.path}` to another URL"
            case "drop_header":
                return f"drop the `{self.name}` request header"
            case "coalesce_deltas":
                return f"buffer the stream: one {'/'.join(self.deltas)} per content block"
            case _:
                return "answer count_tokens from the proxy's own estimate"


def drop_beta(beta: str) -> Mutation:
    return Mutation(kind="drop_beta", beta=beta)


def drop_field(path: str) -> Mutation:
    return Mutation(kind="drop_field", path=path)


def set_field(path: str, value: Any) -> Mutation:
    return Mutation(kind="set_field", path=path, value=value)


def drop_tool(name: str) -> Mutation:
    return Mutation(kind="drop_tools", name=name)


def drop_server_tools(type_prefix: str) -> Mutation:
    return Mutation(kind="drop_tools", type_prefix=type_prefix)


def drop_blocks(block_type: str, role: str | None = None) -> Mutation:
    return Mutation(kind="drop_blocks", type=block_type, role=role)


STRIP_CACHE_CONTROL = Mutation(kind="strip_cache_control")
DROP_CACHE_TTL = Mutation(kind="drop_cache_ttl")
COUNT_LOCALLY = Mutation(kind="count_locally")


def drop_events(*events: str) -> Mutation:
    return Mutation(kind="drop_events", events=events)


def drop_usage(*fields: str) -> Mutation:
    """The proxy relays the stream's usage without `fields` (e.g. the cache reads)."""
    return Mutation(kind="drop_usage", fields=fields)


BUFFER_STREAM = Mutation(kind="buffer_stream")


def redirect_path(path: str) -> Mutation:
    """The proxy answers `path` with a redirect (to itself, with a trailing slash)."""
    return Mutation(kind="redirect_path", path=path)


def drop_header(name: str) -> Mutation:
    """A pass-through route forwards the request without this header."""
    return Mutation(kind="drop_header", name=name.lower())


def coalesce_deltas(*deltas: str) -> Mutation:
    return Mutation(kind="coalesce_deltas", deltas=deltas)


def mutating_config(config: Path, directory: Path) -> Path:
    """A copy of `config` in `directory` that loads the mutation callback (copied beside it)."""
    directory.mkdir(parents=True, exist_ok=True)
    loaded = yaml.safe_load(config.read_text()) or {}
    settings = loaded.setdefault("litellm_settings", {}) or {}
    loaded["litellm_settings"] = settings
    callbacks = list(settings.get("callbacks") or [])
    if CALLBACK not in callbacks:
        callbacks.append(CALLBACK)
    settings["callbacks"] = callbacks
    target = directory / config.name
    target.write_text(yaml.safe_dump(loaded, sort_keys=False))
    shutil.copyfile(MODULE_FILE, directory / MODULE_FILE.name)
    MutationControl(directory).clear()
    return target


class MutationControl:
    """Switches the callback's mutations on and off, and reads what they changed."""

    def __init__(self, directory: Path) -> None:
        self.control = directory / CONTROL_NAME
        self.log = directory / LOG_NAME

    def set(self, *mutations: Mutation) -> None:
        """Make exactly `mutations` active, for every request from now on."""
        body = {"mutations": [m.model_dump(exclude_defaults=True) for m in mutations]}
        staged = self.control.with_suffix(".tmp")
        staged.write_text(json.dumps(body))
        # Replaced whole: the proxy reads the file on every request, never half of it.
        os.replace(staged, self.control)

    def clear(self) -> None:
        self.set()

    def fired(self) -> list[dict[str, Any]]:
        """What the mutations changed so far: one entry per request or stream they altered."""
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines() if line.strip()]

    @contextmanager
    def applied(self, *mutations: Mutation) -> Iterator[None]:
        self.set(*mutations)
        try:
            yield
        finally:
            self.clear()
