"""`compat publish` end to end on the embedded default: emulated upstream, local proxy,
a local bare repository as the docs repository."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import git
import pytest

from compat.proxy.venv import DEFAULT_LITELLM_VERSION
from support.cli import run_compat

pytestmark = pytest.mark.integration
ROOT = Path(__file__).parents[2]
CLAUDE_CODE = "2.1.329"


@pytest.fixture
def docs_repo(tmp_path: Path) -> Path:
    bare = tmp_path / "docs.git"
    git.Repo.init(bare, bare=True, initial_branch="main")
    seed = git.Repo.init(tmp_path / "seed", initial_branch="main")
    (tmp_path / "seed" / "README.md").write_text("docs\n")
    seed.index.add(["README.md"])
    seed.index.commit("docs site")
    seed.create_remote("origin", str(bare)).push("main")
    return bare


def publish(docs: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_compat(
        "publish",
        "--docs-repo", docs.as_uri(),
        "--litellm-version", DEFAULT_LITELLM_VERSION,
        "--claude-code-version", CLAUDE_CODE,
        "-f", "tool_use", "-p", "azure",
        "--out", out,
        *extra,
        cwd=ROOT,
        timeout=600,
    )  # fmt: skip


def commits(bare: Path) -> list[str]:
    return [c.message for c in git.Repo(bare).iter_commits("main")]


def test_skip_publish_does_everything_but_the_push(docs_repo, tmp_path):
    out = tmp_path / "out"
    proc = publish(docs_repo, out, "--skip-publish")
    assert proc.returncode == 0, proc.stderr[-3000:]
    for name in ("compat-results.json", "compatibility-matrix.json", "index.html"):
        assert (out / name).is_file(), name
    matrix = json.loads((out / "compatibility-matrix.json").read_text())
    assert matrix["upstream"] == "emulated"
    assert matrix["claude_code_version"] == CLAUDE_CODE
    assert matrix["litellm_version"] == DEFAULT_LITELLM_VERSION
    cells = {
        (row["id"], p): o["status"]
        for row in matrix["features"]
        for p, o in row["providers"].items()
    }
    assert cells[("tool_use", "azure")] == "pass"  # all three tiers ran and passed
    assert cells[("vision", "azure")] == "not_tested"
    assert len(json.loads((out / "compat-results.json").read_text())["results"]) == 3
    assert "--skip-publish" in proc.stderr and "dry run" in proc.stdout + proc.stderr
    assert commits(docs_repo) == ["docs site"]


def test_an_emulated_matrix_is_refused_then_published_when_allowed(docs_repo, tmp_path):
    refused = publish(docs_repo, tmp_path / "a")
    assert refused.returncode == 1
    assert "--allow-emulated" in refused.stderr and "Traceback" not in refused.stderr
    assert commits(docs_repo) == ["docs site"]
    allowed = publish(docs_repo, tmp_path / "b", "--allow-emulated")
    assert allowed.returncode == 0, allowed.stderr[-3000:]
    history = commits(docs_repo)
    assert len(history) == 2
    assert history[0].startswith("Update Claude Code compatibility matrix\n\nlitellm_version: ")
    published = git.Repo(docs_repo).commit("main").tree / "src/data/compatibility-matrix.json"
    assert json.loads(published.data_stream.read())["upstream"] == "emulated"
