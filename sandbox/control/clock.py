"""The sandbox clock: one for the whole server, kept in the store. Real time by default; a test can
set it, move it on, or freeze it. Every timestamp the sandbox writes comes from it."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from sandbox.world.model import from_micros, micros

KEY = "clock"
_DURATION = re.compile(r"P(?:(?P<weeks>\d+(?:\.\d+)?)W)?(?:(?P<days>\d+(?:\.\d+)?)D)?"
                       r"(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?")


def duration(text: str) -> timedelta:
    """An ISO 8601 duration of weeks, days, hours, minutes and seconds (`PT2H`, `P1DT30M`, `P2W`).
    Years and months have no fixed length, so they are refused."""
    match = _DURATION.fullmatch(text.strip().upper()) if isinstance(text, str) else None
    if match is None or text.strip().upper() in ("P", "PT") or text.strip().upper().endswith("T"):
        raise ValueError(f"{text!r} is not an ISO 8601 duration of weeks, days, hours, minutes or seconds "
                         "(like PT2H or P1DT30M)")
    return timedelta(**{k: float(v) for k, v in match.groupdict().items() if v})


class Clock:
    def __init__(self, store, start: datetime | None = None):
        self.store = store
        self.start = start  # the instant a (re)started sandbox is frozen at; None: real time

    def _real(self) -> datetime:
        return datetime.now(timezone.utc)

    def _state(self) -> dict:
        return self.store.state(KEY) or {"frozen_us": None, "offset_us": 0}

    def now(self) -> datetime:
        state = self._state()
        if state["frozen_us"] is not None:
            return from_micros(state["frozen_us"])
        return self._real() + timedelta(microseconds=state["offset_us"])

    def describe(self) -> dict:
        state = self._state()
        return {"now": self.now().isoformat().replace("+00:00", "Z"), "frozen": state["frozen_us"] is not None}

    def reset(self) -> None:
        self.store.set_state(KEY, {"frozen_us": micros(self.start) if self.start else None, "offset_us": 0})

    def set(self, when: datetime) -> None:
        def change(state):
            if state["frozen_us"] is not None:
                return {**state, "frozen_us": micros(when)}
            return {**state, "offset_us": micros(when) - micros(self._real())}

        self._update(change)

    def advance(self, by: timedelta) -> tuple[datetime, datetime]:
        """Move the clock on by `by`; returns (before, after)."""
        moved = {}

        def change(state):
            step = by // timedelta(microseconds=1)
            before = state["frozen_us"] if state["frozen_us"] is not None else micros(self._real()) + state["offset_us"]
            moved["span"] = (from_micros(before), from_micros(before + step))
            if state["frozen_us"] is not None:
                return {**state, "frozen_us": state["frozen_us"] + step}
            return {**state, "offset_us": state["offset_us"] + step}

        self._update(change)
        return moved["span"]

    def freeze(self, frozen: bool) -> None:
        def change(state):
            if frozen and state["frozen_us"] is None:
                return {"frozen_us": micros(self._real()) + state["offset_us"], "offset_us": 0}
            if not frozen and state["frozen_us"] is not None:
                return {"frozen_us": None, "offset_us": state["frozen_us"] - micros(self._real())}
            return state

        self._update(change)

    def _update(self, change) -> None:
        self.store.update_state(KEY, lambda state: change(state or {"frozen_us": None, "offset_us": 0}))
