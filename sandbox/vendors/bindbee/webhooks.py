"""Bindbee's webhooks (docs.bindbee.dev/webhooks/overview; lifecycle.md §2).

Signed with `X-Bindbee-Webhook-Signature`: HMAC-SHA256 of the raw body under the organisation's
signature key, base64url with its `=` padding (as the docs' Python sample keeps it). The body is
`{webhook, connector, data, sync}` (and `error` for a failed sync). Up to four retries within 60 s
(5, 10, 15 and 30 s apart) on any failure; 10 s timeout.

`connector_data_modified` groups the changed records' ids by model (INFERRED shape: the docs name the
grouping only); a sync reports `connector_sync_started`, then `connector_synced` or
`connector_sync_error`; a connection that needs re-authenticating reports `connector_sync_error`.
"""

from __future__ import annotations

import uuid

from sandbox.control.webhooks import Hooks, Scene, Sync, Touched, b64url, hmac_sha256
from sandbox.vendors.bindbee.ids import bid
from sandbox.world.model import iso_z
from sandbox.world.platforms import platform

MODELS = {"interview": "ScheduledInterview", "application": "Application", "candidate": "Candidate",
          "job": "Job", "user": "RemoteUser", "stage": "JobInterviewStage"}
EVENTS = ("connector_data_modified", "connector_sync_started", "connector_synced", "connector_sync_error")


def sign(secret: bytes, body: bytes, receiver: dict) -> str:
    return b64url(hmac_sha256(secret, body), padding=True)


def _body(scene: Scene, event: str, data, sync: Sync | None = None, error: dict | None = None) -> dict:
    c = scene.credential
    connector = str(uuid.uuid5(uuid.NAMESPACE_URL, f"bindbee-connector/{c.values['connector_token']}"))
    sync_id = sync.id if sync is not None else scene.new_id()
    body = {"webhook": {"webhook_id": str(uuid.UUID(hex=scene.receiver_id())), "url": scene.receiver["url"],
                        "event": event},
            "connector": {"id": connector, "display_name": platform(scene.world.platform).name,
                          "categories": [c.category.upper()], "origin_id": scene.world.key,
                          "organization_name": scene.world.company},
            "data": data,
            "sync": {"sync_id": str(uuid.UUID(hex=sync_id)), "sync_type": "INCREMENTAL",
                     "sync_name": f"{platform(scene.world.platform).name} incremental sync"}}
    return {**body, "error": error} if error is not None else body


def changed(scene: Scene, touched: list[Touched]) -> list:
    grouped: dict[str, list[str]] = {}
    for t in touched:
        if t.kind in MODELS:
            ids = grouped.setdefault(MODELS[t.kind], [])
            if bid(t.id) not in ids:
                ids.append(bid(t.id))
    return [("connector_data_modified", _body(scene, "connector_data_modified", grouped))] if grouped else []


def synced(scene: Scene, sync: Sync) -> list:
    at = iso_z(sync.at)
    out = [("connector_sync_started", _body(scene, "connector_sync_started", {"started_at": at}, sync))]
    if sync.outcome in ("succeeded", "partially_failed"):
        out.append(("connector_synced", _body(scene, "connector_synced", {"started_at": at, "completed_at": at}, sync)))
    else:
        out.append(("connector_sync_error", _body(scene, "connector_sync_error", {"started_at": at}, sync,
                                                  _error(sync.outcome))))
    return out


def _error(outcome: str) -> dict:
    if outcome == "authentication_failed":
        return {"code": "AUTHENTICATION_FAILED", "message": "The connector's credentials were refused by the platform."}
    return {"code": "SYNC_FAILED", "message": "The sync could not be completed."}


def state_changed(scene: Scene, before: str, after: str) -> list:
    if after != "relink_needed":
        return []
    return [("connector_sync_error", _body(scene, "connector_sync_error", {"started_at": iso_z(scene.now)},
                                           error=_error("authentication_failed")))]


HOOKS = Hooks(header="X-Bindbee-Webhook-Signature", sign=sign, events=EVENTS, changed=changed, synced=synced,
              state_changed=state_changed, retries=(5, 10, 15, 30))
