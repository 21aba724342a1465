"""The sandbox clock: the real time, or a frozen instant a test sets."""

from __future__ import annotations

from datetime import datetime, timezone


class Clock:
    def __init__(self, frozen: datetime | None = None):
        self.frozen = frozen

    def now(self) -> datetime:
        return self.frozen or datetime.now(timezone.utc)
