"""One package per vendor: declarations and translation only, never state. Adding a vendor is one
package that exports `VENDOR` (a `sandbox.http.vendor.Vendor`) and one name here."""

from __future__ import annotations

import importlib
from pathlib import Path

from sandbox import fixtures

NAMES = ("merge", "kombo", "truto", "bindbee")


def registry() -> dict:
    """Every vendor the sandbox can serve, by name."""
    return {name: importlib.import_module(f"sandbox.vendors.{name}").VENDOR for name in NAMES}


def credential_fields(vendors: dict | None = None) -> dict[str, tuple[str, ...]]:
    """What each vendor's credentials carry, for the fixtures to check."""
    return {name: v.credential_fields for name, v in (vendors or registry()).items()}


def load_fixtures(directory: Path, seed: str | None = None) -> fixtures.Fixtures:
    """The fixtures in `directory`, their credentials checked against the shipped vendors'."""
    return fixtures.load(directory, credential_fields(), seed)
