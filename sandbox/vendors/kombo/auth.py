"""Kombo's credentials: `Authorization: Bearer <key>` and `X-Integration-Id` (`<tool>:<id>`). Two
routes need only the key: `/check-api-key`, and `/integrations/{integration_id}`, which names its
integration in the path (Kombo's spec declares no header there, and its SDKs send none)."""

from __future__ import annotations

from flask import Request

from sandbox.accounts import Account, how_to_send
from sandbox.http import errors
from sandbox.http.context import sandbox
from sandbox.vendors.kombo.errors import INTEGRATION_NOT_FOUND

CREDENTIAL_FIELDS = ("api_key", "integration_id")
KEY_ONLY = ("check_api_key", "integration")  # the views' names
describe = how_to_send("api_key", headers={"X-Integration-Id": "integration_id"})


def authenticate(req: Request) -> Account:
    accounts = sandbox().accounts
    scheme, _, key = (req.headers.get("Authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not accounts.known("kombo", "api_key", key.strip()):
        raise errors.Unauthorized("The provided API key is invalid or expired.")
    key = key.strip()
    if req.url_rule is not None and req.url_rule.endpoint.endswith(KEY_ONLY):
        credential = next(c for c in accounts.fixtures.credentials if c.vendor == "kombo" and c.values["api_key"] == key)
        return accounts.account(credential, key_only=True)
    integration = req.headers.get("X-Integration-Id")
    if not integration:
        raise errors.NotFound("The X-Integration-Id header is missing. Pass the ID of the integration you want to "
                              "interact with.", code=INTEGRATION_NOT_FOUND)
    credential = accounts.find("kombo", api_key=key, integration_id=integration)
    if credential is None:
        raise errors.NotFound(f"No integration with the ID \"{integration}\" was found for this API key.",
                              code=INTEGRATION_NOT_FOUND)
    return accounts.account(credential)
