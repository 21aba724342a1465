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

    def status(self, credential) -> dict:
        """The last and next sync, and the last one's outcome."""
        now = micros(self.clock.now())
        doc, last = self._doc(credential), self.last(credential, now)
        every = credential.sync_interval // timedelta(microseconds=1)
        nxt = self.anchor + ((now - self.anchor) // every + 1) * every if every else now
        # a fixed outcome applies to the first sync after it was fixed
        outcome = doc.get("next_outcome", "succeeded") if last > doc.get("fixed_us", now) else doc.get(
            "outcome", "succeeded")
        return {"last_sync": from_micros(last), "next_sync": from_micros(nxt), "outcome": outcome}

    def force(self, credential) -> bool:
        """A sync now. Returns whether one was already queued (one forced at this very instant)."""
        now = micros(self.clock.now())
        queued = {}

        def change(doc):
            doc = dict(doc or {})
            mine = dict(doc.get(credential.id, {}))
            queued["already"] = mine.get("forced_us") == now
            mine["forced_us"] = now
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
            doc[credential.id] = {**doc.get(credential.id, {}), "outcome": current, "next_outcome": outcome,
                                  "fixed_us": now}
            return doc

        self.store.update_state(KEY, change)
