# compat with the Claude Code CLI it drives and its default LiteLLM release, ready to run the
# main job inside the container. Debian bookworm, whose Python (3.11) is what the locks are
# compiled for. Here, on the debootstrapped base (no registry needed):
#   make image
# Anywhere a registry answers:
#   docker build --build-arg CLAUDE_CODE_VERSION=2.1.329 -t compat .
#   docker run --rm compat compat --version
#   docker run --rm compat compat run -f basic_messaging_streaming -p anthropic
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}

# git: `compat publish` clones and pushes the docs repository. npm installs Claude Code
# (a native binary; Debian's Node.js only runs its installer).
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        python3 python3-venv git ca-certificates npm \
    && rm -rf /var/lib/apt/lists/*

# build-ca.cr[t]: present only when the builder adds it (the glob lets it be absent).
COPY docker/with-build-ca.sh requirements/uv.txt build-ca.cr[t] /tmp/compat-build/

# The same locks as `make install`: uv pinned by hash, then exactly what uv.lock holds
# (without the dev tools), then compat itself without letting it resolve anything anew.
RUN python3 -m venv /opt/compat/venv \
    && /tmp/compat-build/with-build-ca.sh /opt/compat/venv/bin/pip install --no-cache-dir \
        --disable-pip-version-check --require-hashes -r /tmp/compat-build/uv.txt
ENV PATH=/opt/compat/venv/bin:$PATH \
    VIRTUAL_ENV=/opt/compat/venv \
    UV_PYTHON_DOWNLOADS=never
WORKDIR /opt/compat
COPY pyproject.toml uv.lock ./
RUN uv export --frozen --no-dev --no-emit-project --format requirements-txt \
        -o /tmp/compat-build/requirements.txt \
    && /tmp/compat-build/with-build-ca.sh uv pip install --no-cache --require-hashes \
        -r /tmp/compat-build/requirements.txt
COPY README.md manifest.yaml known_issues.yaml proxy_config.yaml ./
COPY src ./src
RUN /tmp/compat-build/with-build-ca.sh uv pip install --no-cache --no-deps . && compat --version

# What the embedded default needs, in compat's cache: the pinned Claude Code, what it sends
# in its own modes (the emulator's client evidence) and the default LiteLLM release's venv.
ARG CLAUDE_CODE_VERSION=2.1.329
RUN /tmp/compat-build/with-build-ca.sh compat install claude-code --version "$CLAUDE_CODE_VERSION" \
    && /tmp/compat-build/with-build-ca.sh compat install litellm \
    && compat oracle --claude-code-version "$CLAUDE_CODE_VERSION" > /dev/null \
    && rm -rf /root/.npm /root/.cache/uv /tmp/compat-build

ENV CLAUDE_CODE_VERSION=${CLAUDE_CODE_VERSION}
CMD ["compat", "--help"]
