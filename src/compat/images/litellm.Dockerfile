# LiteLLM's proxy as compat builds it where ghcr.io/berriai/litellm cannot be pulled: the
# release's hash-pinned lock (the same one the local venvs install) on Debian's Python.
# Like LiteLLM's own image: the proxy and Google extras (Vertex AI's google-cloud-aiplatform
# among them), `litellm` as the entrypoint, port 4000, running as root.
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}

RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        python3 python3-venv ca-certificates \
    && rm -rf /var/lib/apt/lists/*

# build-ca.crt: the building machine's trust bundle, for the downloads of this build only.
COPY build-ca.crt /tmp/compat-build/build-ca.crt
COPY compat-lock.txt /opt/litellm/compat-lock.txt
RUN python3 -m venv /opt/litellm \
    && PIP_CERT=/tmp/compat-build/build-ca.crt /opt/litellm/bin/pip install --no-cache-dir \
        --disable-pip-version-check --require-hashes --no-deps -r /opt/litellm/compat-lock.txt \
    && /opt/litellm/bin/pip freeze --all > /opt/litellm/compat-freeze.txt \
    && /opt/litellm/bin/litellm --version

ENV PATH=/opt/litellm/bin:$PATH
WORKDIR /app
EXPOSE 4000/tcp
ENTRYPOINT ["litellm"]
CMD ["--port", "4000"]
