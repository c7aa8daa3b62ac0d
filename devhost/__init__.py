"""devhost: a local host for v2-model Python Durable Functions apps (see devhost/README.md)."""
