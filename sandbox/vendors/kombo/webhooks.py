"""Kombo's webhooks (kombo-openapi.json `webhooks`; lifecycle.md §2).

Signed with `X-Kombo-Signature`: HMAC-SHA256 of the raw body under the account's webhook secret,
base64url without `=` padding. The body is `{id, type, data}`. `data-changed` names the models that
changed (not the records); `sync-finished` reports the sync's state; `integration-state-changed` and
`integration-deleted` follow the connection. Kombo documents no retry schedule: three retries,
1, 2 and 4 s apart, on any failure, 10 s timeout (INFERRED).
"""

from __future__ import annotations

from sandbox.control.webhooks import Hooks, Scene, Sync, Touched, b64url, hmac_sha256
from sandbox.vendors.kombo import render
from sandbox.world.platforms import ms

MODELS = {"interview": "ats_interviews", "application": "ats_applications", "candidate": "ats_candidates",
          "job": "ats_jobs", "user": "ats_users", "stage": "ats_application_stages"}
EVENTS = ("data-changed", "sync-finished", "integration-state-changed", "integration-deleted")
SYNC_STATE = {"succeeded": "SUCCEEDED", "partially_failed": "PARTIALLY_FAILED", "failed": "FAILED",
              "authentication_failed": "AUTHENTICATION_FAILED"}


def sign(secret: bytes, body: bytes, receiver: dict) -> str:
    return b64url(hmac_sha256(secret, body), padding=False)


def _integration(scene: Scene) -> dict:
    integration_id = scene.credential.values["integration_id"]
    return {"integration_id": integration_id, "integration_tool": integration_id.split(":", 1)[0],
            "integration_category": "ATS"}


def _end_user(scene: Scene) -> dict:
    return {"organization_name": scene.world.company, "creator_email": None, "origin_id": scene.world.key}


def _body(scene: Scene, event: str, data: dict) -> dict:
    return {"id": render.kid(scene.new_id()), "type": event, "data": data}


def changed(scene: Scene, touched: list[Touched]) -> list:
    names = list(dict.fromkeys(MODELS[t.kind] for t in touched if t.kind in MODELS))
    if not names:
        return []
    return [("data-changed", _body(scene, "data-changed", {**_integration(scene),
                                                           "changed_models": [{"name": n} for n in names]}))]


def synced(scene: Scene, sync: Sync) -> list:
    """A sync here takes no time: it starts and ends at its instant."""
    sync_id = render.kid(sync.id)
    return [("sync-finished", _body(scene, "sync-finished", {
        "sync_id": sync_id, "sync_state": SYNC_STATE[sync.outcome], "sync_started_at": ms(sync.at),
        "sync_ended_at": ms(sync.at), "sync_duration_seconds": 0, **_integration(scene), "end_user": _end_user(scene),
        "log_url": f"https://app.kombo.dev/logs?syncId={sync_id}"}))]


def state_changed(scene: Scene, before: str, after: str) -> list:
    if after == "deleted":
        integration = _integration(scene)
        return [("integration-deleted", _body(scene, "integration-deleted", {
            "id": integration["integration_id"], "tool": integration["integration_tool"], "category": "ATS",
            "end_user": _end_user(scene), "deleted_at": ms(scene.now)}))]
    shown = render.integration(scene.world, scene.credential, after, scene.now)
    return [("integration-state-changed", _body(scene, "integration-state-changed", {
        "integration_tool": shown["tool"]["id"], "integration_id": shown["id"], "integration_category": "ATS",
        "end_user": _end_user(scene), "qa_status": "PASSED", "setup_status": shown["setup_status"],
        "state": shown["status"], "updated_at": ms(scene.now)}))]


HOOKS = Hooks(header="X-Kombo-Signature", sign=sign, events=EVENTS, changed=changed, synced=synced,
              state_changed=state_changed, retries=(1, 2, 4))
