"""One package per vendor: translation only, never state."""

from __future__ import annotations


def registry() -> dict:
    """Every vendor the sandbox can serve, by name."""
    from sandbox.vendors import bindbee, kombo, merge, truto

    return {"merge": merge.vendor(), "kombo": kombo.vendor(), "truto": truto.vendor(), "bindbee": bindbee.vendor()}
