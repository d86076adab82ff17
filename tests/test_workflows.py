"""The shipped CI workflows and Dockerfile, parsed and checked for their structure."""

from __future__ import annotations

import fnmatch
import re
import shlex
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import typer
import yaml

from compat.cli import app

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
MATRIX_WORKFLOW = WORKFLOWS / "compat-matrix.yml"
GATE_WORKFLOW = WORKFLOWS / "compat-pr-gate.yml"
HISTORY_WORKFLOW = WORKFLOWS / "compat-history.yml"
# Commands the workflows call that are wired after this file was written; their flags are
# checked as soon as they are registered.
PENDING_COMMANDS = frozenset({"publish"})


def load(path: Path) -> dict[Any, Any]:
    return yaml.safe_load(path.read_text())


def triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the bare key `on` as the boolean True.
    return workflow[True]


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return job["steps"]


def script(step: dict[str, Any]) -> str:
    """A step's `run` script without its comment lines."""
    lines = step.get("run", "").splitlines()
    return "\n".join(line for line in lines if not line.lstrip().startswith("#"))


def step_index(job: dict[str, Any], fragment: str) -> int:
    """The index of the only step whose `run` contains `fragment`."""
    found = [i for i, step in enumerate(steps(job)) if fragment in script(step)]
    assert len(found) == 1, f"expected one step running {fragment!r}, found {len(found)}"
    return found[0]


def uses(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in steps(job) if s.get("uses", "").startswith(f"{action}@")]


def evaluate(expression: str, event_name: str, tag: str | None = None) -> bool:
    """Evaluate the small subset of GitHub expressions the job filter uses."""
    python = expression.replace("||", " or ").replace("&&", " and ")
    python = re.sub(r"endsWith\(([^,]+),\s*([^)]+)\)", r"str(\1).endswith(\2)", python)
    release = SimpleNamespace(tag_name=tag or "")
    github = SimpleNamespace(event_name=event_name, event=SimpleNamespace(release=release))
    return bool(eval(python, {"__builtins__": {"str": str}}, {"github": github}))


@pytest.fixture(scope="module")
def matrix_workflow() -> dict[Any, Any]:
    return load(MATRIX_WORKFLOW)


@pytest.fixture(scope="module")
def gate_workflow() -> dict[Any, Any]:
    return load(GATE_WORKFLOW)


# --- compat-matrix.yml ------------------------------------------------------------------------


def test_matrix_triggers(matrix_workflow):
    on = triggers(matrix_workflow)
    assert on["schedule"] == [{"cron": "0 6 * * *"}]
    assert on["release"] == {"types": ["published"]}
    skip = on["workflow_dispatch"]["inputs"]["skip_publish"]
    assert (skip["type"], skip["default"]) == ("boolean", False)


@pytest.mark.parametrize(
    ("event", "tag", "runs"),
    [
        ("schedule", None, True),
        ("workflow_dispatch", None, True),
        ("release", "v1.80.0-stable", True),
        ("release", "v1.80.0-nightly", False),
        ("release", "v1.80.0", False),
        ("release", "v1.80.0-stable.1", False),
        ("release", "v1.81.0-rc.1", False),
    ],
)
def test_releases_run_only_for_stable_tags(matrix_workflow, event, tag, runs):
    jobs = matrix_workflow["jobs"]
    assert evaluate(jobs["resolve"]["if"], event, tag) is runs


def needs(job: dict[str, Any]) -> set[str]:
    value = job.get("needs", [])
    return {value} if isinstance(value, str) else set(value)


def test_every_job_waits_for_resolve(matrix_workflow):
    jobs = matrix_workflow["jobs"]
    # Skipping `resolve` (a non-stable release) then skips everything downstream.
    assert needs(jobs["run"]) == {"resolve"}
    assert needs(jobs["publish"]) == {"resolve", "run"}
    assert set(jobs) == {"resolve", "run", "publish"}


def test_resolve_job_outputs_both_versions(matrix_workflow):
    resolve = matrix_workflow["jobs"]["resolve"]
    claude = steps(resolve)[step_index(resolve, "compat resolve claude-code")]
    litellm = steps(resolve)[step_index(resolve, "compat resolve litellm")]
    assert "compat resolve claude-code --min-age 3d" in claude["run"]
    assert litellm["env"]["GITHUB_TOKEN"] == "${{ secrets.GITHUB_TOKEN }}"
    assert resolve["outputs"] == {
        "claude_code_version": f"${{{{ steps.{claude['id']}.outputs.version }}}}",
        "litellm_tag": f"${{{{ steps.{litellm['id']}.outputs.tag }}}}",
        "litellm_version": f"${{{{ steps.{litellm['id']}.outputs.version }}}}",
    }


def test_shards_cover_the_matrix_exactly_once(matrix_workflow):
    run = matrix_workflow["jobs"]["run"]
    shards = run["strategy"]["matrix"]["shard"]
    step = steps(run)[step_index(run, "compat run")]
    assert step["env"]["SHARD"] == "${{ matrix.shard }}"
    match = re.search(r'--shard "\$SHARD/(\d+)"', step["run"])
    assert match, step["run"]
    assert shards == list(range(1, int(match[1]) + 1))
    assert run["strategy"]["fail-fast"] is False


def test_claude_is_installed_from_the_resolved_version_before_the_run(matrix_workflow):
    run = matrix_workflow["jobs"]["run"]
    install = step_index(run, "compat install claude-code")
    assert install < step_index(run, "compat run")
    assert run["env"]["CLAUDE_CODE_VERSION"] == ("${{ needs.resolve.outputs.claude_code_version }}")
    assert '--version "$CLAUDE_CODE_VERSION"' in steps(run)[install]["run"]
    assert run["env"]["LITELLM_TAG"] == "${{ needs.resolve.outputs.litellm_tag }}"


def test_each_shard_uploads_its_results_and_publish_downloads_them_all(matrix_workflow):
    run, publish = matrix_workflow["jobs"]["run"], matrix_workflow["jobs"]["publish"]
    [upload] = uses(run, "actions/upload-artifact")
    assert upload["with"]["path"] == "out/compat-results.json"
    assert "${{ matrix.shard }}" in upload["with"]["name"]
    [download] = uses(publish, "actions/download-artifact")
    pattern = download["with"]["pattern"]
    for shard in run["strategy"]["matrix"]["shard"]:
        name = upload["with"]["name"].replace("${{ matrix.shard }}", str(shard))
        assert fnmatch.fnmatch(name, pattern)
    assert download["with"]["path"] == "shards/"


def test_publish_job_merges_diffs_renders_publishes_and_keeps_artifacts(matrix_workflow):
    publish = matrix_workflow["jobs"]["publish"]
    order = [
        step_index(publish, "compat build -r shards/"),
        step_index(publish, "compat diff"),
        step_index(publish, "compat render"),
        step_index(publish, "compat publish"),
    ]
    assert order == sorted(order)
    publish_step = steps(publish)[order[-1]]
    assert "--results shards/" in publish_step["run"]
    assert publish_step["env"]["DOCS_REPO_TOKEN"] == "${{ secrets.DOCS_REPO_TOKEN }}"
    assert publish_step["env"]["SKIP_PUBLISH"] == (
        "${{ inputs.skip_publish && '--skip-publish' || '' }}"
    )
    assert "$SKIP_PUBLISH" in publish_step["run"]
    [upload] = uses(publish, "actions/upload-artifact")
    kept = upload["with"]["path"].split()
    assert {"out/", "shards/"} <= set(kept)
    assert upload["if"] == "${{ !cancelled() }}"


def all_steps(*workflows: dict[Any, Any]) -> list[dict[str, Any]]:
    return [s for w in workflows for job in w["jobs"].values() for s in steps(job)]


def test_secrets_and_event_text_never_pasted_into_scripts(matrix_workflow, gate_workflow):
    for step in all_steps(matrix_workflow, gate_workflow):
        script = step.get("run", "")
        # Secrets reach scripts through `env` (masked); event text could inject commands.
        assert "secrets." not in script, step
        assert "github.event.release" not in script, step
        assert "github.event.pull_request.title" not in script, step


# --- compat-pr-gate.yml -----------------------------------------------------------------------


def test_gate_runs_on_pull_requests(gate_workflow):
    assert set(triggers(gate_workflow)) == {"pull_request"}


def test_gate_resolves_installs_builds_and_fails_on_a_failing_cell(gate_workflow):
    [gate] = gate_workflow["jobs"].values()
    resolve = step_index(gate, "compat resolve claude-code --min-age 3d")
    install = step_index(gate, "compat install claude-code")
    build = step_index(gate, "docker build")
    run = step_index(gate, "compat run")
    assert resolve < install < run and build < run
    command = steps(gate)[run]["run"]
    for flag in ("--runtime docker", "--fail-on fail"):
        assert flag in command
    built = re.search(r'--tag "([^"]+)"', steps(gate)[build]["run"])
    image = re.search(r'--image "([^"]+)"', command)
    tag = re.search(r'--tag "([^"]+)"', command)
    assert built and image and tag
    assert built[1] == f"{image[1]}:{tag[1]}"
    install_step = steps(gate)[install]
    resolved = f"${{{{ steps.{steps(gate)[resolve]['id']}.outputs.version }}}}"
    [variable] = [name for name, value in install_step["env"].items() if value == resolved]
    assert f'--version "${variable}"' in install_step["run"]


# --- commands and flags the workflows use -----------------------------------------------------


# `compat …` or `.venv/bin/compat …`, but not the checkout directory in `make -C compat`.
COMPAT_CALL = re.compile(r"(?:^|\$\(|\s)(?<!-C )(?:\S*/)?compat (?P<rest>[^)\n|>]*)")


def step_invocations(step: dict[str, Any]) -> list[list[str]]:
    """Every `compat …` command line in one step's script, split into words."""
    found = []
    for line in step.get("run", "").replace("\\\n", " ").splitlines():
        for match in COMPAT_CALL.finditer(line):
            found.append(shlex.split(re.sub(r"\$\{\{[^}]*\}\}", "X", match["rest"])))
    return found


def compat_invocations(*workflows: dict[Any, Any]) -> list[list[str]]:
    """Every `compat …` command line in the workflows' scripts, split into words."""
    return [words for step in all_steps(*workflows) for words in step_invocations(step)]


def test_workflows_call_existing_commands_with_existing_flags(matrix_workflow, gate_workflow):
    root = typer.main.get_command(app)
    context = root.context_class(root)
    invocations = compat_invocations(matrix_workflow, gate_workflow, load(HISTORY_WORKFLOW))
    called = {words[0] for words in invocations}
    assert {"resolve", "install", "run", "build", "diff", "render", "publish"} <= called
    for words in invocations:
        command: Any = root
        rest = list(words)
        # Groups (`compat resolve …`) have sub-commands; walk down to the command itself.
        while hasattr(command, "get_command") and rest and not rest[0].startswith("-"):
            command = command.get_command(context, rest.pop(0))
        if command is None and words[0] in PENDING_COMMANDS:
            continue
        assert command is not None, f"compat {' '.join(words)}: no such command"
        known = {opt for param in command.params for opt in param.opts}
        flags = {w.split("=")[0] for w in rest if w.startswith("--")}
        assert flags <= known, f"compat {' '.join(words)}: unknown {sorted(flags - known)}"


@pytest.mark.parametrize(
    ("path", "install", "venv"),
    [
        (MATRIX_WORKFLOW, "make install", "$GITHUB_WORKSPACE/.venv/bin"),
        (GATE_WORKFLOW, "make -C compat install", "$GITHUB_WORKSPACE/compat/.venv/bin"),
        (HISTORY_WORKFLOW, "make install", "$GITHUB_WORKSPACE/.venv/bin"),
    ],
    ids=lambda value: value.name if isinstance(value, Path) else None,
)
def test_compat_is_installed_from_its_lock_before_any_job_calls_it(path, install, venv):
    assert re.search(r"^install:", (ROOT / "Makefile").read_text(), re.MULTILINE)
    for name, job in load(path)["jobs"].items():
        calls = [i for i, step in enumerate(steps(job)) if step_invocations(step)]
        if not calls:
            continue
        installed = step_index(job, install)
        # `make install` builds the venv with whichever python3 comes first on PATH.
        [setup_python] = uses(job, "actions/setup-python")
        assert steps(job).index(setup_python) < installed < min(calls), name
        assert f'echo "{venv}" >> "$GITHUB_PATH"' in steps(job)[installed]["run"], name
    for step in all_steps(load(path)):
        # An unlocked `pip install .` resolves compat's dependencies afresh on every run.
        assert "pip install" not in step.get("run", ""), step


# --- hardening: pinned actions, no persisted token, no expression in a script -------------------

WORKFLOW_FILES = (MATRIX_WORKFLOW, GATE_WORKFLOW, HISTORY_WORKFLOW)
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?P<comment>.*)$")
PINNED_REF = re.compile(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}")
TAG_COMMENT = re.compile(r"\s+# v\d+(?:\.\d+){0,2}")


def uses_lines(path: Path) -> list[re.Match[str]]:
    """The `uses:` lines of a workflow's text (the YAML parser drops the comments)."""
    return [m for line in path.read_text().splitlines() if (m := USES_LINE.match(line))]


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda path: path.name)
def test_every_action_is_pinned_to_a_commit_with_its_tag_beside_it(path):
    lines = uses_lines(path)
    parsed = [
        ref
        for job in load(path)["jobs"].values()
        for ref in [job.get("uses")] + [step.get("uses") for step in job.get("steps", [])]
        if ref
    ]
    # The text and the parsed workflow agree, so no `uses:` escapes the line check below.
    assert [m["ref"] for m in lines] == parsed
    for m in lines:
        assert PINNED_REF.fullmatch(m["ref"]), m[0]
        assert TAG_COMMENT.fullmatch(m["comment"]), m[0]


def test_each_action_has_one_pin_across_the_workflows():
    pins: dict[str, set[str]] = {}
    for path in WORKFLOW_FILES:
        for m in uses_lines(path):
            action, _, sha = m["ref"].partition("@")
            pins.setdefault(action, set()).add(f"{sha} {m['comment'].strip()}")
    assert {action: pin for action, pin in pins.items() if len(pin) > 1} == {}


def test_no_checkout_leaves_its_token_in_the_clone(matrix_workflow, gate_workflow):
    checkouts = [
        step
        for step in all_steps(matrix_workflow, gate_workflow, load(HISTORY_WORKFLOW))
        if step.get("uses", "").startswith("actions/checkout@")
    ]
    assert checkouts
    # `compat publish` clones the docs repository itself, with $DOCS_REPO_TOKEN in its URL.
    for step in checkouts:
        assert step.get("with", {}).get("persist-credentials") is False, step


def test_no_expression_is_expanded_inside_a_script(matrix_workflow, gate_workflow):
    for step in all_steps(matrix_workflow, gate_workflow, load(HISTORY_WORKFLOW)):
        # The runner pastes `${{ … }}` into the script before the shell parses it.
        assert "${{" not in step.get("run", ""), step


def test_the_publishing_workflow_restores_no_cache(matrix_workflow):
    for step in all_steps(matrix_workflow):
        action = step.get("uses", "").partition("@")[0]
        assert action != "actions/cache", step
        if action in {"actions/setup-python", "actions/setup-node"}:
            assert "cache" not in step.get("with", {}), step
        if action == "actions/setup-node":
            # From v5 on, setup-node turns npm caching on by itself for some package.json files.
            assert step["with"].get("package-manager-cache") is False, step


def test_the_history_fans_out_over_releases_and_shards_then_merges():
    history = load(HISTORY_WORKFLOW)
    jobs = history["jobs"]
    plan_run = " ".join(step.get("run", "") for step in steps(jobs["plan"]))
    assert "compat history" in plan_run and "--list-releases" in plan_run
    assert jobs["plan"]["outputs"]["releases"] == "${{ steps.plan.outputs.releases }}"
    matrix = jobs["run"]["strategy"]["matrix"]
    assert matrix["release"] == "${{ fromJSON(needs.plan.outputs.releases) }}"
    shards = matrix["shard"]
    run_step = next(s for s in steps(jobs["run"]) if "compat history" in s.get("run", ""))
    assert f'--shard "$SHARD/{len(shards)}"' in run_step["run"]
    assert run_step["env"]["RELEASE"] == "${{ matrix.release }}"
    merge = " ".join(step.get("run", "") for step in steps(jobs["merge"]))
    assert "compat history --merge parts/" in merge
    assert jobs["merge"]["needs"] == "run"
    # Emulated: no provider credential is handed to any job.
    assert "secrets." not in HISTORY_WORKFLOW.read_text()


# --- Dockerfile -------------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, comments dropped and continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text()
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    pairs = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, args = line.strip().partition(" ")
            pairs.append((keyword.upper(), " ".join(args.split())))
    return pairs


def test_dockerfile_takes_its_base_from_a_build_argument_and_installs_from_the_locks():
    # What a real build proves is in tests/integration/test_project_image.py; this pins
    # what a build here cannot tell apart: the public default base and the lock steps.
    instructions = dockerfile_instructions()
    [(from_index, base)] = [(i, args) for i, (kw, args) in enumerate(instructions) if kw == "FROM"]
    assert base == "${BASE_IMAGE}"
    assert ("ARG", "BASE_IMAGE=debian:bookworm-slim") in instructions[:from_index]
    after = instructions[from_index + 1 :]
    assert any(kw == "ARG" and args.startswith("CLAUDE_CODE_VERSION=") for kw, args in after)
    runs = " ".join(args for kw, args in after if kw == "RUN")
    assert "--require-hashes -r /tmp/compat-build/uv.txt" in runs
    assert "uv export --frozen --no-dev" in runs
    assert "--require-hashes -r /tmp/compat-build/requirements.txt" in runs
    assert "uv pip install --no-cache --no-deps ." in runs
    assert 'compat install claude-code --version "$CLAUDE_CODE_VERSION"' in runs
    copied = " ".join(args for kw, args in after if kw == "COPY")
    assert "uv.lock" in copied and "requirements/uv.txt" in copied
    # `docker run <image> compat …`: the command is named, not an entrypoint.
    assert not [args for kw, args in instructions if kw == "ENTRYPOINT"]
