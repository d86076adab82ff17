# Entry points a newcomer needs: `make matrix` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# The Claude Code release `make matrix` and the test suite drive (from the npm registry).
CLAUDE_CODE_VERSION ?= 2.1.329

.PHONY: install test lint litellm claude deps system matrix sample clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts

# The default LiteLLM release in compat's cache, so proxy tests never wait on pip.
litellm: $(STAMP)
	$(BIN)/compat install litellm

# Claude Code, pinned, in compat's cache (`compat run` finds the newest cached install).
claude: $(STAMP)
	$(BIN)/compat install claude-code --version $(CLAUDE_CODE_VERSION)

deps: litellm claude

# Chromium, Docker (with a running daemon) and busybox-static for the page and docker tests.
system:
	bash scripts/system-deps.sh

test: lint system deps
	$(BIN)/pytest -q

# The main job on the embedded default: emulated upstreams, local LiteLLM, every cell.
# Leaves out/compat-results.json, out/compatibility-matrix.json and out/index.html.
matrix: deps
	$(BIN)/compat run --build --out out \
		--claude "$$($(BIN)/compat install claude-code --version $(CLAUDE_CODE_VERSION))"
	@echo "page: $(abspath out/index.html)"

clean:
	rm -rf $(VENV) out

# The shipped results sample through `compat build` and `compat render`, in seconds.
sample: $(STAMP)
	$(BIN)/compat build --manifest manifest.yaml --results tests/fixtures/sample-results.json \
		--out out/sample/compatibility-matrix.json
	$(BIN)/compat render out/sample/compatibility-matrix.json \
		--results tests/fixtures/sample-results.json --out out/sample
