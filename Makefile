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

.PHONY: install lock lock-tools lock-litellm bump-litellm docs test lint lint-workflows litellm claude deps images \
	system matrix sample clean

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

# The hash-pinned dependencies compat installs for a LiteLLM release (default: the one under
# test by default); releases without such a file resolve as of a day after their release.
LITELLM_VERSION ?= $(shell $(PYTHON) -c "import re,sys; print(re.search(r'DEFAULT_LITELLM_VERSION = \"(.+?)\"', open('src/compat/proxy/venv.py').read())[1])")
lock-litellm: $(STAMP)
	echo 'litellm[proxy,google]==$(LITELLM_VERSION)' | $(BIN)/uv pip compile - --universal \
		--python-version 3.11 --generate-hashes --no-header --quiet \
		-o src/compat/proxy/locks/litellm-$(LITELLM_VERSION).txt
	sed -i '1i # LiteLLM $(LITELLM_VERSION) as compat installs it: every package pinned with its hashes.\n# Refresh: make lock-litellm LITELLM_VERSION=$(LITELLM_VERSION)' \
		src/compat/proxy/locks/litellm-$(LITELLM_VERSION).txt

# Move the default release to the newest installable one on PyPI: lock it, then point
# DEFAULT_LITELLM_VERSION at it. Compare the grid at both releases before committing.
bump-litellm: $(STAMP)
	version="$$($(BIN)/compat resolve litellm --source pypi)" && \
	$(MAKE) lock-litellm LITELLM_VERSION="$$version" && \
	sed -i "s/^DEFAULT_LITELLM_VERSION = \".*\"/DEFAULT_LITELLM_VERSION = \"$$version\"/" \
		src/compat/proxy/venv.py

# Documents generated from the code (a test fails when one is stale).
docs: $(STAMP)
	$(BIN)/python -c "from compat.emulator.rules import rules_markdown as md; print(md(), end='')" \
		> docs/emulator-rules.md

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

# Claude Code, pinned, in compat's cache (`compat run` finds the newest cached install),
# with what it sends to each platform captured once (the emulator's client evidence).
claude: $(STAMP)
	$(BIN)/compat install claude-code --version $(CLAUDE_CODE_VERSION)
	$(BIN)/compat oracle --claude-code-version $(CLAUDE_CODE_VERSION) > /dev/null

deps: litellm claude

# The docker runtime's LiteLLM image and compat's own image. No registry serves them here, so
# both are built on a Debian base debootstrapped once (`compat-debian:bookworm`); the daemon
# keeps them, so a second run only checks they are there. Each step prints its time.
images: $(STAMP)
	$(BIN)/compat install litellm --runtime docker
	$(BIN)/compat install image --tag compat:local --claude-code-version $(CLAUDE_CODE_VERSION)

# Chromium, Docker (with a running daemon), debootstrap and busybox-static for the page and
# docker tests.
system:
	bash scripts/system-deps.sh

test: lint lint-workflows system deps images
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
