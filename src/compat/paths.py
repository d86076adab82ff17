"""The names of the files compat writes and reads by default, in one place."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_OUT_DIR = Path("out")
RESULTS_NAME = "compat-results.json"
"""Every result of one run (or shard), written when the run ends."""
JOURNAL_NAME = "compat-results.jsonl"
"""One result per line as each cell finishes: what `--resume` reads."""
MATRIX_NAME = "compatibility-matrix.json"
PAGE_NAME = "index.html"
SUMMARY_NAME = "summary.md"
KNOWN_ISSUES_NAME = "known_issues.yaml"


def known_issues_beside(manifest_path: Path) -> Path:
    """The known-issues file a manifest comes with: `known_issues.yaml` in its directory."""
    return manifest_path.parent / KNOWN_ISSUES_NAME


def cache_home() -> Path:
    """`${XDG_CACHE_HOME:-~/.cache}/compat`: what compat keeps between runs."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "compat"
