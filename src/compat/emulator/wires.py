"""Every provider wire the emulator serves, and which one a request path belongs to."""

from __future__ import annotations

from compat.emulator.anthropic import ANTHROPIC
from compat.emulator.azure import AZURE
from compat.emulator.azure_openai import AZURE_OPENAI
from compat.emulator.bedrock import BEDROCK
from compat.emulator.bedrock_mantle import BEDROCK_MANTLE
from compat.emulator.control import CONTROL_PREFIX
from compat.emulator.openai_api import OPENAI
from compat.emulator.types import ProviderId
from compat.emulator.vertex import VERTEX
from compat.emulator.wire import Wire

WIRES: tuple[Wire, ...] = (
    ANTHROPIC,
    AZURE,
    VERTEX,
    BEDROCK,
    OPENAI,
    AZURE_OPENAI,
    BEDROCK_MANTLE,
)


def wire_for_path(path: str) -> Wire:
    """The wire owning the longest prefix of `path`; the Anthropic API owns what is left."""
    found, longest = ANTHROPIC, -1
    for wire in WIRES:
        for prefix in wire.prefixes:
            if len(prefix) > longest and path.startswith(prefix):
                found, longest = wire, len(prefix)
    return found


def provider_for_path(path: str) -> ProviderId | None:
    """Which provider's wire a request path belongs to, or None for control paths."""
    if path.startswith(CONTROL_PREFIX):
        return None
    return wire_for_path(path).provider_for(path)
