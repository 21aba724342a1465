"""Sync cadences: what a vendor sees of a world, and when.

A credential with a `sync_interval` sees an upstream change only after its next sync: the syncs
fall every interval from the fixtures' epoch (INFERRED: an anchor is needed and no vendor names
one), or when one is forced. Its reads are of the world as of its last sync (its *horizon*).
Writes made through any vendor are seen at once. A test can fix the outcome of the next sync, which
the vendors' sync statuses report.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sandbox.world.model import from_micros, micros

KEY = "syncs"
OUTCOMES = ("succeeded", "partially_failed", "failed", "authentication_failed")


class Syncs:
    def __init__(self, store, clock, anchor: datetime):
        self.store, self.clock, self.anchor = store, clock, micros(anchor)

    def _doc(self, credential) -> dict:
        return (self.store.state(KEY) or {}).get(credential.id, {})

    def horizon(self, credential) -> int | None:
        """The instant (µs) of the credential's last sync, or None when it sees every change at once."""
        if not credential.sync_interval:
            return None
        return self.last(credential, micros(self.clock.now()))

    def last(self, credential, now: int) -> int:
        every = credential.sync_interval // timedelta(microseconds=1)
        periodic = self.anchor + (now - self.anchor) // every * every if every else now
        return max(periodic, self._doc(credential).get("forced_us", self.anchor))

    def latest(self, credential) -> int | None:
        """The instant (µs) of the credential's latest sync so far, periodic or forced; None for one
        that sees changes at once and was never made to sync."""
        forced = self._doc(credential).get("forced_us")
        if credential.sync_interval:
            return self.last(credential, micros(self.clock.now()))
        return forced

    def _next_periodic(self, credential, after: int) -> int | None:
        every = credential.sync_interval // timedelta(microseconds=1)
        return self.anchor + ((after - self.anchor) // every + 1) * every if every else None

    def status(self, credential) -> dict:
        """The last and next sync, and the last one's outcome: a fixed outcome is the outcome of the
        first sync after it was fixed; the syncs after that one succeed again."""
        now = micros(self.clock.now())
        doc = self._doc(credential)
        # one that sees changes at once syncs all the time: its last sync is now, or the one forced
        last = self.last(credential, now) if credential.sync_interval else doc.get("forced_us", now)
        outcome = doc.get("outcome", "succeeded")
        if "fixed_us" in doc:
            firsts = [t for t in (self._next_periodic(credential, doc["fixed_us"]), doc.get("forced_after_fix_us"))
                      if t is not None]
            first = min(firsts) if firsts else None
            if first is not None and last >= first:
                outcome = doc["next_outcome"] if last == first else "succeeded"
        nxt = self._next_periodic(credential, now)
        return {"last_sync": from_micros(last), "next_sync": from_micros(nxt if nxt is not None else now),
                "outcome": outcome}

    def force(self, credential) -> bool:
        """A sync now. Returns whether one was already queued (one forced at this very instant)."""
        now = micros(self.clock.now())
        queued = {}

        def change(doc):
            doc = dict(doc or {})
            mine = dict(doc.get(credential.id, {}))
            queued["already"] = mine.get("forced_us") == now
            mine["forced_us"] = now
            if "fixed_us" in mine and "forced_after_fix_us" not in mine:  # the first sync after a fixed outcome
                mine["forced_after_fix_us"] = now
            doc[credential.id] = mine
            return doc

        self.store.update_state(KEY, change)
        return queued["already"]

    def fix_next(self, credential, outcome: str) -> None:
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}; one of {', '.join(OUTCOMES)}")
        now = micros(self.clock.now())
        current = self.status(credential)["outcome"]

        def change(doc):
            doc = dict(doc or {})
            mine = {k: v for k, v in doc.get(credential.id, {}).items() if k != "forced_after_fix_us"}
            doc[credential.id] = {**mine, "outcome": current, "next_outcome": outcome, "fixed_us": now}
            return doc

        self.store.update_state(KEY, change)
