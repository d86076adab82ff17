"""The client oracle captured for real: the installed claude in each platform mode, the emulator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from compat import oracle
from compat.claude_install import find_claude
from compat.manifest import Manifest
from compat.oracle import ClientOracle, load_or_capture

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def captured(
    manifest: Manifest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ClientOracle, Path]]:
    """The oracle of the installed default release, cached in a directory of this module's."""
    # Found before the cache moves: the binary stays where `compat install` put it.
    binary = find_claude()
    version = oracle.binary_version(binary)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
        captured = load_or_capture(binary, version, manifest, progress=lambda _line: None)
        yield captured, oracle.oracle_path(version)


def test_first_party_sends_betas_for_every_tier(
    captured: tuple[ClientOracle, Path], manifest: Manifest
) -> None:
    sent, _ = captured
    first_party = sent.platforms["first_party"]
    assert set(first_party) == set(manifest.tier_ids_for("anthropic"))
    for tier, send in first_party.items():
        assert send.betas, f"first_party/{tier} sent no beta flag"
        assert "messages" in send.body_fields and send.requests >= 1


def test_bedrock_sends_its_own_set_in_the_invoke_body(captured: tuple[ClientOracle, Path]) -> None:
    sent, _ = captured
    for tier, bedrock in sent.platforms["bedrock"].items():
        first_party = set(sent.platforms["first_party"][tier].betas)
        # Bedrock takes fewer (or other) flags: never simply the first-party set again.
        assert set(bedrock.betas) != first_party or set(bedrock.betas) < first_party
        assert bedrock.body_betas, f"bedrock/{tier}: no anthropic_beta in the InvokeModel body"
        assert "anthropic_version" in bedrock.body_fields and "model" not in bedrock.body_fields
        assert any("/invoke" in path for path in bedrock.paths)


def test_every_platform_was_reached(captured: tuple[ClientOracle, Path]) -> None:
    sent, _ = captured
    prefixes = {"first_party": "/v1/messages", "foundry": "/anthropic/v1/messages"}
    prefixes |= {"vertex": "/v1/projects/", "bedrock": "/model/"}
    for platform, prefix in prefixes.items():
        for tier, send in sent.platforms[platform].items():
            assert any(p.split(" ", 1)[1].startswith(prefix) for p in send.paths), (
                f"{platform}/{tier} never reached its wire: {send.paths}"
            )


def test_the_1m_suffix_asks_for_the_1m_context_beta(captured: tuple[ClientOracle, Path]) -> None:
    sent, _ = captured
    assert "haiku-4-5" not in sent.long_context_1m["first_party"]
    sonnet = sent.long_context_1m["first_party"]["sonnet-4-6"]
    assert sonnet.model.endswith("[1m]")
    assert "context-1m-2025-08-07" in sonnet.betas
    assert "context-1m-2025-08-07" not in sent.platforms["first_party"]["sonnet-4-6"].betas


def test_the_cache_round_trips(captured: tuple[ClientOracle, Path], manifest: Manifest) -> None:
    sent, path = captured
    assert path.is_file()
    assert ClientOracle.model_validate_json(path.read_text()) == sent

    def no_capture(*_args: Any, **_kwargs: Any) -> ClientOracle:
        raise AssertionError("a cached oracle was captured again")

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(path.parents[3]))
        again = load_or_capture("claude", sent.claude_code_version, manifest, capture=no_capture)
    assert again == sent
