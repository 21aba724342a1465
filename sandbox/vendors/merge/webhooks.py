"""Merge's webhooks (docs.merge.dev, "Merge webhooks sent to you"; lifecycle.md §2).

Signed with `X-Merge-Webhook-Signature`: HMAC-SHA256 of the raw body under the organisation's
signature key, base64url without `=` padding. The body is `{hook, linked_account, data}`; a model's
`.added`/`.changed`/`.removed` event carries the model as its endpoint renders it. There are no
linked-account links in the sandbox, so no `LinkedAccount.linked`. One attempt and two
retries, 1 s then 2 s apart, on a 5xx, no answer or a timeout (10 s); a 4xx is dropped.
"""

from __future__ import annotations

import uuid

from sandbox.control.webhooks import Hooks, Scene, Sync, Touched, b64url, hmac_sha256
from sandbox.vendors.merge import render
from sandbox.world.model import iso_z

MODELS = {"interview": ("ScheduledInterview", render.interview), "application": ("Application", render.application),
          "candidate": ("Candidate", render.candidate), "user": ("RemoteUser", render.user),
          "job": ("Job", render.job), "stage": ("JobInterviewStage", render.stage),
          "scorecard": ("Scorecard", render.scorecard)}
SYNCED = "LinkedAccount.sync_completed"
EVENTS = (*(f"{name}.{action}" for name, _ in MODELS.values() for action in ("added", "changed", "removed", "synced")),
          SYNCED, "LinkedAccount.deleted", "Issue.created", "Issue.resolved")
LINKED_ACCOUNT = ("id", "integration", "integration_slug", "category", "end_user_origin_id",
                  "end_user_organization_name", "end_user_email_address", "status", "webhook_listener_url",
                  "is_duplicate", "account_type")


def sign(secret: bytes, body: bytes, receiver: dict) -> str:
    return b64url(hmac_sha256(secret, body), padding=False)


def _details(scene: Scene) -> dict:
    c = scene.credential
    return render.account_details(scene.world, c.values["account_token"], c.category, scene.state)


def _body(scene: Scene, event: str, data) -> dict:
    details = _details(scene)
    return {"hook": {"id": str(uuid.UUID(hex=scene.receiver_id())), "event": event, "target": scene.receiver["url"]},
            "linked_account": {k: details[k] for k in LINKED_ACCOUNT}, "data": data}


def changed(scene: Scene, touched: list[Touched]) -> list:
    out = []
    for t in touched:
        if t.kind in MODELS and t.record is not None:
            name, renderer = MODELS[t.kind]
            event = f"{name}.{t.action}"
            out.append((event, _body(scene, event, renderer(scene.world, t.record))))
    return out


def synced(scene: Scene, sync: Sync) -> list:
    """`LinkedAccount.sync_completed` with every model's sync status, then each model's own
    `<Model>.synced` ("Common Model synced") with its status (INFERRED: Merge's docs say "a
    /sync-status object")."""
    status = render.sync_status(scene.state, {"last_sync": sync.at, "next_sync": sync.next, "outcome": sync.outcome})
    return [(SYNCED, _body(scene, SYNCED, {"sync_status": status})),
            *((f"{s['model_name']}.synced", _body(scene, f"{s['model_name']}.synced", s)) for s in status)]


def _issue(scene: Scene, status: str) -> dict:
    """An Issue (ats_v3.yml) about the linked account's credentials (INFERRED wording)."""
    details, now = _details(scene), iso_z(scene.now)
    return {"id": str(uuid.UUID(hex=scene.new_id())), "status": status,
            "error_description": "Missing Permissions",
            "end_user": {"id": details["id"], "organization_name": details["end_user_organization_name"],
                         "origin_id": details["end_user_origin_id"]},
            "first_incident_time": now, "last_incident_time": now, "is_muted": False, "error_details": []}


def state_changed(scene: Scene, before: str, after: str) -> list:
    """A deleted account sends `LinkedAccount.deleted`; one that needs relinking opens an issue, and
    leaving that state resolves it (INFERRED: Merge's linked-account issues)."""
    out = []
    if before == "relink_needed":
        out.append(("Issue.resolved", _body(scene, "Issue.resolved", _issue(scene, "RESOLVED"))))
    if after == "relink_needed":
        out.append(("Issue.created", _body(scene, "Issue.created", _issue(scene, "ONGOING"))))
    if after == "deleted":
        details = _details(scene)
        out.append(("LinkedAccount.deleted", _body(scene, "LinkedAccount.deleted",
                                                   {k: details[k] for k in LINKED_ACCOUNT})))
    return out


HOOKS = Hooks(header="X-Merge-Webhook-Signature", sign=sign, events=EVENTS, changed=changed, synced=synced,
              state_changed=state_changed, retries=(1, 2), retry_on=lambda status: status is None or status >= 500)
