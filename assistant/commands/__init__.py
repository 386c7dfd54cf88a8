"""Command implementations the CLI wires up (kept out of ``assistant.cli`` to stay testable)."""
