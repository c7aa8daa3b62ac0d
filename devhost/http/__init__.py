"""devhost's HTTP surface: function triggers, the Durable HTTP API, admin endpoints."""
