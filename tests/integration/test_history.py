"""`compat history` through real releases: real installs, real LiteLLM, real claude, one cell."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

from compat.proxy.venv import DEFAULT_LITELLM_VERSION
from support.cli import compat_command, run_compat
from support.proc import descendants_of, running_pids

# LiteLLM 1.83.14 sent Vertex AI's rawPredict for a streaming turn and buffered the reply
# (https://github.com/BerriAI/litellm/pull/25761); the default release streams.
OLDEST = "1.83.14"
CELL = ["-f", "basic_messaging_streaming", "-p", "vertex_ai", "-t", "haiku-4-5"]
# Compromised on PyPI (BerriAI/litellm#24512, OSV MAL-2026-2144), since removed from it.
MALICIOUS = "1.82.7"
# Requires a litellm-proxy-extras release the package index does not serve.
UNRESOLVABLE = "1.109.0"


def test_a_history_shows_the_flip_the_refusal_and_the_install_failure(tmp_path):
    out = tmp_path / "history"
    releases = [OLDEST, DEFAULT_LITELLM_VERSION, MALICIOUS, UNRESOLVABLE]
    done = run_compat(
        "history",
        *[f"--litellm={r}" for r in releases],
        *CELL,
        "--jobs",
        "2",
        "--out",
        out,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    history = json.loads((out / "history.json").read_text())
    assert [c["release"] for c in history["columns"]] == [
        MALICIOUS,
        OLDEST,
        DEFAULT_LITELLM_VERSION,
        UNRESOLVABLE,
    ]
    columns = {c["release"]: c for c in history["columns"]}
    assert columns[MALICIOUS]["state"] == "refused"
    assert "MAL-2026-2144" in columns[MALICIOUS]["reason"]
    assert columns[UNRESOLVABLE]["state"] == "install_failed"
    assert "litellm-proxy-extras" in columns[UNRESOLVABLE]["reason"]
    assert columns[OLDEST]["state"] == columns[DEFAULT_LITELLM_VERSION]["state"] == "ran"
    (cell,) = history["cells"]
    assert cell["outcomes"][OLDEST]["status"] == "fail"
    assert ":rawPredict (200)" in cell["outcomes"][OLDEST]["error"]
    assert cell["outcomes"][DEFAULT_LITELLM_VERSION]["status"] == "pass"
    assert MALICIOUS not in cell["outcomes"] and UNRESOLVABLE not in cell["outcomes"]
    # Each release that ran has its own matrix and page, linking back to the timeline.
    page = out / columns[DEFAULT_LITELLM_VERSION]["page"]
    assert "../../timeline.html" in page.read_text()
    matrix = json.loads((out / columns[OLDEST]["matrix"]).read_text())
    assert matrix["litellm_version"] == OLDEST
    timeline = (out / "timeline.html").read_text()
    assert f"releases/{DEFAULT_LITELLM_VERSION}/index.html" in timeline
    # stderr tells the flip in words; stdout names the two files.
    assert f"fail at {OLDEST} → pass at {DEFAULT_LITELLM_VERSION}" in done.stderr
    assert "history.json" in done.stdout and "timeline.html" in done.stdout

    # A rerun with --resume keeps both releases and runs nothing again.
    again = run_compat(
        "history",
        *[f"--litellm={r}" for r in releases],
        *CELL,
        "--resume",
        "--out",
        out,
        timeout=300,
    )
    assert again.returncode == 0, again.stderr[-2000:]
    assert again.stderr.count("already ran (--resume)") == 2


def test_sigterm_stops_every_release_and_keeps_what_finished(tmp_path, repo_root, children):
    out = tmp_path / "history"
    compat = children.spawn(
        compat_command(
            "history",
            *[f"--litellm={r}" for r in (OLDEST, DEFAULT_LITELLM_VERSION)],
            *("-f", "tool_use", "-f", "long_context_1m", "-p", "anthropic", "-p", "azure"),
            *("--jobs", "2", "--out", str(out)),
        ),
        cwd=repo_root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    journals = [
        out / "releases" / r / "compat-results.jsonl" for r in (OLDEST, DEFAULT_LITELLM_VERSION)
    ]
    deadline = time.monotonic() + 300
    while not any(j.is_file() and j.read_text().strip() for j in journals):
        assert compat.poll() is None, compat.communicate()[1][-2000:]
        assert time.monotonic() < deadline, "no cell finished in 300 s"
        time.sleep(0.2)
    tree = descendants_of(compat.pid)
    os.kill(compat.pid, signal.SIGTERM)
    _, stderr = compat.communicate(timeout=120)
    assert compat.returncode == 143, stderr[-2000:]
    assert "interrupted: finished releases are saved" in stderr
    history = json.loads((out / "history.json").read_text())
    finished = sum(len(c["outcomes"]) for c in history["cells"])
    assert finished >= 1, "the cells that finished before the stop are kept"
    assert {c["state"] for c in history["columns"]} <= {"ran", "interrupted"}
    time.sleep(2)
    survivors = [pid for pid in tree if pid in running_pids()]
    assert not survivors, f"left running after SIGTERM: {survivors}"
