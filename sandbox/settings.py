"""One Settings object, from `SANDBOX_*` environment variables and CLI flags (flags win)."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from datetime import datetime
from pathlib import Path

from sandbox.vendors import NAMES as VENDORS
from sandbox.world.model import utc

# A wheel carries the default fixtures inside the package; a source tree has them at its top.
_HERE = Path(__file__).resolve().parent
DEFAULT_FIXTURES = next((p for p in (_HERE / "default_fixtures", _HERE.parent / "fixtures") if p.is_dir()),
                        _HERE / "default_fixtures")


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 2
    threads: int = 32  # per worker: a slow request (a fault's latency, a stalled body) holds one
    seed: str | None = None  # overrides the fixtures' sandbox seed
    fixtures: Path = DEFAULT_FIXTURES
    data_dir: Path = Path(".sandbox-data")
    store: str | None = None  # a store URL; default: sqlite:///<data_dir>/sandbox.sqlite3
    now: datetime | None = None  # freezes the sandbox clock; unset, it follows the real one
    vendors: tuple[str, ...] = VENDORS  # one vendor alone is also served at the root
    rate_limit: int | None = None  # every vendor's limit per window, instead of its default
    failure_limit: bool = False  # Merge's limit on failed requests per client address
    journal_size: int = 1000  # requests the journal keeps
    admin_token: str | None = None  # with it, /_sandbox/* (but health) needs `Authorization: Bearer <token>`
    insecure_admin: bool = False  # serve beyond loopback without an admin token
    body_timeout: float = 10.0  # seconds a client has to send a body (its headers in) before it gets 408
    webhook_retry_scale: float = 1.0  # vendors' webhook retry waits times this (a test may shorten them)

    @classmethod
    def from_env(cls, environ=os.environ, **overrides) -> "Settings":
        values = {}
        for f in fields(cls):
            raw = environ.get(f"SANDBOX_{f.name.upper()}")
            if raw not in (None, ""):
                values[f.name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls().with_values(**values)

    def with_values(self, **values) -> "Settings":
        """A copy with the given values, converted from strings where they came as strings."""
        convert = {
            "port": int, "workers": int, "threads": int, "seed": str, "rate_limit": int, "store": str,
            "journal_size": int, "admin_token": str, "webhook_retry_scale": float, "body_timeout": float, "failure_limit": _flag, "insecure_admin": _flag,
            "fixtures": Path, "data_dir": Path,
            "now": lambda v: v if isinstance(v, datetime) else utc(v),
            "vendors": lambda v: tuple(x.strip() for x in v.split(",") if x.strip()) if isinstance(v, str) else tuple(v),
        }
        out = {k: convert.get(k, lambda x: x)(v) for k, v in values.items()}
        settings = replace(self, **out)
        if not 0 <= settings.port <= 65535:
            raise ValueError(f"--port (SANDBOX_PORT) takes a port number from 0 to 65535 (0: any free port), "
                             f"not {settings.port}")
        if settings.workers < 1:
            raise ValueError(f"--workers (SANDBOX_WORKERS) takes a number of workers from 1 up, not {settings.workers}")
        if settings.journal_size < 1:
            raise ValueError("the journal size is a positive number of requests")
        if not settings.body_timeout > 0:
            raise ValueError("the body timeout is a number of seconds above 0")
        if not 0 < settings.webhook_retry_scale <= 1:
            raise ValueError("the webhook retry scale is a number above 0 and at most 1")
        unknown = set(settings.vendors) - set(VENDORS)
        if unknown:
            raise ValueError(f"unknown vendor(s): {', '.join(sorted(unknown))}; known: {', '.join(VENDORS)}")
        return settings

    @property
    def store_url(self) -> str:
        return self.store or f"sqlite:///{self.data_dir / 'sandbox.sqlite3'}"


def _flag(value) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("1", "true", "yes", "on"):
        return True
    if str(value).lower() in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"expected a yes/no value (1, true, 0, false), not {value!r}")
