"""Merge's webhook receivers (`GET/POST /ats/v1/webhook-receivers`, ats_v3.yml `WebhookReceiver`).

In Merge these configure the webhooks Merge *listens to* from the platform for one linked account
(`event`, `is_active`, the platform's signing `key`): they name no URL to deliver to. The sandbox
keeps and lists them per linked account as Merge does; the webhooks it sends go to the receivers
registered through `/_sandbox/webhooks` or the fixtures.
"""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from sandbox.http.args import json_object, load
from sandbox.http.call import current
from sandbox.http.context import json_response, sandbox

KEY = "merge-webhook-receivers"


class WebhookReceiverRequest(Schema):
    class Meta:
        unknown = EXCLUDE  # DRF ignores fields it does not know

    event = fields.String(required=True, validate=validate.Length(min=1))
    is_active = fields.Boolean(required=True)
    key = fields.String(validate=validate.Length(min=1))


_request = WebhookReceiverRequest()
EXAMPLE = {"event": "candidate.created", "is_active": True, "key": "whsec-example"}  # for the OpenAPI description


def _shown(receiver: dict) -> dict:
    return {"event": receiver["event"], "is_active": receiver["is_active"],
            **({"key": receiver["key"]} if "key" in receiver else {})}


def list_receivers():
    mine = (sandbox().store.state(KEY) or {}).get(current().account.credential.id, [])
    return json_response([_shown(r) for r in mine])


def create_receiver():
    """One per event and linked account: a second for the same event takes the first's place."""
    receiver = load(_request, json_object())
    credential_id = current().account.credential.id

    def change(doc):
        doc = dict(doc or {})
        doc[credential_id] = [*(r for r in doc.get(credential_id, []) if r["event"] != receiver["event"]), receiver]
        return doc

    sandbox().store.update_state(KEY, change)
    return json_response(_shown(receiver), 201)
