"""The proxy mutations: compat's LiteLLM callback, run here against a stand-in for LiteLLM.

The callback module runs inside the proxy and imports LiteLLM, which compat does not
install; a stub `CustomLogger` is enough to exercise what it does to a request, a stream
and the token-counting route. tests/integration/test_mutations.py runs it in the real proxy.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from compat.proxy import mutations
from compat.proxy.mutations import (
    COUNT_LOCALLY,
    DROP_CACHE_TTL,
    STRIP_CACHE_CONTROL,
    MutationControl,
    coalesce_deltas,
    drop_beta,
    drop_blocks,
    drop_field,
    drop_server_tools,
    drop_tool,
    drop_usage,
    mutating_config,
    set_field,
)


@pytest.fixture
def callback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[types.ModuleType]:
    """compat_mutations.py loaded from a proxy config directory, LiteLLM stubbed."""
    proxy_server = types.ModuleType("litellm.proxy.proxy_server")
    proxy_server._get_provider_token_counter = lambda deployment, model: ("counter", model, "x")  # type: ignore[attr-defined]
    custom_logger = types.ModuleType("litellm.integrations.custom_logger")
    custom_logger.CustomLogger = type("CustomLogger", (), {})  # type: ignore[attr-defined]
    stubs = {
        "litellm": types.ModuleType("litellm"),
        "litellm.integrations": types.ModuleType("litellm.integrations"),
        "litellm.integrations.custom_logger": custom_logger,
        "litellm.proxy": types.ModuleType("litellm.proxy"),
        "litellm.proxy.proxy_server": proxy_server,
    }
    stubs["litellm.proxy"].proxy_server = proxy_server  # type: ignore[attr-defined]
    for name, module in stubs.items():
        monkeypatch.setitem(sys.modules, name, module)
    config = mutating_config(Path("proxy_config.yaml"), tmp_path)
    spec = importlib.util.spec_from_file_location(
        "compat_mutations", tmp_path / "compat_mutations.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.proxy_server = proxy_server  # type: ignore[attr-defined]
    module.config = config  # type: ignore[attr-defined]
    yield module


def claude_code_request() -> dict[str, Any]:
    """A pre-call `data` as LiteLLM hands it over for one of Claude Code's requests."""
    beta = "claude-code-20250219,context-1m-2025-08-07,effort-2025-11-24"
    return {
        "model": "claude-sonnet-4-6",
        "stream": True,
        "output_config": {"effort": "high"},
        "system": [
            {"type": "text", "text": "a", "cache_control": {"type": "ephemeral", "ttl": "1h"}}
        ],
        "tools": [
            {"name": "Bash", "input_schema": {}},
            {"type": "web_search_20250305", "name": "web_search"},
        ],
        "tool_choice": {"type": "tool", "name": "web_search"},
        "messages": [
            {"role": "user", "content": [{"type": "image", "source": {}}, {"type": "text"}]},
            {"role": "assistant", "content": [{"type": "thinking", "signature": "s"}]},
        ],
        "headers": {"anthropic-beta": beta},
        "provider_specific_header": {"extra_headers": {"anthropic-beta": beta}},
    }


def mutated(callback, *chosen) -> dict[str, Any]:
    MutationControl(callback.config.parent).set(*chosen)
    data = claude_code_request()
    import asyncio

    asyncio.run(
        callback.proxy_mutations.async_pre_call_hook(None, None, data, "anthropic_messages")
    )
    return data


def test_the_config_copy_loads_the_callback_and_keeps_everything_else(callback):
    written = yaml.safe_load(callback.config.read_text())
    original = yaml.safe_load(Path("proxy_config.yaml").read_text())
    assert written["litellm_settings"]["callbacks"] == [mutations.CALLBACK]
    assert written["model_list"] == original["model_list"]
    assert (callback.config.parent / "compat_mutations.py").read_bytes() == (
        mutations.MODULE_FILE.read_bytes()
    )


def test_with_nothing_switched_on_a_request_passes_untouched(callback):
    assert mutated(callback) == claude_code_request()
    assert MutationControl(callback.config.parent).fired() == []


def test_each_request_mutation_takes_exactly_its_feature_away(callback):
    beta = mutated(callback, drop_beta("context-1m-2025-08-07"))
    kept = "claude-code-20250219,effort-2025-11-24"
    assert beta["headers"]["anthropic-beta"] == kept
    assert beta["provider_specific_header"]["extra_headers"]["anthropic-beta"] == kept

    assert "output_config" not in mutated(callback, drop_field("output_config.effort"))
    assert mutated(callback, set_field("stream", False))["stream"] is False
    assert [t["name"] for t in mutated(callback, drop_tool("Bash"))["tools"]] == ["web_search"]
    searchless = mutated(callback, drop_server_tools("web_search_"))
    assert [t["name"] for t in searchless["tools"]] == ["Bash"]
    assert "tool_choice" not in searchless

    imageless = mutated(callback, drop_blocks("image"))["messages"][0]["content"]
    assert imageless == [{"type": "text"}]
    thoughtless = mutated(callback, drop_blocks("thinking", role="assistant"))
    assert thoughtless["messages"][1]["content"] == [{"type": "text", "text": "(removed)"}]

    assert "cache_control" not in mutated(callback, STRIP_CACHE_CONTROL)["system"][0]
    assert mutated(callback, DROP_CACHE_TTL)["system"][0]["cache_control"] == {"type": "ephemeral"}

    fired = MutationControl(callback.config.parent).fired()
    assert [entry["mutation"]["kind"] for entry in fired] == [
        "drop_beta",
        "drop_field",
        "set_field",
        "drop_tools",
        "drop_tools",
        "drop_blocks",
        "drop_blocks",
        "strip_cache_control",
        "drop_cache_ttl",
    ]


def sse(event: dict[str, Any]) -> str:
    return f"event: {event['type']}\ndata: {json.dumps(event)}\n\n"


def text_delta(index: int, text: str) -> dict[str, Any]:
    return {
        "type": "content_block_delta",
        "index": index,
        "delta": {"type": "text_delta", "text": text},
    }


def streamed(callback, chunks: list[bytes]) -> list[dict[str, Any]]:
    import asyncio

    async def upstream():
        for chunk in chunks:
            yield chunk

    async def collect():
        hook = callback.proxy_mutations.async_post_call_streaming_iterator_hook(
            None, upstream(), {}
        )
        return b"".join([chunk async for chunk in hook]).decode()

    out = asyncio.run(collect())
    return [json.loads(line[5:]) for line in out.splitlines() if line.startswith("data:")]


def test_a_buffering_proxy_merges_each_blocks_deltas_even_across_chunk_boundaries(callback):
    body = "".join(
        sse(e)
        for e in (
            {"type": "message_start"},
            {"type": "content_block_start", "index": 0},
            text_delta(0, "COMPAT-"),
            text_delta(0, "ABC"),
            {"type": "content_block_stop", "index": 0},
            {"type": "message_stop"},
        )
    ).encode()
    # Upstream bytes arrive in arbitrary pieces, several frames or half of one each.
    chunks = [body[:30], body[30:200], body[200:]]
    assert streamed(callback, chunks) == [
        json.loads(line[5:]) for line in body.decode().splitlines() if line.startswith("data:")
    ]
    MutationControl(callback.config.parent).set(coalesce_deltas("text_delta"))
    events = streamed(callback, chunks)
    assert [e["type"] for e in events] == [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_stop",
    ]
    assert events[2]["delta"]["text"] == "COMPAT-ABC"
    assert MutationControl(callback.config.parent).fired()[-1]["changed"] == 1


def test_dropping_usage_fields_removes_them_from_message_start_and_message_delta(callback):
    usage = {"input_tokens": 5, "cache_read_input_tokens": 2048, "output_tokens": 1}
    body = "".join(
        sse(e)
        for e in (
            {"type": "message_start", "message": {"id": "m", "usage": dict(usage)}},
            text_delta(0, "COMPAT-ABC"),
            {"type": "message_delta", "delta": {}, "usage": dict(usage)},
            {"type": "message_stop"},
        )
    ).encode()
    MutationControl(callback.config.parent).set(drop_usage("cache_read_input_tokens"))
    events = streamed(callback, [body[:40], body[40:]])
    assert [e["type"] for e in events] == [
        "message_start",
        "content_block_delta",
        "message_delta",
        "message_stop",
    ]
    assert events[0]["message"]["usage"] == {"input_tokens": 5, "output_tokens": 1}
    assert events[2]["usage"] == {"input_tokens": 5, "output_tokens": 1}
    assert events[1]["delta"]["text"] == "COMPAT-ABC"
    assert [e["changed"] for e in MutationControl(callback.config.parent).fired()] == [1, 1]


def test_counting_locally_skips_the_providers_counter(callback):
    counter = callback.proxy_server._get_provider_token_counter
    assert counter({}, "m") == ("counter", "m", "x")
    MutationControl(callback.config.parent).set(COUNT_LOCALLY)
    assert counter({}, "m") == (None, None, None)
    assert MutationControl(callback.config.parent).fired()[-1]["where"] == "count_tokens"


def test_every_mutation_says_what_it_takes_away():
    assert str(drop_beta("context-1m-2025-08-07")) == "drop the context-1m-2025-08-07 beta"
    assert str(drop_field("output_config.effort")) == "drop `output_config.effort`"
    assert str(set_field("stream", False)) == "set `stream` to false"
    assert (
        str(drop_server_tools("web_search_")) == "drop the web_search_* server tools from `tools`"
    )
    assert "count_tokens" in str(COUNT_LOCALLY)
    assert str(drop_usage("cache_read_input_tokens")) == (
        "drop cache_read_input_tokens from the streamed usage"
    )
