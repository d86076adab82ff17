"""The git publisher against real local bare repositories (and a local GitHub API for PRs)."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import git
import pytest

from compat.diff import diff_matrices, summary
from compat.errors import CompatError, InputError
from compat.matrix import Matrix, canonical_json, load_matrix
from compat.publish import (
    DEFAULT_TARGET,
    UNCHANGED_MESSAGE,
    authenticated_url,
    git_error_text,
    github_repo_of,
    publish_matrix,
)
from support.local_http import LocalServer, closed_port_url

SAMPLE = Path(__file__).parent / "fixtures" / "sample-matrix.json"
LIVE_DIR = Path(__file__).parent / "fixtures" / "live-matrices"
FAKE_TOKEN = "ghs_FAKEdocsRepoToken0123456789xyzSECRET"
EXPECTED_MESSAGE = (
    "Update Claude Code compatibility matrix\n"
    "\n"
    "litellm_version: 1.106.2\n"
    "claude_code_version: 2.1.329\n"
    "generated_at: 2026-01-01T00:00:00Z\n"
)
BOT = "compat-matrix-bot <compat-matrix-bot@users.noreply.github.com>"
# Someone else's identity, for commits that move the remote under the publisher.
OTHER = ["-c", "user.name=Docs Maintainer", "-c", "user.email=docs@example.org"]


def run_git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", *OTHER, *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout.strip()


class DocsRemote:
    """A bare docs repository with one initial commit on `main`, and a second working clone."""

    def __init__(self, root: Path) -> None:
        self.bare = root / "docs.git"
        self.url = f"file://{self.bare}"
        seed = root / "seed"
        run_git("init", "--bare", "--initial-branch=main", str(self.bare), cwd=root)
        run_git("clone", self.url, str(seed), cwd=root)
        (seed / "README.md").write_text("# Docs\n")
        run_git("add", "README.md", cwd=seed)
        run_git("commit", "-m", "Initial docs", cwd=seed)
        run_git("push", "origin", "HEAD:refs/heads/main", cwd=seed)
        self.other = seed
        self.moves = 0

    def head(self, branch: str = "main") -> str:
        return run_git("rev-parse", f"refs/heads/{branch}", cwd=self.bare)

    def commit_format(self, fmt: str, ref: str = "main") -> str:
        return run_git("log", "-1", f"--format={fmt}", ref, cwd=self.bare)

    def files_changed(self, ref: str = "main") -> list[str]:
        return run_git("show", "--name-only", "--format=", ref, cwd=self.bare).splitlines()

    def read(self, path: str = DEFAULT_TARGET, ref: str = "main") -> bytes:
        return subprocess.run(
            ["git", "show", f"{ref}:{path}"], cwd=self.bare, capture_output=True, check=True
        ).stdout

    def count(self, ref: str = "main") -> int:
        return int(run_git("rev-list", "--count", ref, cwd=self.bare))

    def move(self, path: str = "README.md", content: bytes | None = None) -> None:
        """Push another commit to main from the second clone."""
        self.moves += 1
        run_git("pull", "--ff-only", "origin", "main", cwd=self.other)
        target = self.other / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content if content is not None else f"# Docs {self.moves}\n".encode())
        run_git("add", path, cwd=self.other)
        run_git("commit", "-m", f"Edit {path} ({self.moves})", cwd=self.other)
        run_git("push", "origin", "HEAD:refs/heads/main", cwd=self.other)


@pytest.fixture
def remote(tmp_path: Path) -> DocsRemote:
    return DocsRemote(tmp_path)


@pytest.fixture
def live_bytes() -> bytes:
    doc = json.loads(SAMPLE.read_text())
    doc["upstream"] = "live"
    return canonical_json(Matrix.model_validate(doc)).encode()


@pytest.fixture(autouse=True)
def no_ambient_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DOCS_REPO_TOKEN", raising=False)


def to_stderr(line: str) -> None:
    """A publish's progress line, written where a command would write it."""
    print(line, file=sys.stderr)


def with_cell(data: bytes, outcome: dict[str, str], generated_at: str | None = None) -> bytes:
    """`data` with the first passing cell replaced by `outcome`."""
    doc = json.loads(data)
    row = next(r for r in doc["features"] if "pass" in json.dumps(r))
    provider = next(p for p, o in row["providers"].items() if o["status"] == "pass")
    row["providers"][provider] = outcome
    if generated_at:
        doc["generated_at"] = generated_at
    return canonical_json(Matrix.model_validate(doc)).encode()


def test_first_publish_commits_exactly_the_matrix(remote, live_bytes, capfd):
    before = remote.head()
    outcome = publish_matrix(live_bytes, repo_url=remote.url, note=to_stderr)
    assert outcome.changed and outcome.pushed and not outcome.retried
    assert remote.head() == outcome.commit != before
    assert remote.files_changed() == [DEFAULT_TARGET]
    assert remote.read() == live_bytes
    assert remote.commit_format("%B") + "\n" == EXPECTED_MESSAGE
    assert remote.commit_format("%an <%ae>|%cn <%ce>") == f"{BOT}|{BOT}"
    assert remote.commit_format("%P") == before
    assert "pushed" in capfd.readouterr().err


def test_a_second_identical_publish_pushes_nothing(remote, live_bytes, tmp_path, capfd):
    matrix_file = tmp_path / "compatibility-matrix.json"
    matrix_file.write_bytes(live_bytes)
    publish_matrix(matrix_file, repo_url=remote.url)
    head = remote.head()
    capfd.readouterr()
    outcome = publish_matrix(matrix_file, repo_url=remote.url, note=to_stderr)
    assert (outcome.changed, outcome.pushed, outcome.commit) == (False, False, None)
    assert remote.head() == head
    assert UNCHANGED_MESSAGE in capfd.readouterr().err


def test_a_stray_file_in_the_clone_is_not_committed(remote, live_bytes):
    def litter(clone: Path) -> None:
        (clone / "stray.txt").write_text("not for publishing\n")
        (clone / "README.md").write_text("edited in the clone\n")

    publish_matrix(live_bytes, repo_url=remote.url, after_clone=litter)
    assert remote.files_changed() == [DEFAULT_TARGET]
    assert remote.read("README.md") == b"# Docs\n"


def test_a_staged_stray_file_aborts_the_publish(remote, live_bytes):
    def stage_litter(clone: Path) -> None:
        (clone / "stray.txt").write_text("sneaked into the index\n")
        git.Repo(clone).git.add("stray.txt")

    head = remote.head()
    with pytest.raises(CompatError, match=r"outside the allowlist .*: stray\.txt"):
        publish_matrix(live_bytes, repo_url=remote.url, after_clone=stage_litter)
    assert remote.head() == head


def test_a_remote_that_moved_is_rebased_and_pushed_once_more(remote, live_bytes, capfd):
    pushes = []

    def move_once(clone: Path) -> None:
        pushes.append(clone)
        if len(pushes) == 1:
            remote.move()

    outcome = publish_matrix(live_bytes, repo_url=remote.url, before_push=move_once, note=to_stderr)
    assert outcome.retried and outcome.pushed
    assert len(pushes) == 2
    assert remote.count() == 3
    assert remote.files_changed() == [DEFAULT_TARGET]
    assert remote.commit_format("%s|%an", "main~1") == "Edit README.md (1)|Docs Maintainer"
    assert remote.commit_format("%an <%ae>|%cn <%ce>") == f"{BOT}|{BOT}"
    assert remote.commit_format("%B") + "\n" == EXPECTED_MESSAGE
    assert "rebasing and pushing again" in capfd.readouterr().err


def test_a_second_rejection_fails_loudly(remote, live_bytes):
    with pytest.raises(CompatError, match="rejected again after rebasing"):
        publish_matrix(live_bytes, repo_url=remote.url, before_push=lambda _: remote.move())
    assert remote.moves == 2
    assert remote.commit_format("%s") == "Edit README.md (2)"


def test_a_conflicting_move_fails_loudly(remote, live_bytes):
    def publish_elsewhere(_: Path) -> None:
        if remote.moves == 0:
            remote.move(DEFAULT_TARGET, b'{"someone": "else"}\n')

    with pytest.raises(CompatError, match="does not rebase onto it cleanly"):
        publish_matrix(live_bytes, repo_url=remote.url, before_push=publish_elsewhere)
    assert remote.read() == b'{"someone": "else"}\n'


def test_a_move_carrying_the_same_bytes_leaves_nothing_to_push(remote, live_bytes, capfd):
    def publish_same(_: Path) -> None:
        if remote.moves == 0:
            remote.move(DEFAULT_TARGET, live_bytes)

    outcome = publish_matrix(
        live_bytes, repo_url=remote.url, before_push=publish_same, note=to_stderr
    )
    assert (outcome.changed, outcome.pushed, outcome.retried) == (False, False, True)
    assert remote.commit_format("%an") == "Docs Maintainer"
    assert UNCHANGED_MESSAGE in capfd.readouterr().err


def test_regressions_against_the_published_matrix_are_refused(remote, live_bytes):
    publish_matrix(live_bytes, repo_url=remote.url)
    head = remote.head()
    worse = with_cell(live_bytes, {"status": "fail", "error": "[haiku-4-5] 500"})
    with pytest.raises(
        CompatError, match=r"refusing to publish: 1 regression.*--allow-regressions"
    ):
        publish_matrix(worse, repo_url=remote.url)
    assert remote.head() == head
    outcome = publish_matrix(worse, repo_url=remote.url, allow_regressions=True)
    assert outcome.pushed
    assert outcome.diff is not None and len(outcome.diff.regressions) == 1


def test_regressions_are_checked_against_a_matrix_litellm_published(remote, live_bytes):
    published = LIVE_DIR / "v1.98.0_2.1.228_2026-08-26.json"
    remote.move(DEFAULT_TARGET, published.read_bytes())
    ours = load_matrix(SAMPLE).model_copy(update={"upstream": "live"})
    expected = diff_matrices(load_matrix(published), ours)
    assert expected.has_regressions
    head = remote.head()
    with pytest.raises(CompatError, match=rf"refusing to publish: {summary(expected)} against"):
        publish_matrix(live_bytes, repo_url=remote.url)
    assert remote.head() == head
    outcome = publish_matrix(live_bytes, repo_url=remote.url, allow_regressions=True)
    assert outcome.pushed and outcome.diff == expected
    assert remote.read() == live_bytes


def test_a_matrix_litellm_published_publishes_byte_for_byte(remote):
    remote.move(DEFAULT_TARGET, (LIVE_DIR / "v1.102.1_2.1.281_2026-09-27.json").read_bytes())
    newer = (LIVE_DIR / "v1.104.2_2.1.292_2026-10-10.json").read_bytes()
    outcome = publish_matrix(newer, repo_url=remote.url)
    assert outcome.pushed and outcome.diff is not None and outcome.diff.is_empty
    assert remote.read() == newer


def test_an_unreadable_published_matrix_blocks_the_regression_check(remote, live_bytes):
    doc = json.loads(live_bytes)
    doc["features"][0]["providers"].pop("azure")
    remote.move(DEFAULT_TARGET, json.dumps(doc).encode())
    with pytest.raises(
        CompatError,
        match=r"the published src/data/compatibility-matrix\.json is not a matrix this compat "
        r"can read \(features\[0\] \(basic_messaging_non_streaming\)\.providers: missing "
        r"'azure'.*--allow-regressions",
    ):
        publish_matrix(live_bytes, repo_url=remote.url)
    outcome = publish_matrix(live_bytes, repo_url=remote.url, allow_regressions=True)
    assert outcome.pushed and outcome.diff is None


def test_an_emulated_matrix_needs_allow_emulated(remote):
    with pytest.raises(CompatError, match=r"emulated upstream.*--allow-emulated"):
        publish_matrix(SAMPLE, repo_url=remote.url)
    outcome = publish_matrix(SAMPLE, repo_url=remote.url, allow_emulated=True)
    assert json.loads(remote.read())["upstream"] == "emulated"
    assert outcome.pushed


def test_dry_run_pushes_nothing(remote, live_bytes):
    head = remote.head()
    outcome = publish_matrix(live_bytes, repo_url=remote.url, dry_run=True)
    assert (outcome.changed, outcome.pushed, outcome.dry_run) == (True, False, True)
    assert remote.head() == head


@pytest.mark.parametrize("target", ["../outside.json", "/etc/matrix.json", ".git/config", ""])
def test_target_must_stay_inside_the_repository(remote, live_bytes, target):
    with pytest.raises(InputError, match="inside the docs repository"):
        publish_matrix(live_bytes, repo_url=remote.url, target_path=target)


def test_a_symlinked_directory_cannot_redirect_the_write(remote, live_bytes, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()

    def plant_symlink(clone: Path) -> None:
        (clone / "src").symlink_to(outside, target_is_directory=True)

    with pytest.raises(CompatError, match="resolves outside the docs repository"):
        publish_matrix(live_bytes, repo_url=remote.url, after_clone=plant_symlink)
    assert list(outside.iterdir()) == []


def test_missing_branch_is_named(remote, live_bytes):
    with pytest.raises(CompatError, match=r"cloning .*docs\.git \(branch gh-pages\) failed"):
        publish_matrix(live_bytes, repo_url=remote.url, branch="gh-pages")


def test_invalid_matrix_is_an_input_error(remote):
    with pytest.raises(InputError, match="not a valid matrix"):
        publish_matrix(b'{"schema_version": "1"}', repo_url=remote.url)


# --- pull requests ----------------------------------------------------------------------------


@pytest.fixture
def github_api() -> Iterator[LocalServer]:
    with LocalServer() as server:
        yield server


def test_open_pr_pushes_a_branch_and_opens_the_pr(remote, live_bytes, github_api, capfd):
    main = remote.head()
    pr_url = "https://github.com/docs-org/docs/pull/42"
    github_api.json(
        "/repos/docs-org/docs/pulls",
        {"number": 42, "html_url": pr_url},
        status=201,
        method="POST",
    )
    outcome = publish_matrix(
        live_bytes,
        repo_url=remote.url,
        token=FAKE_TOKEN,
        open_pr=True,
        pr_repo="docs-org/docs",
        github_api=github_api.url,
        note=to_stderr,
    )
    branch = "compat-matrix/1.106.2-2.1.329-2026-01-01"
    assert outcome.branch == branch
    assert outcome.pull_request_url == pr_url
    assert remote.head() == main
    assert remote.files_changed(branch) == [DEFAULT_TARGET]
    assert remote.commit_format("%B", branch) + "\n" == EXPECTED_MESSAGE
    [request] = github_api.seen
    assert request.headers["authorization"] == f"Bearer {FAKE_TOKEN}"
    body = json.loads(request.body)
    assert (body["head"], body["base"]) == (branch, "main")
    assert body["title"].startswith("Update Claude Code compatibility matrix")
    captured = capfd.readouterr()
    assert FAKE_TOKEN not in captured.out + captured.err
    assert f"opened {pr_url}" in captured.err


def test_open_pr_api_errors_are_clear(remote, live_bytes, github_api):
    github_api.json(
        "/repos/docs-org/docs/pulls",
        {"message": "Validation Failed", "errors": [{"message": "A pull request already exists"}]},
        status=422,
        method="POST",
    )
    with pytest.raises(CompatError, match=r"HTTP 422 .*already exists") as caught:
        publish_matrix(
            live_bytes,
            repo_url=remote.url,
            token=FAKE_TOKEN,
            open_pr=True,
            pr_repo="docs-org/docs",
            github_api=github_api.url,
        )
    assert FAKE_TOKEN not in str(caught.value)


def test_open_pr_without_token_leaves_the_branch_for_a_person(remote, live_bytes, capfd):
    outcome = publish_matrix(
        live_bytes, repo_url=remote.url, open_pr=True, token="", note=to_stderr
    )
    assert outcome.pushed and outcome.pull_request_url is None
    assert "open a pull request from compat-matrix/" in capfd.readouterr().err


# --- secrets ----------------------------------------------------------------------------------


def test_token_goes_only_into_the_https_remote_url():
    assert (
        authenticated_url("https://github.com/docs-org/docs.git", FAKE_TOKEN)
        == f"https://x-access-token:{FAKE_TOKEN}@github.com/docs-org/docs.git"
    )
    assert authenticated_url("file:///tmp/docs.git", FAKE_TOKEN) == "file:///tmp/docs.git"
    assert github_repo_of("https://github.com/docs-org/docs.git") == "docs-org/docs"
    assert github_repo_of("https://gitlab.com/docs-org/docs.git") is None


def test_token_never_appears_in_output_logs_or_errors(
    remote, live_bytes, capfd, caplog, monkeypatch
):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("DOCS_REPO_TOKEN", FAKE_TOKEN)
    publish_matrix(live_bytes, repo_url=remote.url, note=to_stderr)
    unreachable = closed_port_url().replace("http://", "https://") + "/docs-org/docs.git"
    with pytest.raises(CompatError) as caught:
        publish_matrix(live_bytes, repo_url=unreachable, note=to_stderr)
    error = str(caught.value)
    captured = capfd.readouterr()
    everything = "\n".join([captured.out, captured.err, caplog.text, error, repr(caught.value)])
    assert FAKE_TOKEN not in everything
    assert "x-access-token" not in everything
    # The error still says where it failed, without the credentials.
    assert unreachable.removesuffix("/docs-org/docs.git") in error
    assert caught.value.__cause__ is None


def test_publish_over_https_puts_the_token_in_the_url_only(
    remote, live_bytes, tmp_path, capfd, caplog, monkeypatch
):
    # git reaches the bare repository only if the URL carries exactly this token.
    config = tmp_path / "gitconfig"
    config.write_text(
        f'[url "{remote.url}"]\n\tinsteadOf = https://x-access-token:{FAKE_TOKEN}@docs.test/o/docs.git\n'
    )
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    caplog.set_level(logging.DEBUG)
    outcome = publish_matrix(
        live_bytes, repo_url="https://docs.test/o/docs.git", token=FAKE_TOKEN, note=to_stderr
    )
    assert outcome.pushed and remote.head() == outcome.commit
    captured = capfd.readouterr()
    everything = "\n".join([captured.out, captured.err, caplog.text, outcome.model_dump_json()])
    assert FAKE_TOKEN not in everything
    assert "pushed" in captured.err and "https://docs.test/o/docs.git" in captured.err


def test_git_error_text_removes_the_token_from_git_failures():
    secret_url = f"https://x-access-token:{FAKE_TOKEN}@github.com/docs-org/docs.git"
    failure = git.GitCommandError(
        ["git", "push", secret_url, "HEAD:refs/heads/main"],
        128,
        stderr="remote: Invalid username or token.\n"
        f"fatal: Authentication failed for '{secret_url}/'",
    )
    text = git_error_text(failure, [FAKE_TOKEN])
    assert FAKE_TOKEN not in text and "x-access-token" not in text
    assert text == (
        "remote: Invalid username or token. fatal: Authentication failed for "
        "'https://***@github.com/docs-org/docs.git/'"
    )
    # A token that leaks without its URL (e.g. echoed alone) is removed too.
    bare = git.GitCommandError(["git", "fetch"], 1, stderr=f"bad credential {FAKE_TOKEN}")
    assert git_error_text(bare, [FAKE_TOKEN]) == "bad credential ***"
