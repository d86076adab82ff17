"""Publish the matrix to a docs repository with git: exactly one file, idempotently."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Literal
from urllib.parse import quote, urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, ValidationError

from compat.diff import MatrixDiff, diff_matrices, summary
from compat.errors import CompatError, InputError
from compat.files import validation_problems
from compat.matrix import Matrix, check_matrix
from compat.redact import redact
from compat.resolve import GITHUB_API

if TYPE_CHECKING:
    import git

BOT_NAME = "compat-matrix-bot"
BOT_EMAIL = "compat-matrix-bot@users.noreply.github.com"
DEFAULT_BRANCH = "main"
DEFAULT_TARGET = "src/data/compatibility-matrix.json"
TOKEN_ENV = "DOCS_REPO_TOKEN"
UNCHANGED_MESSAGE = "matrix JSON unchanged; skipping push"
COMMIT_TITLE = "Update Claude Code compatibility matrix"
PR_BRANCH_PREFIX = "compat-matrix/"
# GitHub's documented user name for an installation or fine-grained token in a git URL.
TOKEN_USER = "x-access-token"
# No prompt may wait for a password, and no credential helper may store the URL's token.
GIT_ENV = {
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_CONFIG_COUNT": "1",
    "GIT_CONFIG_KEY_0": "credential.helper",
    "GIT_CONFIG_VALUE_0": "",
}
# The repository-local settings of every clone: the bot signs nothing and runs no hooks.
CLONE_CONFIG = {
    ("user", "name"): BOT_NAME,
    ("user", "email"): BOT_EMAIL,
    ("commit", "gpgsign"): "false",
    ("core", "hooksPath"): os.devnull,
}

Hook = Callable[[Path], None]
Note = Callable[[str], None]
"""Where a publish says what it is doing (each line with every secret removed)."""
PushResult = Literal["pushed", "pushed_after_rebase", "unchanged_after_rebase"]


class PublishOutcome(BaseModel):
    """What `publish_matrix` did, for the caller to report."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    changed: bool
    pushed: bool
    dry_run: bool = False
    branch: str
    commit: str | None = None
    retried: bool = False
    pull_request_url: str | None = None
    diff: MatrixDiff | None = None
    message: str


class _PullRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    html_url: str
    number: int


def commit_message(matrix: Matrix) -> str:
    """The commit message, with the versions and timestamp the matrix records."""
    return (
        f"{COMMIT_TITLE}\n\n"
        f"litellm_version: {matrix.litellm_version}\n"
        f"claude_code_version: {matrix.claude_code_version}\n"
        f"generated_at: {matrix.generated_at}\n"
    )


def _ref_safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "-" for c in text)


def pr_branch_name(matrix: Matrix) -> str:
    """`compat-matrix/<litellm>-<claude>-<YYYY-MM-DD>`."""
    return (
        f"{PR_BRANCH_PREFIX}{_ref_safe(matrix.litellm_version)}-"
        f"{_ref_safe(matrix.claude_code_version)}-{matrix.generated_at[:10]}"
    )


def authenticated_url(repo_url: str, token: str | None) -> str:
    """`https://x-access-token:<token>@host/…` for an https URL with a token; else unchanged."""
    parts = urlsplit(repo_url)
    if not token or parts.scheme != "https":
        return repo_url
    host = parts.hostname or ""
    netloc = f"{TOKEN_USER}:{quote(token, safe='')}@{host}"
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def github_repo_of(repo_url: str) -> str | None:
    """`owner/name` for an https github.com clone URL, else None."""
    parts = urlsplit(repo_url)
    if parts.scheme != "https" or parts.hostname != "github.com":
        return None
    path = parts.path.strip("/").removesuffix(".git")
    return path if path.count("/") == 1 else None


def load_matrix_bytes(matrix: Path | bytes) -> tuple[bytes, Matrix]:
    """The exact bytes to publish and their parsed matrix; an invalid matrix is an InputError."""
    source = str(matrix) if isinstance(matrix, Path) else "the matrix to publish"
    if isinstance(matrix, Path):
        try:
            data = matrix.read_bytes()
        except OSError as exc:
            raise InputError(f"{matrix}: cannot read the matrix: {exc.strerror or exc}") from None
    else:
        data = matrix
    try:
        document = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{source}: not a JSON matrix ({exc})") from None
    parsed, problems = check_matrix(document)
    if parsed is None:
        raise InputError(f"{source}: not a valid matrix: {'; '.join(problems)}")
    return data, parsed


def _safe_target(target_path: str) -> PurePosixPath:
    path = PurePosixPath(target_path)
    if path.is_absolute() or ".." in path.parts or not path.parts or path.parts[0] == ".git":
        raise InputError(
            f"target path {target_path!r}: expected a path inside the docs repository, "
            "like src/data/compatibility-matrix.json"
        )
    return path


def git_error_text(exc: git.GitCommandError, secrets: Iterable[str | None]) -> str:
    """The useful part of a git failure (its stderr), with URL credentials and secrets removed."""
    # GitPython wraps stderr as "\n  stderr: '<text>'"; keep the text only.
    text = str(exc.stderr).strip()
    text = text.removeprefix("stderr:").strip().removeprefix("'").removesuffix("'")
    # git's progress line names our temp directory and says nothing about the failure.
    lines = [line for line in text.splitlines() if not line.startswith("Cloning into")]
    return redact(" ".join(" ".join(lines).split()) or f"git exited with {exc.status}", secrets)


class _Publisher:
    """One publish: a temp clone, the staged target, a commit, a push (retried once)."""

    def __init__(self, *, repo_url: str, token: str | None, workdir: Path, note: Note) -> None:
        self.repo_url = repo_url
        self.note = note
        self.secrets = (token, quote(token, safe="") if token else None)
        self.remote = authenticated_url(repo_url, token)
        self.workdir = workdir

    def redact(self, text: str) -> str:
        return redact(text, self.secrets)

    def say(self, text: str) -> None:
        self.note(self.redact(text))

    @contextmanager
    def git_errors(self, action: str) -> Iterator[None]:
        """A failing git command becomes a CompatError with every secret removed."""
        import git

        try:
            yield
        except git.GitCommandError as exc:
            # `from None`: the original exception's text still holds the URL with the token.
            raise CompatError(
                f"{self.redact(action)}: {git_error_text(exc, self.secrets)}"
            ) from None

    def clone(self, branch: str) -> git.Repo:
        import git

        # A shallow clone needs a URL git treats as remote; a bare local path ignores --depth.
        shallow = {"depth": 1} if "://" in self.repo_url else {}
        with self.git_errors(f"cloning {self.repo_url} (branch {branch}) failed"):
            repo = git.Repo.clone_from(
                self.remote,
                self.workdir,
                branch=branch,
                single_branch=True,
                env=GIT_ENV,
                **shallow,
            )
        repo.git.update_environment(**GIT_ENV)
        with repo.config_writer() as config:
            for (section, option), value in CLONE_CONFIG.items():
                config.set_value(section, option, value)
        return repo

    def stage_only(self, repo: git.Repo, target: PurePosixPath) -> None:
        """`git add` the target, then refuse if anything else is staged."""
        with self.git_errors(f"staging {target} failed"):
            repo.git.add("--", str(target))
            staged = set(repo.git.diff("--cached", "--name-only", "-z").split("\0")) - {""}
        stray = sorted(staged - {str(target)})
        if stray:
            raise CompatError(
                f"refusing to commit: the index holds changes outside the allowlist "
                f"({target}): {', '.join(stray)}"
            )

    def push(self, repo: git.Repo, refspec: str) -> bool:
        """Push; False when the remote rejected it because it moved (non-fast-forward)."""
        import git

        try:
            repo.git.push("--porcelain", "origin", refspec)
        except git.GitCommandError as exc:
            output = f"{exc.stdout} {exc.stderr}"
            if "[rejected]" in output or "non-fast-forward" in output or "fetch first" in output:
                return False
            detail = git_error_text(exc, self.secrets)
            raise CompatError(f"pushing to {self.redact(self.repo_url)} failed: {detail}") from None
        return True

    def push_new_branch(self, repo: git.Repo, branch: str, before_push: Hook | None) -> None:
        """Push HEAD as a new branch; an existing branch with other commits is an error."""
        if before_push is not None:
            before_push(self.workdir)
        if not self.push(repo, f"HEAD:refs/heads/{branch}"):
            raise CompatError(
                f"pushing {branch} was rejected: the branch already exists in "
                f"{self.redact(self.repo_url)} with other commits; delete it or merge its PR"
            )

    def push_with_retry(
        self, repo: git.Repo, branch: str, target: PurePosixPath, before_push: Hook | None
    ) -> PushResult:
        """Push to `branch`, rebasing once if it moved (then maybe nothing is left to push).

        A second rejection is a CompatError: two publishers racing need a person to look.
        """
        for attempt in (1, 2):
            if before_push is not None:
                before_push(self.workdir)
            if self.push(repo, f"HEAD:refs/heads/{branch}"):
                return "pushed" if attempt == 1 else "pushed_after_rebase"
            if attempt == 2:
                break
            self.say(f"{branch} moved since the clone; rebasing and pushing again")
            self.rebase(repo, branch, target)
            with self.git_errors("comparing with the remote failed"):
                ahead = int(repo.git.rev_list("--count", f"origin/{branch}..HEAD"))
            if ahead == 0:
                # The commit that moved the branch already carried these exact bytes.
                self.say(UNCHANGED_MESSAGE)
                return "unchanged_after_rebase"
        raise CompatError(
            f"pushing to {branch} of {self.redact(self.repo_url)} was rejected again "
            "after rebasing onto the moved branch; nothing was published"
        )

    def rebase(self, repo: git.Repo, branch: str, target: PurePosixPath) -> None:
        import git

        try:
            repo.git.pull("--rebase", "origin", branch)
        except git.GitCommandError as exc:
            detail = git_error_text(exc, self.secrets)
            with self.git_errors("aborting the rebase failed"):
                if (Path(repo.git_dir) / "rebase-merge").exists() or (
                    Path(repo.git_dir) / "rebase-apply"
                ).exists():
                    repo.git.rebase("--abort")
            raise CompatError(
                f"{branch} of {self.redact(self.repo_url)} moved and the new {target} does not "
                f"rebase onto it cleanly ({detail}); publish again"
            ) from None


def _regression_check(
    old_bytes: bytes | None, new: Matrix, target: PurePosixPath, *, allow_regressions: bool
) -> MatrixDiff | None:
    """The diff against the published matrix; regressions (or no readable baseline) refuse."""
    if old_bytes is None:
        return None
    try:
        old, problems = check_matrix(json.loads(old_bytes))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        old, problems = None, [str(exc)]
    if old is None:
        if allow_regressions:
            return None
        raise CompatError(
            f"the published {target} is not a matrix this compat can read ({problems[0]}), so "
            "regressions cannot be checked; pass --allow-regressions to publish anyway"
        )
    diff = diff_matrices(old, new)
    if diff.has_regressions and not allow_regressions:
        listed = "; ".join(f"{c.feature} × {c.provider}" for c in diff.regressions)
        raise CompatError(
            f"refusing to publish: {summary(diff)} against the published matrix "
            f"({listed}); pass --allow-regressions to publish anyway"
        )
    return diff


def publish_matrix(
    matrix: Path | bytes,
    *,
    repo_url: str,
    branch: str = DEFAULT_BRANCH,
    target_path: str = DEFAULT_TARGET,
    token: str | None = None,
    open_pr: bool = False,
    pr_repo: str | None = None,
    github_api: str = GITHUB_API,
    allow_regressions: bool = False,
    allow_emulated: bool = False,
    dry_run: bool = False,
    after_clone: Hook | None = None,
    before_push: Hook | None = None,
    note: Note = lambda _line: None,
) -> PublishOutcome:
    """Commit the matrix as `target_path` of `repo_url` and push it (or open a PR branch).

    `token` defaults to $DOCS_REPO_TOKEN; it goes only into the https remote URL. `pr_repo`
    (`owner/name`) defaults to the repository of an https github.com URL. `after_clone` and
    `before_push` receive the clone's directory (e.g. for tests that move the remote).
    `note` receives each progress line, secrets removed.
    """
    data, parsed = load_matrix_bytes(matrix)
    if parsed.upstream == "emulated" and not allow_emulated:
        raise CompatError(
            "refusing to publish a matrix produced by the emulated upstream; pass "
            "--allow-emulated to publish it (it stays labelled `upstream: emulated`)"
        )
    target = _safe_target(target_path)
    token = os.environ.get(TOKEN_ENV) if token is None else token
    with tempfile.TemporaryDirectory(prefix="compat-publish-") as tmp:
        publisher = _Publisher(
            repo_url=repo_url, token=token, workdir=Path(tmp) / "docs", note=note
        )
        publisher.say(f"cloning {repo_url} (branch {branch})")
        repo = publisher.clone(branch)
        if after_clone is not None:
            after_clone(publisher.workdir)
        file = publisher.workdir / target
        if not file.resolve().is_relative_to(publisher.workdir.resolve()):
            # A symlinked directory in the docs repository must not redirect the write.
            raise CompatError(f"{target} resolves outside the docs repository; refusing to write")
        old_bytes = file.read_bytes() if file.is_file() else None
        if old_bytes == data:
            publisher.say(UNCHANGED_MESSAGE)
            return PublishOutcome(
                changed=False,
                pushed=False,
                dry_run=dry_run,
                branch=branch,
                message=UNCHANGED_MESSAGE,
            )
        diff = _regression_check(old_bytes, parsed, target, allow_regressions=allow_regressions)
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(data)
        publisher.stage_only(repo, target)
        push_branch = pr_branch_name(parsed) if open_pr else branch
        if dry_run:
            message = f"dry run: would commit {target} and push it to {push_branch}"
            publisher.say(message)
            return PublishOutcome(
                changed=True,
                pushed=False,
                dry_run=True,
                branch=push_branch,
                diff=diff,
                message=message,
            )
        with publisher.git_errors("committing the matrix failed"):
            repo.git.commit("-m", commit_message(parsed))
        if open_pr:
            result: PushResult = "pushed"
            publisher.push_new_branch(repo, push_branch, before_push)
        else:
            result = publisher.push_with_retry(repo, branch, target, before_push)
            if result == "unchanged_after_rebase":
                return PublishOutcome(
                    changed=False,
                    pushed=False,
                    branch=branch,
                    retried=True,
                    message=UNCHANGED_MESSAGE,
                )
        commit = repo.head.commit.hexsha
        message = f"pushed {commit[:12]} to {push_branch} of {repo_url}"
        publisher.say(message)
        pr_url = None
        repo_slug = pr_repo or github_repo_of(repo_url)
        if open_pr and token and repo_slug:
            pr_url = open_pull_request(
                api_url=github_api,
                repo=repo_slug,
                token=token,
                head=push_branch,
                base=branch,
                title=f"{COMMIT_TITLE} ({parsed.litellm_version} / {parsed.claude_code_version})",
                body=commit_message(parsed).split("\n\n", 1)[1],
            )
            publisher.say(f"opened {pr_url}")
        elif open_pr:
            publisher.say(f"open a pull request from {push_branch} into {branch} by hand")
        return PublishOutcome(
            changed=True,
            pushed=True,
            branch=push_branch,
            commit=commit,
            retried=result == "pushed_after_rebase",
            pull_request_url=pr_url,
            diff=diff,
            message=publisher.redact(message),
        )


def open_pull_request(
    *, api_url: str, repo: str, token: str, head: str, base: str, title: str, body: str
) -> str:
    """Open a pull request with GitHub's API; return its web URL."""
    from compat import http

    url = f"{api_url.rstrip('/')}/repos/{repo}/pulls"
    with http.client(token) as session:
        answer = http.send_json(
            session,
            "POST",
            url,
            what="the created pull request",
            body={"title": title, "head": head, "base": base, "body": body},
        )
    try:
        return _PullRequest.model_validate(answer.data).html_url
    except ValidationError as exc:
        raise CompatError(
            f"POST {http.shown(url)}: expected the created pull request (html_url, number): "
            f"{'; '.join(validation_problems(exc))}"
        ) from None
