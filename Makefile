# Entry points a newcomer needs: `make matrix` and `make test`.
# Everything Python installs from locks: uv itself from requirements/uv.txt (hash-checked),
# compat and its dev tools from uv.lock. `make lock` refreshes uv.lock after a change to
# pyproject.toml; `make lock-tools` refreshes the pinned uv.
PYTHON ?= python3
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# uv must use the interpreter it is given, never download one (only package registries
# are reachable on CI).
export UV_PYTHON_DOWNLOADS := never

# The Claude Code release `make matrix` and the test suite drive (from the npm registry).
CLAUDE_CODE_VERSION ?= 2.1.329

.PHONY: install lock lock-tools test lint lint-workflows litellm claude deps system matrix \
	sample clean

$(UV): requirements/uv.txt
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check --require-hashes \
		-r requirements/uv.txt
	touch $(UV)

$(STAMP): $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen --extra dev --python $(PYTHON)
	touch $(STAMP)

install: $(STAMP)

lock: $(UV)
	$(UV) lock --python $(PYTHON)

lock-tools: $(UV)
	$(UV) pip compile requirements/uv.in --generate-hashes --python-version 3.11 \
		-o requirements/uv.txt

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts

# The workflows hold the docs-repo token and every provider's credentials: no high or
# medium finding from zizmor, and valid against GitHub's workflow schema (both offline).
lint-workflows: $(STAMP)
	$(BIN)/zizmor --offline --min-severity medium .github/workflows/
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml

# The default LiteLLM release in compat's cache, so proxy tests never wait on an install.
litellm: $(STAMP)
	$(BIN)/compat install litellm

# Claude Code, pinned, in compat's cache (`compat run` finds the newest cached install).
claude: $(STAMP)
	$(BIN)/compat install claude-code --version $(CLAUDE_CODE_VERSION)

deps: litellm claude

# Chromium, Docker (with a running daemon) and busybox-static for the page and docker tests.
system:
	bash scripts/system-deps.sh

test: lint lint-workflows system deps
	$(BIN)/pytest -q

# The main job on the embedded default: emulated upstreams, local LiteLLM, every cell.
# Leaves out/compat-results.json, out/compatibility-matrix.json and out/index.html.
matrix: deps
	$(BIN)/compat run --build --out out \
		--claude "$$($(BIN)/compat install claude-code --version $(CLAUDE_CODE_VERSION))"
	@echo "page: $(abspath out/index.html)"

clean:
	rm -rf $(VENV) $(TOOLS) out

# The shipped results sample through `compat build` and `compat render`, in seconds.
sample: $(STAMP)
	$(BIN)/compat build --manifest manifest.yaml --results tests/fixtures/sample-results.json \
		--out out/sample/compatibility-matrix.json
	$(BIN)/compat render out/sample/compatibility-matrix.json \
		--results tests/fixtures/sample-results.json --out out/sample
