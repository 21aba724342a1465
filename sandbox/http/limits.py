"""The limits a vendor declares (`Vendor.rate_limit`, `.concurrency`, `.failure_limit`), and how a
request is counted against them: per credential or client address, across every worker, in the store."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from sandbox.accounts import Account
from sandbox.fixtures import Credential
from sandbox.http import errors


@dataclass(frozen=True)
class Quota:
    limit: int
    remaining: int
    reset: int  # seconds until the window starts again
    window: int  # its length in seconds

    @property
    def exceeded(self) -> bool:
        return self.remaining < 0


@dataclass(frozen=True)
class RateLimit:
    """Requests per `seconds` per credential. The number is the credential's `rate_limit` in the
    fixtures, else `--rate-limit`, else the documented one (`limit`, or by the credential's `plan`);
    a vendor that publishes none (`limit` None) counts only when one is configured. `headers` tell a
    client where it stands: while nothing counts, an injected 429's show `shown` (the vendor's docs'
    example), and a vendor that always sends them (`always`) shows it, unspent, on every answer."""

    seconds: int
    headers: Callable[[Quota], dict]
    limit: int | None = None
    plans: dict[str, int] = field(default_factory=dict)
    refused_headers: Callable[[Quota], dict] = lambda quota: {"Retry-After": str(quota.reset)}
    retry_after: bool = True  # whether its 429 says when to retry (an injected one says: in a second)
    message: str = "Rate limit exceeded"
    shown: int | None = None
    always: bool = False

    def limit_of(self, credential: Credential, configured: int | None) -> int | None:
        return credential.rate_limit or configured or self.plans.get(credential.plan) or self.limit

    def count(self, store, account: Account, configured: int | None) -> Quota | None:
        """This request counted against its credential's limit: where it stands after (a vendor that
        always shows its limit, with nothing counting: its documented one, unspent), or None."""
        now = time.time()
        limit = self.limit_of(account.credential, configured)
        if limit is None:  # nothing counts: the vendor publishes no number and none was configured
            return Quota(self.shown, self.shown, self.seconds - int(now) % self.seconds, self.seconds) \
                if self.always else None
        end = window_end(self.seconds, now)
        used = store.count(account.key, end)
        return Quota(limit, limit - used, end - int(now), self.seconds)


@dataclass(frozen=True)
class Concurrency:
    """At most `limit` requests of `methods` in flight per credential, across every worker."""

    limit: int
    methods: frozenset[str]
    refused: Callable[[], errors.ApiError]
    headers: Callable[[int], dict]  # (requests the credential may still start) -> headers

    def admit(self, store, credential: Credential) -> tuple[str, dict]:
        """This request in flight: the key its end takes it off by, and its headers; or the refusal."""
        key = f"in-flight:{credential.id}"
        running = store.tally(key, 1)
        if running > self.limit:
            store.tally(key, -1)
            error = self.refused()
            error.headers = {**error.headers, **self.headers(0)}
            raise error
        return key, self.headers(self.limit - running)


@dataclass(frozen=True)
class FailureLimit:
    """More than `failures` failed answers (4xx/5xx but 429) to one client address in `seconds`, and
    it is refused for the rest of the window (on with `--failure-limit`)."""

    failures: int
    seconds: int
    refused: Callable[[], errors.ApiError]

    def key(self, vendor: str, address: str | None) -> str:
        return f"failures:{vendor}:{address}"

    def refuse_past(self, store, vendor: str, address: str | None) -> None:
        if store.count(self.key(vendor, address), window_end(self.seconds), 0) > self.failures:
            raise self.refused()

    def count(self, store, vendor: str, address: str | None) -> None:
        store.count(self.key(vendor, address), window_end(self.seconds))


def window_end(seconds: int, now: float | None = None) -> int:
    """The end (unix seconds) of the fixed window of `seconds` that holds `now`."""
    return (int(time.time() if now is None else now) // seconds + 1) * seconds
