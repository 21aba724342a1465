"""Connection states: each credential is `healthy` unless the fixtures or a test say otherwise.
Kept in the store, so every worker sees a change at once; `reset` returns to the fixtures'."""

from __future__ import annotations

STATES = ("healthy", "initial_sync", "relink_needed", "paused", "deleted")
KEY = "connections"
EMPTY = "empty"  # a state's effect: lists answer empty and gets find nothing (a first sync still running)


class Connections:
    def __init__(self, store, credentials):
        self.store = store
        self.start = {c.id: c.state for c in credentials}

    def state(self, credential) -> str:
        changed = self.store.state(KEY)
        return changed.get(credential.id, credential.state) if changed else credential.state

    def set(self, credential_id: str, state: str) -> None:
        if state not in STATES:
            raise ValueError(f"unknown state {state!r}; one of {', '.join(STATES)}")
        if credential_id not in self.start:
            raise KeyError(credential_id)
        self.store.update_state(KEY, lambda changed: {**(changed or {}), credential_id: state})
