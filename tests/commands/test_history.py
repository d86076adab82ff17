"""`compat history` and `compat bisect` refuse bad flags before anything is installed or run."""

import pytest

from support.cli import run_compat


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["history", "--litellm", "1.90.0..1.97.0", "--claude-code", "2.1.0..2.1.300"],
            "one axis at a time",
        ),
        (["history", "-f", "vision"], "which releases?"),
        (
            ["history", "--litellm", "1.90.0..1.91.0", "--litellm", "1.93.0..1.94.0"],
            "at most one A..B range",
        ),
        (["history", "--litellm", "1.90.7", "--every", "weekly"], "--every: expected one of"),
        (
            ["history", "--litellm", "1.90.7", "--litellm-version", "1.90.7"],
            "--litellm-version: the --litellm releases are the columns",
        ),
        (
            ["history", "--litellm", "1.90.7", "-f", "telepathy"],
            "unknown value 'telepathy'",
        ),
        (["bisect", "-f", "vision", "-p", "vertex_ai"], "give --good and --bad"),
        (
            ["bisect", "-f", "vision", "-p", "vertex_ai", "--good", "1.90.7"],
            "--bad is missing",
        ),
        (
            ["bisect", "-f", "vision", "-p", "vertex_ai", "--good", "1.90.7", "--bad", "soon"],
            "'soon' is not a release version",
        ),
    ],
)
def test_misuse_is_one_clear_error(args, message, tmp_path):
    done = run_compat(*args, "--out", tmp_path / "out")
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()
