"""Prompt caching: cache breakpoints, their validation, and the cache state itself.

A request is read as a sequence of segments in the order the API processes them
(`tools`, then `system`, then `messages`), one segment per tool definition, system
block or message content block. A segment carrying `cache_control` is a breakpoint; the
prefix up to and including it is identified by a hash chained over the canonical JSON
of the segments (with `cache_control` itself left out, so moving a breakpoint does not
change what is cached).
Source: https://platform.claude.com/docs/en/build-with-claude/prompt-caching
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, get_args

from compat.emulator.blocks import as_list, message_blocks
from compat.emulator.capabilities import CacheTtl
from compat.emulator.tokens import canonical_json, estimate_tokens
from compat.emulator.types import EmulatorError

MAX_BREAKPOINTS = 4
TTL_SECONDS: dict[CacheTtl, float] = {"5m": 300.0, "1h": 3600.0}
_KNOWN_TTLS: tuple[str, ...] = get_args(CacheTtl)


@dataclass(frozen=True)
class Segment:
    """One tool, system block or message content block, as the cache sees it."""

    path: str
    canonical: str
    tokens: int
    ttls: tuple[str, ...]
    """TTLs of the `cache_control` marks on this block, in request order."""


@dataclass(frozen=True)
class CacheUsage:
    """Input tokens read from and written to the cache by one request."""

    read: int = 0
    created_5m: int = 0
    created_1h: int = 0

    @property
    def created(self) -> int:
        return self.created_5m + self.created_1h


def request_segments(body: dict[str, Any]) -> list[Segment]:
    """The request's segments in processing order, with their breakpoints."""
    segments = [_segment(path, block, block) for path, block in _tool_and_system_blocks(body)]
    for m, message in enumerate(as_list(body.get("messages"))):
        role = message.get("role") if isinstance(message, dict) else None
        for c, block in enumerate(message_blocks(message)):
            keyed = {"role": role, "block": block}
            segments.append(_segment(f"messages.{m}.content.{c}", keyed, block))
    automatic = body.get("cache_control")
    if isinstance(automatic, dict) and segments and not segments[-1].ttls:
        # Automatic caching puts one breakpoint on the last cacheable block.
        # Source: https://platform.claude.com/docs/en/build-with-claude/prompt-caching#automatic-caching
        last = segments[-1]
        segments[-1] = Segment(last.path, last.canonical, last.tokens, (_ttl(automatic),))
    return segments


def check_breakpoints(segments: list[Segment], allowed: frozenset[CacheTtl]) -> None:
    """Reject what the API rejects: >4 breakpoints, unknown TTLs, a 1h mark after a 5m one."""
    marks = [(segment.path, ttl) for segment in segments for ttl in segment.ttls]
    if len(marks) > MAX_BREAKPOINTS:
        raise EmulatorError(
            "invalid_request_error",
            f"A maximum of {MAX_BREAKPOINTS} blocks with cache_control may be provided. "
            f"Found {len(marks)}.",
        )
    seen_5m = False
    for path, ttl in marks:
        if ttl not in allowed:
            raise EmulatorError(
                "invalid_request_error",
                f"{path}.cache_control.ttl: Input should be "
                + " or ".join(f"'{t}'" for t in sorted(allowed, key=_KNOWN_TTLS.index)),
            )
        if ttl == "1h" and seen_5m:
            # Source: https://platform.claude.com/docs/en/build-with-claude/prompt-caching#mixing-different-ttls
            raise EmulatorError(
                "invalid_request_error",
                f"{path}.cache_control.ttl: a ttl='1h' cache_control block must not come after "
                "a ttl='5m' cache_control block. Note that blocks are processed in the "
                "following order: `tools`, `system`, `messages`.",
            )
        seen_5m = seen_5m or ttl == "5m"


class PromptCache:
    """Cached prefixes with their expiry times; safe to share between request threads."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._expiry: dict[str, float] = {}
        self._lock = threading.Lock()

    def apply(self, scope: str, segments: list[Segment], min_tokens: int) -> CacheUsage:
        """Read the longest live cached prefix, write the later breakpoints, report tokens.

        Prefixes shorter than `min_tokens` are silently not cached, as the API does.
        Source: https://platform.claude.com/docs/en/build-with-claude/prompt-caching#cache-limitations
        """
        breakpoints = list(_breakpoints(scope, segments))
        with self._lock:
            now = self._clock()
            self._expiry = {key: t for key, t in self._expiry.items() if t > now}
            hit = next(
                (
                    i
                    for i in range(len(breakpoints) - 1, -1, -1)
                    if breakpoints[i].key in self._expiry
                ),
                -1,
            )
            # A read refreshes the TTL of every cached prefix it covers.
            for point in breakpoints[: hit + 1]:
                if point.key in self._expiry:
                    self._expiry[point.key] = now + TTL_SECONDS[point.ttl]
            read = breakpoints[hit].prefix_tokens if hit >= 0 else 0
            written = read
            created: dict[CacheTtl, int] = {"5m": 0, "1h": 0}
            for point in breakpoints[hit + 1 :]:
                if point.prefix_tokens < min_tokens:
                    continue
                created[point.ttl] += point.prefix_tokens - written
                written = point.prefix_tokens
                self._expiry[point.key] = now + TTL_SECONDS[point.ttl]
        return CacheUsage(read=read, created_5m=created["5m"], created_1h=created["1h"])

    def apply_automatic(
        self, scope: str, segments: list[Segment], min_tokens: int, increment: int
    ) -> CacheUsage:
        """OpenAI's automatic caching: read the longest cached prefix, cache every prefix.

        Every block boundary of a prompt is a cached prefix once it reaches `min_tokens`; a
        hit is reported rounded down to `min_tokens` plus whole `increment`s, and nothing is
        reported as written. Prefixes stay live for the 5 minutes the guide names.
        Source: https://platform.openai.com/docs/guides/prompt-caching ("Caching is enabled
        automatically for prompts that are 1024 tokens or longer", hits in 128-token
        increments, cached prefixes remain active for 5 to 10 minutes of inactivity).
        """
        prefixes = [
            _Breakpoint(key, "5m", tokens)
            for _, key, tokens in _prefixes(f"auto:{scope}", segments)
            if tokens >= min_tokens
        ]
        with self._lock:
            now = self._clock()
            self._expiry = {key: t for key, t in self._expiry.items() if t > now}
            hit = max(
                (point.prefix_tokens for point in prefixes if point.key in self._expiry),
                default=0,
            )
            for point in prefixes:
                self._expiry[point.key] = now + TTL_SECONDS["5m"]
        if hit < min_tokens:
            return CacheUsage()
        return CacheUsage(read=min_tokens + (hit - min_tokens) // increment * increment)


@dataclass(frozen=True)
class _Breakpoint:
    key: str
    ttl: CacheTtl
    prefix_tokens: int


def _breakpoints(scope: str, segments: list[Segment]) -> Iterator[_Breakpoint]:
    """The prefixes ending at a block with a cache mark, at that mark's TTL."""
    for segment, key, prefix_tokens in _prefixes(scope, segments):
        if segment.ttls:
            ttl: CacheTtl = "1h" if segment.ttls[-1] == "1h" else "5m"
            yield _Breakpoint(key, ttl, prefix_tokens)


def _prefixes(scope: str, segments: list[Segment]) -> Iterator[tuple[Segment, str, int]]:
    """Every block boundary of a prompt: the block ending the prefix, its key and its tokens."""
    chain = hashlib.sha256(scope.encode())
    prefix_tokens = 0
    for segment in segments:
        chain.update(segment.canonical.encode())
        chain.update(b"\x1e")
        prefix_tokens += segment.tokens
        yield segment, f"{scope}:{chain.hexdigest()}", prefix_tokens


def _tool_and_system_blocks(body: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    for i, tool in enumerate(as_list(body.get("tools"))):
        yield f"tools.{i}", tool
    system = body.get("system")
    if isinstance(system, str):
        yield "system", {"type": "text", "text": system}
    for i, block in enumerate(as_list(system)):
        yield f"system.{i}", block


def _segment(path: str, keyed: Any, block: Any) -> Segment:
    clean = _without_cache_control(keyed)
    canonical = canonical_json(clean)
    return Segment(path, canonical, estimate_tokens(clean, canonical=canonical), _marks(block))


def _marks(block: Any) -> tuple[str, ...]:
    """TTLs of `cache_control` on a block and on blocks nested in its tool_result content."""
    if not isinstance(block, dict):
        return ()
    own = (_ttl(block["cache_control"]),) if isinstance(block.get("cache_control"), dict) else ()
    nested = block.get("content") if block.get("type") == "tool_result" else None
    return own + tuple(ttl for inner in as_list(nested) for ttl in _marks(inner))


def _ttl(cache_control: dict[str, Any]) -> str:
    # A mark without a ttl is a 5-minute mark.
    return str(cache_control.get("ttl", "5m"))


def _without_cache_control(value: Any) -> Any:
    """`value` without the `cache_control` of its block(s); marks never sit deeper."""
    if not isinstance(value, dict):
        return value
    if "block" in value and "role" in value:
        return {**value, "block": _without_cache_control(value["block"])}
    clean = {k: v for k, v in value.items() if k != "cache_control"}
    if clean.get("type") == "tool_result" and isinstance(clean.get("content"), list):
        clean["content"] = [_without_cache_control(inner) for inner in clean["content"]]
    return clean
