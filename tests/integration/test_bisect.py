"""`compat bisect` between two real releases around a real flip, through real claude + LiteLLM."""

from __future__ import annotations

import json

from support.cli import run_compat

# LiteLLM 1.90.7 answers Claude Code's streaming turn on Vertex AI with rawPredict, buffered;
# 1.91.0 calls streamRawPredict?alt=sse (the flip `compat bisect --good 1.90.7 --bad 1.94.3`
# found among 17 releases). 1.90.7 is the newer upload: the 1.90 line never took the change.
BEFORE, AFTER = "1.90.7", "1.91.0"
CELL = ["-f", "basic_messaging_streaming", "-p", "vertex_ai", "-t", "haiku-4-5"]


def test_bisect_names_the_release_and_shows_what_changed_on_the_wire(tmp_path):
    issues = tmp_path / "known_issues.yaml"
    issues.write_text(
        "# kept as written\n"
        'schema_version: "1"\n'
        "issues:\n"
        "  - id: vertex-stream-buffered\n"
        "    title: Vertex AI streaming turns are buffered\n"
        "    cells:\n"
        "      - feature: basic_messaging_streaming\n"
        "        provider: vertex_ai\n"
        "    symptom: rawPredict instead of streamRawPredict\n"
        "    workaround: upgrade\n"
        "    status: open\n"
    )
    out = tmp_path / "bisect"
    done = run_compat(
        "bisect", *CELL, "--good", BEFORE, "--bad", AFTER, "--out", out,
        "--known-issues", issues, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    # stdout is the release alone, as `compat resolve` prints a version.
    assert done.stdout == f"{AFTER}\n"
    assert f"fail at {BEFORE} → pass at {AFTER}, found in 4 runs" in done.stderr
    assert ":rawPredict → " in done.stderr and ":streamRawPredict" in done.stderr
    assert "alt=sse" in done.stderr
    record = json.loads((out / "bisect.json").read_text())
    assert record["first_flipped"] == AFTER and record["runs"] == 4
    assert any(c["where"] == "path" for c in record["wire_diff"]["changes"])
    # The known issue on that cell now says where it was fixed; its comment survived.
    text = issues.read_text()
    assert f'fixed_in: "{AFTER}"' in text and "# kept as written" in text


def test_ends_with_the_same_outcome_are_no_flip(tmp_path):
    done = run_compat(
        "bisect", *CELL, "--good", "1.91.0", "--bad", "1.91.1", "--repeats", "1",
        "--out", tmp_path / "b", timeout=600,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr[-2000:]
    assert done.stdout == ""
    assert "pass" in done.stderr and "Traceback" not in done.stderr
