"""The fixtures: a directory holding `sandbox.toml` (format in fixtures/README.md)."""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sandbox import __version__
from sandbox.control.clock import duration
from sandbox.control.connections import STATES
from sandbox.world.generate import WorldSpec
from sandbox.world.model import utc
from sandbox.world.platforms import PLATFORMS


class FixtureError(ValueError):
    pass


@dataclass(frozen=True)
class Credential:
    vendor: str
    world: str
    values: dict  # e.g. {"api_key": ..., "account_token": ...}
    rate_limit: int | None = None  # requests per the vendor's window; None: the vendor's default
    category: str = "ats"  # a connector's category (Bindbee): another one is refused on ATS paths
    state: str = "healthy"  # the connection's state at start (control/connections.py)
    sync_interval: timedelta = timedelta(0)  # 0: upstream changes are seen at once (control/syncs.py)
    plan: str | None = None  # the account's plan, where a vendor's rate limit depends on it (Merge)

    @property
    def id(self) -> str:
        """The credential's name in the control plane: its vendor and its last field's value (the
        account token, integration, integrated account or connector)."""
        return f"{self.vendor}:{list(self.values.values())[-1]}"


@dataclass(frozen=True)
class Fixtures:
    seed: str
    epoch: datetime
    worlds: tuple[WorldSpec, ...]
    credentials: tuple[Credential, ...]
    digest: str  # of the files' bytes: a change regenerates the store
    webhooks: tuple[dict, ...] = ()  # receivers the sandbox starts with (checked by control/webhooks.py)

    def fingerprint(self) -> str:
        return f"{__version__}/{self.seed}/{self.digest}"


def load(directory: Path, credential_fields: dict[str, tuple], seed: str | None = None) -> Fixtures:
    """The fixtures in `directory`; credentials are checked against what each vendor's carry
    (`credential_fields`: `sandbox.vendors.credential_fields()` for the shipped vendors)."""
    path = Path(directory) / "sandbox.toml"
    try:
        raw = path.read_bytes()
        doc = tomllib.loads(raw.decode())
    except FileNotFoundError:
        raise FixtureError(f"{path}: no such file (the fixtures directory must hold sandbox.toml)") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise FixtureError(f"{path}: {exc}") from None
    head = doc.get("sandbox", {})
    try:
        epoch = utc(str(head.get("epoch", "2026-11-01T09:00:00Z")))
    except ValueError:
        raise FixtureError(f"{path}: [sandbox] epoch is not an ISO 8601 time") from None
    worlds = []
    for w in doc.get("worlds", ()):
        missing = [k for k in ("key", "company", "platform", "interviews") if k not in w]
        if missing:
            raise FixtureError(f"{path}: a world lacks {', '.join(missing)}")
        if w["platform"] not in PLATFORMS:
            raise FixtureError(f"{path}: world {w['key']!r}: unknown platform {w['platform']!r} "
                               f"(known: {', '.join(sorted(PLATFORMS))})")
        activity = w.get("activity", 24)
        if not isinstance(activity, (int, float)) or isinstance(activity, bool) or activity < 0:
            raise FixtureError(f"{path}: world {w['key']!r}: activity is a number of changes a day")
        worlds.append(WorldSpec(key=w["key"], company=w["company"], platform=w["platform"],
                                seed=w.get("seed", w["key"]), interviews=int(w["interviews"]),
                                pinned=w.get("pinned", {}), activity=float(activity)))
    keys = [w.key for w in worlds]
    if len(set(keys)) != len(keys):
        raise FixtureError(f"{path}: world keys must be unique")
    credentials = []
    for c in doc.get("credentials", ()):
        vendor, world = c.get("vendor"), c.get("world")
        if vendor not in credential_fields:
            raise FixtureError(f"{path}: credential for unknown vendor {vendor!r}")
        if world not in keys:
            raise FixtureError(f"{path}: credential points at unknown world {world!r}")
        need = credential_fields[vendor]
        if any(not c.get(k) for k in need):
            raise FixtureError(f"{path}: a {vendor} credential needs {', '.join(need)}")
        limit = c.get("rate_limit")
        if limit is not None and (not isinstance(limit, int) or limit < 1):
            raise FixtureError(f"{path}: rate_limit must be a positive whole number of requests")
        state = c.get("state", "healthy")
        if state not in STATES:
            raise FixtureError(f"{path}: a credential's state is one of {', '.join(STATES)}")
        try:
            every = c.get("sync_interval", 0)
            every = timedelta(seconds=every) if isinstance(every, int) and not isinstance(every, bool) else duration(every)
        except (ValueError, TypeError):
            raise FixtureError(f"{path}: sync_interval is an ISO 8601 duration (\"PT1H\") or whole seconds") from None
        plan = c.get("plan")
        if plan is not None and not isinstance(plan, str):
            raise FixtureError(f"{path}: a credential's plan is a name (Merge: launch, professional, enterprise)")
        credentials.append(Credential(vendor, world, {k: str(c[k]) for k in need}, limit, str(c.get("category", "ats")),
                                      state, every, plan))
    ids = [c.id for c in credentials]
    if len(set(ids)) != len(ids):
        raise FixtureError(f"{path}: two credentials of one vendor share an account (its last field)")
    webhooks = doc.get("webhooks", [])
    if not isinstance(webhooks, list) or not all(isinstance(w, dict) for w in webhooks):
        raise FixtureError(f"{path}: webhooks are [[webhooks]] tables")
    return Fixtures(seed=str(seed if seed is not None else head.get("seed", 0)), epoch=epoch, worlds=tuple(worlds),
                    credentials=tuple(credentials), digest=hashlib.sha256(raw).hexdigest()[:16],
                    webhooks=tuple(webhooks))
