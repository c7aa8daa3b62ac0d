"""The operator console: server-rendered pages under `/ui/` (see `console.routes`)."""
