"""Truto's webhooks (truto.one/docs/guides/webhooks; lifecycle.md §2).

Signed with `X-Truto-Signature: format=sha256,v=<signature>`, an HMAC-SHA256 of the raw body under
the webhook's secret (a UUID, shown once when the webhook is made). Sources disagree on how the
signature is written: Truto's skills write hex, integrators' verifiers decode base64. Hex here; a
receiver's `signature_encoding: "base64"` gives the other. The body is `{id, event, payload,
environment_id, webhook_id, created_at}`. Three retries with backoff up to 10 s (2.5, 5, 10) on any
failure; after the last, the webhook is deactivated (INFERRED: Truto says a long failure deactivates it).

Truto proxies the platform live, so it has no syncs of its own to report for unified reads; its
`sync_job_run:*` events report the sandbox's syncs of the integrated account (INFERRED), and the
payloads of `record:*`, `sync_job_run:*` and `integrated_account:*` are INFERRED from their names.
"""

from __future__ import annotations

import base64
import uuid

from sandbox.control.webhooks import Hooks, Scene, Sync, Touched, hmac_sha256
from sandbox.vendors.truto import render
from sandbox.world.platforms import ms

RESOURCES = {"interview": ("interviews", render.interview), "candidate": ("candidates", render.candidate),
             "application": ("applications", render.application), "job": ("jobs", render.job),
             "user": ("users", render.user), "stage": ("job_interview_stages", render.stage)}
RECORD = {"added": "record:created", "changed": "record:updated", "removed": "record:deleted"}
METHOD = {"added": "create", "changed": "update", "removed": "delete"}
# a connection's state -> the integrated account's event on entering it
ACCOUNT = {"healthy": "integrated_account:active", "relink_needed": "integrated_account:authentication_error",
           "initial_sync": "integrated_account:updated", "paused": "integrated_account:updated",
           "deleted": "integrated_account:deleted"}
STATUS = {"healthy": "active", "relink_needed": "needs_reauth", "initial_sync": "connecting", "paused": "active",
          "deleted": "active"}
EVENTS = (*RECORD.values(), "sync_job_run:completed", "sync_job_run:failed", "integrated_account:active",
          "integrated_account:reactivated", "integrated_account:authentication_error", "integrated_account:updated",
          "integrated_account:deleted")


def sign(secret: bytes, body: bytes, receiver: dict) -> str:
    mac = hmac_sha256(secret, body)
    written = base64.b64encode(mac).decode() if receiver.get("signature_encoding") == "base64" else mac.hex()
    return f"format=sha256,v={written}"


def _uuid(hexdigits: str) -> str:
    return str(uuid.UUID(hex=hexdigits))


def _body(scene: Scene, event: str, payload: dict) -> dict:
    c = scene.credential
    return {"id": _uuid(scene.new_id()), "event": event, "payload": payload,
            "environment_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"truto-environment/{c.values['api_token']}")),
            "webhook_id": _uuid(scene.receiver_id()), "created_at": ms(scene.now)}


def changed(scene: Scene, touched: list[Touched]) -> list:
    out, account = [], scene.credential.values["integrated_account_id"]
    for t in touched:
        if t.kind in RESOURCES and t.record is not None:
            resource, renderer = RESOURCES[t.kind]
            record = {"id": t.record.remote_id} if t.action == "removed" else renderer(scene.world, t.record)
            out.append((RECORD[t.action], _body(scene, RECORD[t.action], {
                "integrated_account_id": account, "integration_name": scene.world.platform,
                "resource": f"ats/{resource}", "method": METHOD[t.action], "record": record})))
    return out


def synced(scene: Scene, sync: Sync) -> list:
    event = "sync_job_run:completed" if sync.outcome in ("succeeded", "partially_failed") else "sync_job_run:failed"
    account = scene.credential.values["integrated_account_id"]
    return [(event, _body(scene, event, {
        "id": _uuid(sync.id), "sync_job_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"truto-sync-job/{account}")),
        "integrated_account_id": account, "status": event.split(":")[1], "started_at": ms(sync.at),
        "finished_at": ms(sync.at), **({"error": "The sync failed."} if event.endswith("failed") else {})}))]


def state_changed(scene: Scene, before: str, after: str) -> list:
    event = "integrated_account:reactivated" if (before, after) == ("relink_needed", "healthy") else ACCOUNT[after]
    c = scene.credential
    return [(event, _body(scene, event, {
        "id": c.values["integrated_account_id"], "tenant_id": scene.world.key, "status": STATUS[after],
        "integration": {"name": scene.world.platform}, "is_sandbox": False, "updated_at": ms(scene.now)}))]


HOOKS = Hooks(header="X-Truto-Signature", sign=sign, events=EVENTS, changed=changed, synced=synced,
              state_changed=state_changed, retries=(2.5, 5, 10), deactivates=True, data="payload",
              secret=_uuid, options={"signature_encoding": ("hex", "base64")})
