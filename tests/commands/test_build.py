"""`compat build` end to end through the installed console script."""

from __future__ import annotations

import json
import subprocess


def test_build_reproduces_the_golden_matrix(repo_root, fixtures, tmp_path, compat_cli):
    out = tmp_path / "matrix.json"
    proc = compat_cli(
        "build",
        "--manifest",
        "manifest.yaml",
        "--results",
        str(fixtures / "sample-results.json"),
        "--out",
        str(out),
        "--generated-at",
        "2026-01-01T00:00:00Z",
        cwd=repo_root,
    )
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes() == (fixtures / "sample-matrix.json").read_bytes()
    assert proc.stdout.strip() == str(out)
    assert "16 features × 9 providers: 93 pass, 13 fail, 37 not_applicable, 1 not_tested" in (
        proc.stderr
    )
    # Counted over the five Claude routes it ran on: the GPT routes' not-tested cells are not.
    assert (
        "8 gateway-contract checks × 5 routes: 30 pass, 7 fail, 3 not_applicable, 0 not_tested"
        in proc.stderr
    )


def test_build_into_a_directory(repo_root, fixtures, tmp_path, compat_cli):
    proc = compat_cli(
        "build", "-r", str(fixtures / "sample-results.json"), "-o", str(tmp_path), cwd=repo_root
    )
    assert proc.returncode == 0, proc.stderr
    assert (
        json.loads((tmp_path / "compatibility-matrix.json").read_text())["upstream"] == "emulated"
    )


def assert_clean_user_error(proc: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: ")
    for fragment in fragments:
        assert fragment in proc.stderr


def test_invalid_manifest_yaml(repo_root, fixtures, tmp_path, compat_cli):
    bad = tmp_path / "manifest.yaml"
    bad.write_text("schema_version: '1'\nproviders: [oops\n")
    proc = compat_cli(
        "build", "-m", str(bad), "-r", str(fixtures / "sample-results.json"), cwd=tmp_path
    )
    assert_clean_user_error(proc, str(bad), "invalid YAML at line")


def test_wrong_schema_version(repo_root, fixtures, tmp_path, compat_cli):
    bad = tmp_path / "manifest.yaml"
    bad.write_text(
        (repo_root / "manifest.yaml")
        .read_text()
        .replace('schema_version: "1"', 'schema_version: "3"')
    )
    proc = compat_cli(
        "build", "-m", str(bad), "-r", str(fixtures / "sample-results.json"), cwd=tmp_path
    )
    assert_clean_user_error(proc, "schema_version", "'3'")


def test_results_not_json(repo_root, tmp_path, compat_cli):
    bad = tmp_path / "compat-results.json"
    bad.write_text("<html>nope</html>")
    proc = compat_cli("build", "-r", str(bad), cwd=repo_root)
    assert_clean_user_error(proc, str(bad), "not valid JSON")


def test_unknown_provider_in_results(repo_root, fixtures, tmp_path, compat_cli):
    doc = json.loads((fixtures / "sample-results.json").read_text())
    doc["results"][7]["provider"] = "mistral"
    bad = tmp_path / "compat-results.json"
    bad.write_text(json.dumps(doc))
    proc = compat_cli("build", "-r", str(bad), "-o", str(tmp_path / "m.json"), cwd=repo_root)
    assert_clean_user_error(proc, "results[7].provider: unknown provider 'mistral'")
    assert not (tmp_path / "m.json").exists()


def test_missing_results_file(repo_root, tmp_path, compat_cli):
    proc = compat_cli("build", "-r", str(tmp_path / "absent.json"), cwd=repo_root)
    assert_clean_user_error(proc, "absent.json: results file not found")


def test_output_path_under_a_file_is_a_clear_error(repo_root, fixtures, tmp_path, compat_cli):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    proc = compat_cli(
        "build",
        "-r",
        str(fixtures / "sample-results.json"),
        "-o",
        str(blocker / "m.json"),
        cwd=repo_root,
    )
    assert proc.returncode == 1
    assert "cannot write" in proc.stderr and "Traceback" not in proc.stderr


def test_help_lists_only_working_commands(repo_root, compat_cli):
    proc = compat_cli("--help", cwd=repo_root)
    assert proc.returncode == 0
    assert "build" in proc.stdout
