"""compat's proxy mutations: a LiteLLM callback that takes one feature away from a request.

This file runs inside the LiteLLM proxy, not inside compat: `compat.proxy.mutations`
copies it next to a proxy config whose `litellm_settings.callbacks` names
`compat_mutations.proxy_mutations` (LiteLLM imports a callback module from the config's
own directory). It imports nothing of compat, only the standard library and LiteLLM.

Which mutations are on is read from `compat_mutations.json` beside this file on every
request, so one booted proxy serves many mutations in turn; with no file, or an empty
list, every request passes through untouched. Each mutation that changed something
appends one line to `compat_mutations.log.jsonl`, so a test can tell it fired.

A mutation is what a proxy with a translation bug would do: drop a beta flag or a body
field, set a field to another value, drop tools or content blocks, strip cache
breakpoints or their TTL, merge a stream's deltas into one (a buffering proxy), or answer
token counts from the proxy's own estimate instead of asking upstream.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from litellm.integrations.custom_logger import CustomLogger

CONTROL = Path(__file__).with_name("compat_mutations.json")
LOG = Path(__file__).with_name("compat_mutations.log.jsonl")

# Where LiteLLM keeps the client's headers in a pre-call `data`; it builds the upstream
# `anthropic-beta` (header, or Bedrock's body field) from these.
_HEADER_HOLDERS = (("headers",), ("provider_specific_header", "extra_headers"))


def active() -> list[dict[str, Any]]:
    """The mutations switched on now (see compat.proxy.mutations.MutationControl)."""
    try:
        mutations = json.loads(CONTROL.read_text()).get("mutations", [])
    except (OSError, ValueError):
        return []
    return [m for m in mutations if isinstance(m, dict)]


def _log(mutation: dict[str, Any], changed: int, where: str) -> None:
    if changed:
        with LOG.open("a") as log:
            entry = {"at": time.time(), "mutation": mutation, "changed": changed, "where": where}
            log.write(json.dumps(entry) + "\n")


def _holder(data: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any] | None:
    value: Any = data
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, dict) else None


def _beta_matches(flag: str, beta: str) -> bool:
    return flag.startswith(beta[:-1]) if beta.endswith("*") else flag == beta


def _drop_beta(data: dict[str, Any], beta: str) -> int:
    changed = 0
    for path in _HEADER_HOLDERS:
        headers = _holder(data, path)
        if headers is None:
            continue
        for name in [n for n in headers if n.lower() == "anthropic-beta"]:
            flags = [f.strip() for f in str(headers[name]).split(",") if f.strip()]
            kept = [f for f in flags if not _beta_matches(f, beta)]
            if len(kept) != len(flags):
                changed += 1
                if kept:
                    headers[name] = ",".join(kept)
                else:
                    del headers[name]
    return changed


def _drop_field(data: dict[str, Any], path: str) -> int:
    *parents, last = path.split(".")
    holder = _holder(data, tuple(parents))
    if holder is None or last not in holder:
        return 0
    del holder[last]
    if parents and not holder:
        # An emptied parent (`output_config: {}`) goes too, as a proxy dropping it would.
        parent = _holder(data, tuple(parents[:-1]))
        if parent is not None:
            del parent[parents[-1]]
    return 1


def _set_field(data: dict[str, Any], path: str, value: Any) -> int:
    *parents, last = path.split(".")
    holder = _holder(data, tuple(parents))
    if holder is None or holder.get(last) == value:
        return 0
    holder[last] = value
    return 1


def _tool_matches(tool: Any, mutation: dict[str, Any]) -> bool:
    if not isinstance(tool, dict):
        return False
    name, kind = str(tool.get("name", "")), str(tool.get("type", ""))
    return name == mutation.get("name") or bool(
        mutation.get("type_prefix") and kind.startswith(mutation["type_prefix"])
    )


def _drop_tools(data: dict[str, Any], mutation: dict[str, Any]) -> int:
    tools = data.get("tools")
    if not isinstance(tools, list):
        return 0
    kept = [t for t in tools if not _tool_matches(t, mutation)]
    dropped = {t.get("name") for t in tools if _tool_matches(t, mutation)}
    data["tools"] = kept
    choice = data.get("tool_choice")
    if isinstance(choice, dict) and choice.get("name") in dropped:
        # A tool_choice naming a dropped tool goes with it: the request stays valid, and
        # the loss is silent, as when a proxy drops a tool it cannot translate.
        del data["tool_choice"]
    return len(tools) - len(kept)


def _drop_blocks(data: dict[str, Any], kind: str, role: str | None) -> int:
    changed = 0
    for message in data.get("messages") or []:
        if not isinstance(message, dict) or (role and message.get("role") != role):
            continue
        content = message.get("content")
        if not isinstance(content, list):
            continue
        kept = [b for b in content if not (isinstance(b, dict) and b.get("type") == kind)]
        if len(kept) != len(content):
            changed += len(content) - len(kept)
            message["content"] = kept or [{"type": "text", "text": "(removed)"}]
    return changed


def _cache_controls(value: Any) -> list[dict[str, Any]]:
    """Every object holding a `cache_control` in system, messages and tools."""
    found: list[dict[str, Any]] = []
    if isinstance(value, list):
        for item in value:
            found.extend(_cache_controls(item))
    elif isinstance(value, dict):
        if isinstance(value.get("cache_control"), dict):
            found.append(value)
        for key, inner in value.items():
            if key != "cache_control" and isinstance(inner, (list, dict)):
                found.extend(_cache_controls(inner))
    return found


def _strip_cache_control(data: dict[str, Any], *, ttl_only: bool) -> int:
    changed = 0
    for key in ("system", "messages", "tools"):
        for holder in _cache_controls(data.get(key)):
            if not ttl_only:
                del holder["cache_control"]
                changed += 1
            elif "ttl" in holder["cache_control"]:
                holder["cache_control"] = {
                    k: v for k, v in holder["cache_control"].items() if k != "ttl"
                }
                changed += 1
    return changed


def mutate_request(data: dict[str, Any], mutations: list[dict[str, Any]]) -> None:
    """Apply the request mutations to a pre-call `data`, in place."""
    for mutation in mutations:
        kind = mutation.get("kind")
        if kind == "drop_beta":
            changed = _drop_beta(data, str(mutation["beta"]))
        elif kind == "drop_field":
            changed = _drop_field(data, str(mutation["path"]))
        elif kind == "set_field":
            changed = _set_field(data, str(mutation["path"]), mutation.get("value"))
        elif kind == "drop_tools":
            changed = _drop_tools(data, mutation)
        elif kind == "drop_blocks":
            changed = _drop_blocks(data, str(mutation["type"]), mutation.get("role"))
        elif kind == "strip_cache_control":
            changed = _strip_cache_control(data, ttl_only=False)
        elif kind == "drop_cache_ttl":
            changed = _strip_cache_control(data, ttl_only=True)
        else:
            continue
        _log(mutation, changed, "request")


def _frames(stream: AsyncIterator[Any]) -> AsyncIterator[tuple[str, bool]]:
    """The SSE frames of a stream whose chunks may hold several frames, or part of one."""

    async def split() -> AsyncIterator[tuple[str, bool]]:
        pending = ""
        async for chunk in stream:
            raw = isinstance(chunk, (bytes, bytearray))
            pending += chunk.decode() if raw else str(chunk)
            *complete, pending = pending.replace("\r\n", "\n").split("\n\n")
            for frame in complete:
                if frame.strip():
                    yield frame + "\n\n", raw
        if pending.strip():
            yield pending, True

    return split()


def _sse_event(frame: str) -> dict[str, Any] | None:
    for line in frame.splitlines():
        if line.startswith("data:"):
            try:
                event = json.loads(line[5:])
            except ValueError:
                return None
            return event if isinstance(event, dict) else None
    return None


def _sse_frame(event: dict[str, Any]) -> str:
    return f"event: {event['type']}\ndata: {json.dumps(event)}\n\n"


_DELTA_TEXT = {
    "text_delta": "text",
    "input_json_delta": "partial_json",
    "thinking_delta": "thinking",
}


async def coalesce(stream: AsyncIterator[Any], kinds: set[str]) -> AsyncIterator[Any]:
    """The stream with each content block's deltas of `kinds` merged into one, at its end."""
    mutation = {"kind": "coalesce_deltas", "deltas": sorted(kinds)}
    held: dict[int, tuple[dict[str, Any], int]] = {}
    async for frame, raw in _frames(stream):
        event = _sse_event(frame) or {}
        delta = event.get("delta") if event.get("type") == "content_block_delta" else None
        kind = delta.get("type") if isinstance(delta, dict) else None
        index = int(event.get("index", 0) or 0)
        out = frame
        if kind in kinds and kind in _DELTA_TEXT:
            field = _DELTA_TEXT[str(kind)]
            if index in held:
                first, merged = held[index]
                first["delta"][field] += str(delta.get(field, ""))  # type: ignore[union-attr]
                held[index] = (first, merged + 1)
            else:
                held[index] = (event, 0)
            continue
        if event.get("type") == "content_block_stop" and index in held:
            first, merged = held.pop(index)
            _log(mutation, merged, "stream")
            out = _sse_frame(first) + frame
        yield out.encode() if raw else out
    for first, _ in held.values():
        yield _sse_frame(first).encode()


async def drop_events(stream: AsyncIterator[Any], kinds: set[str]) -> AsyncIterator[Any]:
    """The stream without its events of `kinds`."""
    mutation = {"kind": "drop_events", "events": sorted(kinds)}
    async for frame, raw in _frames(stream):
        event = _sse_event(frame) or {}
        if event.get("type") in kinds:
            _log(mutation, 1, "stream")
            continue
        yield frame.encode() if raw else frame


async def drop_usage(stream: AsyncIterator[Any], fields: set[str]) -> AsyncIterator[Any]:
    """The stream with `fields` removed from the usage of message_start and message_delta."""
    mutation = {"kind": "drop_usage", "fields": sorted(fields)}
    async for frame, raw in _frames(stream):
        event = _sse_event(frame) or {}
        holder = event.get("message") if event.get("type") == "message_start" else event
        usage = holder.get("usage") if isinstance(holder, dict) else None
        if isinstance(usage, dict) and fields & set(usage):
            for field in fields:
                usage.pop(field, None)
            _log(mutation, 1, "stream")
            frame = _sse_frame(event)
        yield frame.encode() if raw else frame


async def buffered(stream: AsyncIterator[Any]) -> AsyncIterator[Any]:
    """The whole stream at once, when the upstream's has ended (a buffering proxy)."""
    chunks = [chunk async for chunk in stream]
    _log({"kind": "buffer_stream"}, len(chunks), "stream")
    for chunk in chunks:
        yield chunk


class ProxyMutations(CustomLogger):
    """Applies the active mutations to each request and stream the proxy serves."""

    async def async_pre_call_hook(
        self, user_api_key_dict: Any, cache: Any, data: Any, call_type: Any
    ) -> Any:
        mutations = active()
        if mutations and isinstance(data, dict):
            mutate_request(data, mutations)
        return data

    async def async_post_call_streaming_iterator_hook(
        self, user_api_key_dict: Any, response: Any, request_data: Any
    ) -> AsyncIterator[Any]:
        mutations = active()

        def listed(kind: str, key: str) -> set[str]:
            return {str(v) for m in mutations if m.get("kind") == kind for v in m.get(key, [])}

        stream = response
        if kinds := listed("coalesce_deltas", "deltas"):
            stream = coalesce(stream, kinds)
        if dropped := listed("drop_events", "events"):
            stream = drop_events(stream, dropped)
        if usage_fields := listed("drop_usage", "fields"):
            stream = drop_usage(stream, usage_fields)
        if any(m.get("kind") == "buffer_stream" for m in mutations):
            stream = buffered(stream)
        async for item in stream:
            yield item


def _patch_token_counting() -> None:
    """`count_locally`: the proxy answers count_tokens from its own estimate."""
    try:
        from litellm.proxy import proxy_server
    except ImportError:
        return
    original = getattr(proxy_server, "_get_provider_token_counter", None)
    if original is None or getattr(original, "compat_mutation", False):
        return

    def provider_token_counter(deployment: Any, model_to_use: Any) -> Any:
        for mutation in active():
            if mutation.get("kind") == "count_locally":
                _log(mutation, 1, "count_tokens")
                return None, None, None
        return original(deployment, model_to_use)

    provider_token_counter.compat_mutation = True  # type: ignore[attr-defined]
    proxy_server._get_provider_token_counter = provider_token_counter


# LiteLLM's pass-through routes forward the client's body without the pre-call hook's
# `data`, so there the mutation is applied to the body as the proxy receives it, ahead of
# its own handling (and of the SigV4 signing the Bedrock route does on what it forwards).
PASS_THROUGH_PREFIXES = ("/anthropic/", "/azure/", "/bedrock/", "/vertex_ai/", "/vertex-ai/")


def mutating_pass_through(app: Any) -> Any:
    """ASGI middleware: the active mutations applied to a pass-through route's JSON body."""

    async def middleware(scope: Any, receive: Any, send: Any) -> None:
        mutations = active() if scope.get("type") == "http" else []
        path = str(scope.get("path", ""))
        redirect = next(
            (m for m in mutations if m.get("kind") == "redirect_path" and m.get("path") == path),
            None,
        )
        if redirect is not None:
            _log(redirect, 1, "request")
            location = (path + "/").encode()
            await send(
                {"type": "http.response.start", "status": 307, "headers": [(b"location", location)]}
            )
            await send({"type": "http.response.body", "body": b""})
            return
        if not mutations or not path.startswith(PASS_THROUGH_PREFIXES):
            await app(scope, receive, send)
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if isinstance(data, dict):
            mutate_request(data, mutations)
            body = json.dumps(data).encode()
        dropped = {
            str(m.get("name", "")).lower().encode()
            for m in mutations
            if m.get("kind") == "drop_header"
        }
        dropped.add(b"content-length")
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in dropped]
        for mutation in mutations:
            if mutation.get("kind") == "drop_header":
                name = str(mutation.get("name", "")).lower().encode()
                _log(mutation, sum(k.lower() == name for k, _ in scope["headers"]), "request")
        scope = {**scope, "headers": [*headers, (b"content-length", str(len(body)).encode())]}
        sent = False

        async def replay() -> Any:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await app(scope, replay, send)

    return middleware


def _install_pass_through_hop() -> None:
    try:
        from litellm.proxy.proxy_server import app
    except ImportError:
        return
    if getattr(app, "compat_mutation", False):
        return
    app.compat_mutation = True
    # The callback is imported while the proxy starts, after Starlette built its middleware
    # stack for the lifespan call: the hop wraps that stack rather than joining the list.
    stack = app.middleware_stack
    if stack is None:
        stack = app.middleware_stack = app.build_middleware_stack()
    app.middleware_stack = mutating_pass_through(stack)


_patch_token_counting()
_install_pass_through_hop()
proxy_mutations = ProxyMutations()
