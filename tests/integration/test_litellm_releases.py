"""The generated proxy config on the oldest and newest LiteLLM compat supports: every column works.

LiteLLM releases disagree on what a Vertex deployment's `api_base` is (<= 1.90.x send a
/v1/messages request to it verbatim, 1.91-1.92 append `:{action}`, >= 1.93 graft Vertex's path
onto a bare host; see compat.proxy.environment.VertexUrlStyle). One config serves them all
because compat fills each deployment's api_base variable in the form the booted release reads.
This boots both ends of the range (installing the old one into the cache if absent) and runs
a plain streaming cell and a tool-use cell per provider through each.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from compat.manifest import Manifest
from compat.outcome import Fail, TierResult
from compat.proxy.lifecycle import ProxySession, ProxySettings
from compat.proxy.venv import DEFAULT_LITELLM_VERSION, ensure_litellm
from compat.run.cells import select_cells
from support.scheduling import schedule
from support.sessions import emulated_session

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[2]
OLDEST = "1.83.14"
RELEASES = (OLDEST, DEFAULT_LITELLM_VERSION)
PROVIDERS = ["anthropic", "bedrock_invoke", "bedrock_converse", "vertex_ai", "azure"]
FEATURES = ["basic_messaging_streaming", "tool_use"]
# LiteLLM 1.83.14's Converse-stream -> Anthropic-stream translation folds the first text
# delta after a thinking block into that block, so the reply reaches Claude Code as one
# text_delta missing its start (1.90.0 on are fine). tool_use is Converse's passing cell there.
# 1.83.0-1.90.x send a Vertex deployment's custom api_base verbatim, so a streamed request
# goes to `:rawPredict` (compat.proxy.environment.VertexUrlStyle.full_url) and its reply
# comes back whole: LiteLLM's own fix, "append streamRawPredict for custom Anthropic
# messages api_base", is https://github.com/BerriAI/litellm/pull/25761.
KNOWN_FAILURES = {
    (OLDEST, "basic_messaging_streaming", "bedrock_converse"): ("text_delta", "nonce"),
    (OLDEST, "basic_messaging_streaming", "vertex_ai"): ("without streaming",),
}
INSTALL_TIMEOUT_S = 300


@pytest.fixture(scope="module", params=RELEASES)
def release_proxy(request: pytest.FixtureRequest) -> Iterator[ProxySession]:
    release = request.param
    # Installs into the cache when absent (uv, dependencies as of a day after the release).
    ensure_litellm(release)
    settings = ProxySettings(
        litellm_version=release, config=ROOT / "proxy_config.yaml", timeout=180
    )
    with emulated_session(settings) as session:
        yield session


def run_cells(proxy: ProxySession, manifest: Manifest, tmp_path: Path) -> list[TierResult]:
    cells = select_cells(manifest, providers=PROVIDERS, tiers=["haiku-4-5"], features=FEATURES)
    results = schedule(proxy, manifest, cells, tmp_path / "compat-results.jsonl").results
    assert len(results) == len(cells) == len(PROVIDERS) * len(FEATURES)
    return results


def test_every_provider_passes_through_the_release(
    release_proxy: ProxySession, manifest: Manifest, tmp_path: Path
) -> None:
    release = release_proxy.settings.litellm_version
    results = run_cells(release_proxy, manifest, tmp_path)
    failed = {
        (release, r.feature_id, r.provider): r.outcome.error
        for r in results
        if isinstance(r.outcome, Fail)
    }
    expected = {key: why for key, why in KNOWN_FAILURES.items() if key[0] == release}
    assert set(failed) == set(expected), failed
    for key, symptoms in expected.items():
        assert any(symptom in failed[key] for symptom in symptoms), failed[key]
    passed = {r.provider for r in results if not isinstance(r.outcome, Fail)}
    assert passed == set(PROVIDERS), "every provider passes at least one cell"

    # The Vertex requests went where real Vertex serves Claude, in the release's own way.
    assert release_proxy.emulator is not None
    vertex = [
        r.path for r in release_proxy.emulator.ctx.recorder.query() if r.provider == "vertex_ai"
    ]
    predict = [path for path in vertex if "/publishers/anthropic/models/" in path]
    assert predict and len(predict) == len([p for p in vertex if p != "/oauth2/token"]), vertex
    actions = {path.rpartition(":")[2] for path in predict}
    if release == OLDEST:
        # 1.83.14 posts to the api_base verbatim: compat gave it the full rawPredict URL.
        assert actions == {"rawPredict"}
    else:
        # Newer releases pick the action themselves; Claude Code's turns stream.
        assert "streamRawPredict" in actions
        assert actions <= {"rawPredict", "streamRawPredict"}
