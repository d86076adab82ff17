# compat with a pinned Claude Code CLI; the entrypoint is `compat`.
#   docker build --build-arg CLAUDE_CODE_VERSION="$(compat resolve claude-code --min-age 3d)" -t compat .
#   docker run --rm compat resolve litellm

# Node 20 comes from the official image: Debian bookworm's own nodejs is 18.
FROM node:20-bookworm-slim AS node

FROM python:3.11-slim-bookworm

ARG CLAUDE_CODE_VERSION

COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=node /usr/local/lib/node_modules /usr/local/lib/node_modules
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
    && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
    && node --version && npm --version

# git: `compat publish` clones and pushes the docs repository.
RUN apt-get update \
    && apt-get install -y --no-install-recommends git ca-certificates \
    && rm -rf /var/lib/apt/lists/*

RUN test -n "$CLAUDE_CODE_VERSION" \
        || { echo "set --build-arg CLAUDE_CODE_VERSION=<version>" >&2; exit 1; } \
    && npm install --global --no-fund --no-audit "@anthropic-ai/claude-code@${CLAUDE_CODE_VERSION}" \
    && npm cache clean --force

WORKDIR /opt/compat
# The same locks as `make install`: uv pinned by hash, then exactly what uv.lock holds
# (without the dev tools), then compat itself without letting it resolve anything anew.
COPY requirements/uv.txt requirements/uv.txt
RUN pip install --no-cache-dir --require-hashes -r requirements/uv.txt
COPY pyproject.toml uv.lock README.md manifest.yaml ./
COPY src ./src
RUN uv export --frozen --no-dev --no-emit-project --format requirements-txt \
        -o /tmp/requirements.txt \
    && uv pip install --system --no-cache --require-hashes -r /tmp/requirements.txt \
    && uv pip install --system --no-cache --no-deps . \
    && rm /tmp/requirements.txt && compat --version

ENV COMPAT_MANIFEST=/opt/compat/manifest.yaml \
    CLAUDE_CODE_VERSION=${CLAUDE_CODE_VERSION}
WORKDIR /work
ENTRYPOINT ["compat"]
CMD ["--help"]
