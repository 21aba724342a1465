"""Cursor codecs: how a vendor writes the position of a page, and reads it back.

A codec's `scope` names what the cursor pages over (vendor, world and kind): a cursor of another
integration, or of another endpoint, is refused as malformed."""

from __future__ import annotations

import base64
import binascii
import hashlib
from datetime import datetime
from typing import Callable, Protocol
from urllib.parse import parse_qs, urlencode

import orjson

from sandbox.http.paging import Page
from sandbox.world.model import from_micros, micros


class InvalidCursor(ValueError):
    pass


class Cursor(Protocol):
    def next(self, page: Page, scope: str) -> str | None: ...

    def previous(self, page: Page, scope: str) -> str | None: ...

    def decode(self, token: str, scope: str, created_us: Callable[[str], int | None]) -> tuple[int, bool]:
        """(position, reverse); `created_us(id)` finds a record's position, for codecs that name a
        record. Raises InvalidCursor."""


class DrfCursor:
    """Django REST Framework's cursor: base64 of `r=1&p=<str(created_at)>` (Merge's)."""

    def next(self, page: Page, scope: str) -> str | None:
        return None if page.next is None else self.encode(page.next)

    def previous(self, page: Page, scope: str) -> str | None:
        return None if page.previous is None else self.encode(page.previous, reverse=True)

    @staticmethod
    def encode(position: int, reverse: bool = False) -> str:
        pairs = ([("r", "1")] if reverse else []) + [("p", str(from_micros(position)))]
        return base64.b64encode(urlencode(pairs).encode()).decode()

    def decode(self, token: str, scope: str, created_us=None) -> tuple[int, bool]:
        try:
            query = base64.b64decode(token.encode("ascii"), validate=True).decode("ascii")
            parts = parse_qs(query, keep_blank_values=True, strict_parsing=True)
            if set(parts) - {"p", "r", "o"} or any(len(v) != 1 for v in parts.values()):
                raise InvalidCursor(token)
            if parts.get("o", ["0"])[0] != "0" or parts.get("r", ["1"])[0] != "1":
                raise InvalidCursor(token)
            position = datetime.fromisoformat(parts["p"][0])
            if position.tzinfo is None:
                raise InvalidCursor(token)
            return micros(position), "r" in parts
        except (ValueError, KeyError, UnicodeError, binascii.Error, OverflowError):
            raise InvalidCursor(token) from None


class ScopedCursor:
    """Opaque to clients: base64 of `{"after"|"before": position, "scope": …}`, bound to what it
    pages over. `backward` adds a previous-page cursor; `urlsafe` picks the alphabet."""

    def __init__(self, backward: bool = False, urlsafe: bool = False):
        self.backward = backward
        self.b64encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
        self.b64decode = base64.urlsafe_b64decode if urlsafe else lambda s: base64.b64decode(s, validate=True)

    @staticmethod
    def _tag(scope: str) -> str:
        return hashlib.sha256(scope.encode()).hexdigest()[:10]

    def next(self, page: Page, scope: str) -> str | None:
        return None if page.next is None else self._encode("after", page.next, scope)

    def previous(self, page: Page, scope: str) -> str | None:
        if not self.backward or page.previous is None:
            return None
        return self._encode("before", page.previous, scope)

    def _encode(self, key: str, position: int, scope: str) -> str:
        return self.b64encode(orjson.dumps({key: position, "scope": self._tag(scope)})).decode()

    def decode(self, token: str, scope: str, created_us=None) -> tuple[int, bool]:
        try:
            data = orjson.loads(self.b64decode(token.encode("ascii")))
            if isinstance(data, dict) and data.get("scope") == self._tag(scope):
                reverse = self.backward and "before" in data
                position = data["before" if reverse else "after"]
                if isinstance(position, int) and not isinstance(position, bool):
                    return position, reverse
        except (ValueError, TypeError, KeyError, UnicodeError, binascii.Error, orjson.JSONDecodeError):
            pass
        raise InvalidCursor(token)


class LastIdCursor:
    """base64 of the last record's id, in the vendor's id style (Bindbee's)."""

    def __init__(self, to_vendor: Callable[[str], str], to_world: Callable[[str], str | None]):
        self.to_vendor, self.to_world = to_vendor, to_world

    def next(self, page: Page, scope: str) -> str | None:
        return None if page.next is None else base64.b64encode(self.to_vendor(page.rows[-1].id).encode()).decode()

    def previous(self, page: Page, scope: str) -> str | None:
        return None

    def decode(self, token: str, scope: str, created_us) -> tuple[int, bool]:
        try:
            record_id = self.to_world(base64.b64decode(token, validate=True).decode("ascii"))
        except (binascii.Error, UnicodeError, ValueError):
            record_id = None
        position = created_us(record_id) if record_id else None
        if position is None:
            raise InvalidCursor(token)
        return position, False
