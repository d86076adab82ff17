import json
from pathlib import Path

import pytest

from compat.errors import InputError
from compat.files import write_atomic
from compat.history.assemble import cell_rows, history_file, release_dir
from compat.history.merge import merge_histories
from compat.history.model import ReleaseColumn
from compat.manifest import load_manifest
from compat.matrix import canonical_json
from compat.outcome import Fail, Pass, ResultsFile, TierResult, ToolVersions
from support.render_samples import REPO_ROOT

STREAMING = ("basic_messaging_streaming", "vertex_ai", "haiku-4-5")
TOOLS = ("tool_use", "vertex_ai", "haiku-4-5")


@pytest.fixture(scope="module")
def manifest():
    return load_manifest(REPO_ROOT / "manifest.yaml")


def _part(root: Path, shard: str, outcomes: dict[str, dict], *, fixed: str = "2.1.329") -> Path:
    """A history one CI job leaves: one shard of the cells at each release."""
    columns, results = [], {}
    for release, cells in outcomes.items():
        if cells is None:
            columns.append(
                ReleaseColumn(
                    release=release,
                    state="install_failed",
                    reason="Because litellm==1.108.0 depends on litellm-proxy-extras==0.5.1 …",
                    litellm=release,
                    claude_code=fixed,
                )
            )
            continue
        file = ResultsFile(
            versions=ToolVersions(litellm=release, claude_code=fixed),
            upstream="emulated",
            shard=shard,
            results=[
                TierResult(feature_id=k[0], provider=k[1], tier=k[2], outcome=o)
                for k, o in cells.items()
            ],
        )
        path = release_dir(root, release) / "compat-results.json"
        path.parent.mkdir(parents=True)
        write_atomic(path, canonical_json(file))
        results[release] = [file]
        columns.append(
            ReleaseColumn(
                release=release,
                state="ran",
                litellm=release,
                claude_code=fixed,
                results=f"releases/{release}/compat-results.json",
            )
        )
    keys = sorted({k for cells in outcomes.values() if cells for k in cells})
    history = history_file(
        axis="litellm",
        upstream="emulated",
        fixed={"claude_code": fixed},
        columns=columns,
        cells=cell_rows(keys, results),
    )
    write_atomic(root / "history.json", canonical_json(history))
    return root


def test_shards_merge_into_one_history_with_a_page_per_release(tmp_path, manifest):
    _part(
        tmp_path / "parts/a",
        "1/2",
        {"1.90.7": {STREAMING: Fail(error="no stream")}, "1.94.3": {STREAMING: Pass()}},
    )
    _part(
        tmp_path / "parts/b",
        "2/2",
        {"1.90.7": {TOOLS: Pass()}, "1.94.3": {TOOLS: Pass()}, "1.108.0": None},
    )
    out = tmp_path / "merged"
    history, history_path, timeline = merge_histories([tmp_path / "parts"], out, manifest)

    assert history.releases == ["1.90.7", "1.94.3", "1.108.0"]
    assert [c.state for c in history.columns] == ["ran", "ran", "install_failed"]
    assert "litellm-proxy-extras" in (history.columns[2].reason or "")
    rows = {c.key: c for c in history.cells}
    assert set(rows) == {STREAMING, TOOLS}
    assert rows[STREAMING].flips(history.releases) == [("1.90.7", "1.94.3")]
    assert rows[TOOLS].outcomes["1.90.7"].status == "pass"
    # Each release that ran has one matrix of both shards, and its page.
    matrix = json.loads((out / "releases/1.90.7/compatibility-matrix.json").read_text())
    row = next(f for f in matrix["features"] if f["id"] == "basic_messaging_streaming")
    assert row["providers"]["vertex_ai"]["status"] == "fail"
    assert (out / history.columns[0].page).is_file()
    assert history.columns[0].counts == {"fail": 1, "pass": 1}
    assert json.loads(history_path.read_text())["axis"] == "litellm"
    assert timeline.is_file() and "1.94.3" in timeline.read_text()


def test_histories_of_different_axes_or_versions_do_not_merge(tmp_path, manifest):
    _part(tmp_path / "a", "1/2", {"1.90.7": {STREAMING: Pass()}})
    _part(tmp_path / "b", "2/2", {"1.90.7": {TOOLS: Pass()}}, fixed="2.1.292")
    with pytest.raises(InputError, match=r"2\.1\.292"):
        merge_histories([tmp_path / "a", tmp_path / "b"], tmp_path / "out", manifest)


def test_a_directory_without_histories_is_named(tmp_path, manifest):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match=r"no history\.json in .*empty"):
        merge_histories([tmp_path / "empty"], tmp_path / "out", manifest)
