"""Input files read into pydantic models (one readable message per problem); atomic writes."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from compat.errors import CompatError, InputError

# libyaml's C loader when the wheel has it: ~10x faster on large files.
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

ModelT = TypeVar("ModelT", bound=BaseModel)
OUTCOME_TAGS = frozenset({"pass", "fail", "not_applicable", "not_tested"})
# libyaml builds nested nodes recursively in C: a few thousand `[` crash the interpreter
# (a segfault, not an exception), so deeper YAML is refused after a cheap event scan.
MAX_NESTING = 100


def location(loc: tuple[int | str, ...]) -> str:
    """Render a pydantic error location as `features[3].id`."""
    out = ""
    for index, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in OUTCOME_TAGS and index > 0 and isinstance(loc[index - 1], str):
            # A discriminated-union branch name right after its field is noise for the reader.
            continue
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _describe(error: dict[str, Any]) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    return error["msg"]


def validation_problems(exc: ValidationError) -> list[str]:
    """One `where: what` line per pydantic error."""
    return [f"{location(tuple(e['loc']))}: {_describe(dict(e))}" for e in exc.errors()]


def problems_error(path: Path, problems: list[str]) -> InputError:
    """A single InputError listing every problem found in `path`."""
    if len(problems) == 1:
        return InputError(f"{path}: {problems[0]}")
    listed = "\n".join(f"  - {p}" for p in problems)
    return InputError(f"{path}: {len(problems)} problems:\n{listed}")


def read_text(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: {what} not found") from None
    except IsADirectoryError:
        raise InputError(f"{path}: expected a {what} file, found a directory") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: {what} is not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read {what}: {exc.strerror}") from None


def _flow_depth_exceeds(text: str, limit: int) -> bool:
    """Whether `[`/`{` flow collections nest deeper than `limit`, outside quotes and comments.

    Hand-written because the check must come before any YAML library reads the text: the
    libraries disagree on where (and whether) they stop deep nesting themselves.
    """
    depth = 0
    quote = ""
    previous = "\n"
    index = 0
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\" and quote == '"':
                index += 1
            elif char == quote:
                quote = ""
        elif char in "\"'" and previous in " \t\n[{,:-?":
            # Only where a quoted scalar can start: an apostrophe inside a word is text.
            quote = char
        elif char == "#" and previous in " \t\n":
            newline = text.find("\n", index)
            index = len(text) if newline < 0 else newline
            previous = "\n"
            continue
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth = max(0, depth - 1)
        previous = char
        index += 1
    return False


def _check_nesting(text: str, path: Path, what: str) -> None:
    """Refuse documents nested deeper than any compat file is, before building them."""
    if _flow_depth_exceeds(text, MAX_NESTING):
        raise InputError(f"{path}: {what} is nested more than {MAX_NESTING} levels deep")
    depth = 0
    for event in yaml.parse(text, Loader=SafeLoader):
        if isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            depth += 1
            if depth > MAX_NESTING:
                raise InputError(f"{path}: {what} is nested more than {MAX_NESTING} levels deep")
        elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
            depth -= 1


def load_yaml(path: Path, what: str) -> Any:
    text = read_text(path, what)
    try:
        _check_nesting(text, path, what)
        return yaml.load(text, Loader=SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"{path}: invalid YAML{where}: {problem}") from None


def load_json(path: Path, what: str) -> Any:
    text = read_text(path, what)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{path}: {what} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except RecursionError:
        # json's C decoder gives up on arrays or objects nested ~1000 deep.
        raise InputError(f"{path}: {what} is nested too deeply to read") from None


def parse_model(model: type[ModelT], data: Any, path: Path, what: str) -> ModelT:
    """Validate `data` as `model`, turning every pydantic error into a line naming the entry."""
    if not isinstance(data, dict):
        found = "an empty file" if data is None else f"a {type(data).__name__}"
        raise InputError(f"{path}: expected a {what} mapping at the top level, found {found}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise problems_error(path, validation_problems(exc)) from None


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: Path, text: str) -> None:
    """Write via a temp file in the same directory and rename, so no reader sees half a file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise CompatError(f"{path}: cannot write: {exc.strerror or exc}") from None
    try:
        # mkstemp makes the file 0600; give it the mode a plain open() would have.
        os.fchmod(fd, 0o666 & ~_current_umask())
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise CompatError(f"{path}: cannot write: {exc.strerror or exc}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
