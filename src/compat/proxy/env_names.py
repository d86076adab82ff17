"""Environment variable names the proxy config reads; compat sets or checks them per mode."""

from __future__ import annotations

# Endpoints. compat sets these itself: the emulator's URL, or the real service's default in
# live mode unless the user already set one (e.g. a corporate gateway).
ANTHROPIC_API_BASE = "COMPAT_ANTHROPIC_API_BASE"
BEDROCK_RUNTIME_ENDPOINT = "COMPAT_BEDROCK_RUNTIME_ENDPOINT"
VERTEX_API_BASE = "COMPAT_VERTEX_API_BASE"
AZURE_FOUNDRY_API_BASE = "AZURE_FOUNDRY_API_BASE"
OPENAI_API_BASE = "COMPAT_OPENAI_API_BASE"
AZURE_OPENAI_API_BASE = "AZURE_OPENAI_API_BASE"
BEDROCK_MANTLE_API_BASE = "COMPAT_BEDROCK_MANTLE_API_BASE"

# Credentials and placement, under the names each provider's own tooling uses.
ANTHROPIC_API_KEY = "ANTHROPIC_API_KEY"
AWS_ACCESS_KEY_ID = "AWS_ACCESS_KEY_ID"
AWS_SECRET_ACCESS_KEY = "AWS_SECRET_ACCESS_KEY"
AWS_SESSION_TOKEN = "AWS_SESSION_TOKEN"
AWS_REGION = "AWS_REGION"
AWS_BEARER_TOKEN_BEDROCK = "AWS_BEARER_TOKEN_BEDROCK"
VERTEXAI_PROJECT = "VERTEXAI_PROJECT"
VERTEXAI_LOCATION = "VERTEXAI_LOCATION"
GOOGLE_APPLICATION_CREDENTIALS = "GOOGLE_APPLICATION_CREDENTIALS"
AZURE_FOUNDRY_API_KEY = "AZURE_FOUNDRY_API_KEY"
OPENAI_API_KEY = "OPENAI_API_KEY"
AZURE_OPENAI_API_KEY = "AZURE_OPENAI_API_KEY"
AZURE_OPENAI_API_VERSION = "AZURE_OPENAI_API_VERSION"

# LiteLLM's pass-through routes (`/anthropic`, `/azure`, `/vertex_ai`) read their upstream
# from these fixed names, not from the model list:
# https://docs.litellm.ai/docs/pass_through/anthropic_completion,
# https://docs.litellm.ai/docs/pass_through/azure_passthrough,
# https://docs.litellm.ai/docs/pass_through/vertex_ai
PASSTHROUGH_ANTHROPIC_API_BASE = "ANTHROPIC_API_BASE"
AZURE_API_BASE = "AZURE_API_BASE"
AZURE_API_KEY = "AZURE_API_KEY"
DEFAULT_VERTEXAI_PROJECT = "DEFAULT_VERTEXAI_PROJECT"
DEFAULT_VERTEXAI_LOCATION = "DEFAULT_VERTEXAI_LOCATION"
DEFAULT_GOOGLE_APPLICATION_CREDENTIALS = "DEFAULT_GOOGLE_APPLICATION_CREDENTIALS"

# The Vertex pass-through always sends to Google's own hosts; offline, the proxy reaches
# them through the emulator's TLS front (compat.emulator.tls_front), as behind a
# corporate HTTPS proxy.
HTTPS_PROXY = "HTTPS_PROXY"
NO_PROXY = "NO_PROXY"
SSL_CERT_FILE = "SSL_CERT_FILE"

# The proxy's own admin key, generated per boot.
LITELLM_MASTER_KEY = "LITELLM_MASTER_KEY"
