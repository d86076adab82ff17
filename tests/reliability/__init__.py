"""Fault suite: compat on the real chain (claude, LiteLLM, the emulator) under faults."""
