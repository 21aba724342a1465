"""Every credential the sandbox accepts, and what it points at."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from sandbox.fixtures import Credential, Fixtures


@dataclass(frozen=True)
class Account:
    """Who is asking: a vendor credential, and the world it points at."""

    credential: Credential
    world: str | None  # None for calls that need only an API key
    platform: str | None

    @functools.cached_property
    def key(self) -> str:
        """This credential's name in the rate-limit counters."""
        c = self.credential
        return f"{c.vendor}:{sorted(c.values.items())}"


def how_to_send(bearer: str, headers: dict[str, str] | None = None, query: dict[str, str] | None = None):
    """A vendor's `describe`: its credential's `bearer` field as `Authorization: Bearer …`, and the
    other fields under the header and query names given (name -> field)."""
    def describe(credential: Credential) -> dict:
        v = credential.values
        return {"headers": {"Authorization": f"Bearer {v[bearer]}", **{h: v[f] for h, f in (headers or {}).items()}},
                "query": {q: v[f] for q, f in (query or {}).items()}}

    return describe


class Accounts:
    def __init__(self, fixtures: Fixtures, vendors: dict):
        self.fixtures = fixtures
        self.vendors = vendors  # name -> sandbox.http.vendor.Vendor
        self.worlds = {w.key: w for w in fixtures.worlds}
        self._index: dict[tuple, Credential] = {}
        self._keys: dict[tuple[str, str], set[str]] = {}
        self._accounts: dict[tuple, Account] = {}
        for c in fixtures.credentials:
            self._index[(c.vendor, *sorted(c.values.items()))] = c
            for field, value in c.values.items():
                self._keys.setdefault((c.vendor, field), set()).add(value)

    def by_id(self, credential_id: str) -> Credential | None:
        return next((c for c in self.fixtures.credentials if c.id == credential_id), None)

    def find(self, vendor: str, **values: str) -> Credential | None:
        return self._index.get((vendor, *sorted(values.items())))

    def account(self, credential: Credential, key_only: bool = False) -> Account:
        """The one Account of a credential (made once: authentication runs on every request)."""
        cached = self._accounts.get((id(credential), key_only))
        if cached is None:
            world = None if key_only else credential.world
            cached = Account(credential, world, self.worlds[world].platform if world else None)
            cached.key  # noqa: B018 - computed now, not on a request
            self._accounts[(id(credential), key_only)] = cached
        return cached

    def known(self, vendor: str, field: str, value: str) -> bool:
        """Whether any credential of `vendor` has this value for `field` (an API key, say)."""
        return value in self._keys.get((vendor, field), ())

    def listing(self, state=lambda credential: credential.state) -> list[dict]:
        """Every served credential: its id, vendor, world, base URL, what to send, and its state."""
        out = []
        for c in self.fixtures.credentials:
            if c.vendor not in self.vendors:
                continue
            world = self.worlds[c.world]
            vendor = self.vendors[c.vendor]
            out.append({"id": c.id, "vendor": c.vendor, "world": c.world, "company": world.company,
                        "platform": world.platform, "base_url": vendor.mount, **vendor.describe(c), "state": state(c),
                        "interviews": vendor.interview_operations(world.platform)})
        return out

