"""The HTTP API business applications and operators call (function-key auth but for probes)."""
