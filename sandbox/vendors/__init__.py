"""One package per vendor: translation only, never state."""

from __future__ import annotations


def registry() -> dict:
    """Every vendor the sandbox can serve, by name."""
    from sandbox.vendors import kombo, merge

    return {"merge": merge.vendor(), "kombo": kombo.vendor()}
