"""Faults a test asks for: rules kept in the store (so every worker applies them and counts their
hits), and the `X-Sandbox-Fault` header of a single request.

A rule matches requests by vendor, credential, world, method and path (a glob, on the full path or
the path under the vendor's mount), and acts with one `Fault`. It applies to the first `times`
matches (default: every one), or to every `every`-th, or to each with a `probability` drawn from
its seed, so that the same seed gives the same sequence on every run and every worker.
"""

from __future__ import annotations

import fnmatch
import random
import uuid
from dataclasses import dataclass
from http import HTTPStatus

KEY = "faults"
ACTIONS = ("reset", "empty", "truncate", "drift")  # besides a status and a latency
DRIFTS = ("enum", "field", "missing", "null")
STATUSES = frozenset({*(s.value for s in HTTPStatus if 400 <= s.value < 500), 500, 502, 503, 504})
MAX_LATENCY_MS = 60_000
MATCH = ("vendor", "credential", "world", "method", "path")
SCHEDULE = ("times", "every", "probability", "seed")


@dataclass(frozen=True)
class Fault:
    """What a faulted request gets: a wait first, if any, then a status in the vendor's shape, or
    one of ACTIONS (a connection reset or closed without an answer, a body cut short, an answer
    that drifted from the contract in the `drift` ways)."""

    status: int | None = None
    latency: tuple[int, int] | None = None  # milliseconds, uniform in [low, high]
    action: str | None = None
    drift: tuple[str, ...] = DRIFTS

    @property
    def label(self) -> str:
        parts = [str(self.status)] if self.status else []
        if self.latency:
            low, high = self.latency
            parts.append(f"latency={low}" if low == high else f"latency={low}-{high}")
        if self.action:
            parts.append(self.action if self.action != "drift" or self.drift == DRIFTS
                         else f"drift={','.join(self.drift)}")
        return ";".join(parts)


def parse_header(value: str) -> Fault:
    """`X-Sandbox-Fault`: `503`, `latency=250`, `latency=100-300`, `reset`, `empty`, `truncate`,
    `drift` or `drift=enum,null`; several joined with `;` (a latency and one other)."""
    fields: dict = {}
    for part in filter(None, (p.strip() for p in value.split(";"))):
        name, _, arg = part.partition("=")
        if name.isdigit():
            fields["status"] = int(name)
        elif name == "latency":
            low, _, high = arg.partition("-")
            fields["latency"] = [int(low), int(high or low)] if low.isdigit() and (high or low).isdigit() else arg
        elif name == "drift" and arg:
            fields["action"], fields["drift"] = "drift", arg.split(",")
        else:
            fields["action"] = name
    return _fault(fields)


def _fault(body: dict) -> Fault:
    status, latency, action, drift = body.get("status"), body.get("latency"), body.get("action"), body.get("drift")
    if status is not None and (not isinstance(status, int) or isinstance(status, bool) or status not in STATUSES):
        raise ValueError("status is a 4xx, 500, 502, 503 or 504")
    if latency is not None:
        low, high = (latency, latency) if isinstance(latency, int) and not isinstance(latency, bool) else \
            (tuple(latency) if isinstance(latency, list) and len(latency) == 2 else (None, None))
        if not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_LATENCY_MS for v in (low, high)) \
                or low > high:
            raise ValueError(f"latency is milliseconds (0 to {MAX_LATENCY_MS}) or a [low, high] range of them")
        latency = (low, high)
    if action is not None and action not in ACTIONS:
        raise ValueError(f"action is one of {', '.join(ACTIONS)}")
    if drift is not None:
        if action != "drift" or not isinstance(drift, list) or not drift or any(d not in DRIFTS for d in drift):
            raise ValueError(f"drift (with action drift) is a list of {', '.join(DRIFTS)}")
        drift = tuple(d for d in DRIFTS if d in drift)
    if status is not None and action is not None:
        raise ValueError("a fault has a status or an action, not both (a latency goes with either)")
    if status is None and latency is None and action is None:
        raise ValueError("a fault needs a status, a latency or an action")
    return Fault(status, latency, action, drift or DRIFTS)


def rule(body, vendors: set[str], credentials: set[str], worlds: set[str]) -> dict:
    """A rule as stored, from a `POST /_sandbox/faults` body (checked against the served vendors,
    the credentials' ids and the worlds); ValueError says what is wrong."""
    if not isinstance(body, dict):
        raise ValueError("expected a JSON object")
    for name in ("vendor", "credential", "world", "method", "path", "seed", "action"):
        if body.get(name) is not None and not isinstance(body[name], str):
            raise ValueError(f"{name} is a string")
    unknown = set(body) - {*MATCH, *SCHEDULE, "status", "latency", "action", "drift"}
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(sorted(unknown))}")
    fault = _fault(body)
    vendor, credential, world = body.get("vendor"), body.get("credential"), body.get("world")
    if vendor is not None and vendor not in vendors:
        raise ValueError(f"vendor is one of {', '.join(sorted(vendors))}")
    if credential is not None and credential not in credentials:
        raise ValueError(f"no credential {credential!r}; GET /_sandbox/accounts lists their ids")
    if world is not None and world not in worlds:
        raise ValueError(f"world is one of {', '.join(sorted(worlds))}")
    for name in ("times", "every"):
        value = body.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise ValueError(f"{name} is a positive whole number")
    probability = body.get("probability")
    if probability is not None and (not isinstance(probability, (int, float)) or isinstance(probability, bool)
                                    or not 0 <= probability <= 1):
        raise ValueError("probability is a number from 0 to 1")
    return {"vendor": vendor, "credential": credential, "world": world,
            "method": body["method"].upper() if body.get("method") else None, "path": body.get("path"),
            "status": fault.status, "latency": list(fault.latency) if fault.latency else None,
            "action": fault.action, "drift": list(fault.drift) if fault.action == "drift" else None,
            "times": body.get("times"), "every": body.get("every"), "probability": probability,
            "seed": body.get("seed")}


class Faults:
    """The rules, in a control document of the store; their `matched` and `hits` in the store's
    tallies (a match is not a write: matching requests need not wait on one another, nor make every
    worker read the store again)."""

    def __init__(self, store, seed: str):
        self.store, self.seed = store, seed

    def rules(self) -> list[dict]:
        """The rules as stored."""
        return (self.store.state(KEY) or {}).get("rules", [])

    def listed(self) -> list[dict]:
        """The rules with their counts so far."""
        return [{**{k: v for k, v in r.items() if k != "tally"}, "matched": self._count(r, "matched", 0),
                 "hits": self._count(r, "hits", 0)} for r in self.rules()]

    def add(self, new: dict) -> dict:
        def change(doc):
            doc = doc or {"next": 1, "rules": []}
            # counted under a name of its own: ids start again after a reset, tallies do not
            added = {"id": doc["next"], **{k: v for k, v in new.items() if k not in ("matched", "hits")},
                     "tally": uuid.uuid4().hex}
            return {"next": doc["next"] + 1, "rules": [*doc["rules"], added]}

        added = self.store.update_state(KEY, change)["rules"][-1]
        return next(r for r in self.listed() if r["id"] == added["id"])

    def remove(self, rule_id: int) -> bool:
        removed = []

        def change(doc):
            doc = doc or {"next": 1, "rules": []}
            kept = [r for r in doc["rules"] if r["id"] != rule_id]
            removed.append(len(kept) < len(doc["rules"]))
            return {**doc, "rules": kept}

        self.store.update_state(KEY, change)
        return removed[-1]

    def clear(self) -> None:
        self.store.update_state(KEY, lambda doc: {"next": (doc or {}).get("next", 1), "rules": []})

    def due(self, vendor: str, mount: str, credential: str, world: str, method: str, path: str) -> Fault | None:
        """The fault this request gets, if a rule says so: the first (oldest) matching rule that
        fires. Every matching rule not yet spent counts the match."""
        rules = self.rules()
        if not rules:
            return None  # the common case: one read of a document kept while nothing changes
        local = path[len(mount):] if path.startswith(mount) else path
        chosen = None
        for r in rules:
            if not _matches(r, vendor, credential, world, method, path, local) or self._spent(r):
                continue
            matched = self._count(r, "matched", 1)
            if chosen is None and self._fires(r, matched) and self._hit(r):
                chosen = r
        if chosen is None:
            return None
        return Fault(chosen["status"], tuple(chosen["latency"]) if chosen["latency"] else None, chosen["action"],
                     tuple(chosen["drift"]) if chosen["drift"] else DRIFTS)

    def _count(self, r: dict, what: str, delta: int) -> int:
        return self.store.tally(f"fault:{r['tally']}:{what}", delta)

    def _spent(self, r: dict) -> bool:
        return r["times"] is not None and self._count(r, "hits", 0) >= r["times"]

    def _hit(self, r: dict) -> bool:
        """One more hit, unless the rule is spent (another worker may have taken the last one)."""
        if self._count(r, "hits", 1) > (r["times"] if r["times"] is not None else float("inf")):
            self._count(r, "hits", -1)
            return False
        return True

    def _fires(self, r: dict, matched: int) -> bool:
        """Whether the rule applies to its `matched`-th match."""
        if r["every"] is not None and matched % r["every"]:
            return False
        if r["probability"] is not None:  # a rule's own seed gives the same draws whatever its id
            seed = r["seed"] if r["seed"] is not None else f"{self.seed}/{r['id']}"
            return random.Random(f"{seed}/{matched}").random() < r["probability"]
        return True


def _matches(r: dict, vendor, credential, world, method, path, local) -> bool:
    return ((r["vendor"] is None or r["vendor"] == vendor) and (r["credential"] is None or r["credential"] == credential)
            and (r["world"] is None or r["world"] == world) and (r["method"] is None or r["method"] == method)
            and (r["path"] is None or fnmatch.fnmatchcase(path, r["path"]) or fnmatch.fnmatchcase(local, r["path"])))
