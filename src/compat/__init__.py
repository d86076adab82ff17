"""compat: which Claude Code features work through a LiteLLM proxy, per provider and tier."""

__version__ = "0.1.0"
