"""Docker images compat builds itself: a debootstrapped Debian base, LiteLLM's, compat's."""
