"""The dashboard at `/`: what the sandbox holds, how to connect to it, what it answers and what it was
asked, and the control plane's actions behind buttons.

The page is rendered here from the functions the `/_sandbox` routes use; its script reads and acts
through `/_sandbox` itself and through the vendors' own paths, as a client would. With an admin token
set, the page asks for it once and keeps a session in a cookie (`admin.routes.dashboard_session`:
it ends SESSION_SECONDS after its last use), which the control plane accepts in place of the token:
the token itself never reaches the page, and the journal never keeps the cookie. (Not Flask's session: with a secret key set, Flask would open a
session on every vendor request.)
"""

from __future__ import annotations

import hmac

import orjson
from flask import Blueprint, current_app, redirect, render_template, request

from sandbox import __version__
from sandbox.admin.routes import dashboard_signed_in, renew_session, set_session, worlds_summary
from sandbox.control.connections import STATES
from sandbox.http.context import sandbox
from sandbox.http.endpoints import Listing, PageOut
from sandbox.web.snippets import curl, sdk_snippet
from sandbox.world.kinds import KINDS

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static",
               static_url_path="/_sandbox/ui/static")


@bp.get("/")
def index():
    sb = sandbox()
    if not dashboard_signed_in(sb.settings.admin_token):
        return render_template("login.html", failed=False, version=__version__)
    origin = request.host_url.rstrip("/")
    worlds = worlds_summary(sb)
    vendors = [_vendor(vendor, origin, worlds) for vendor in sb.accounts.vendors.values()]
    page = render_template("index.html", version=__version__, worlds=worlds, vendors=vendors, states=STATES,
                           clock=sb.clock.describe(),
                           data=orjson.dumps({"vendors": vendors, "worlds": worlds}).decode().replace("</", "<\\/"))
    return renew_session(current_app.make_response((page, {"Cache-Control": "no-store"})))


@bp.post("/_sandbox/ui/login")
def login():
    token = sandbox().settings.admin_token
    given = request.form.get("token", "")
    if token and hmac.compare_digest(given.encode(), token.encode()):
        answer = redirect("/", 303)
        set_session(answer, token)
        return answer
    return render_template("login.html", failed=True, version=__version__), 401


def _vendor(vendor, origin: str, worlds: list[dict]) -> dict:
    """What the page shows of a vendor: where it is served, each credential with a curl command and an
    SDK snippet, and each listing with what browsing it needs (its path, cursor, parameters, and where
    a page keeps its records and its next cursor)."""
    listings = {}
    for e in vendor.endpoints:
        if isinstance(e, Listing) and KINDS[e.kind].attr not in listings:
            listings[KINDS[e.kind].attr] = {"path": vendor.mount + e.path, "cursor": e.cursor_arg,
                                            "parameters": sorted(e.args.fields), **_page_layout(e)}
    first = listings.get("interviews") or next(iter(listings.values()), None)
    credentials = [{**c, "curl": curl(origin, c, first["path"]) if first else "",
                    "snippet": sdk_snippet(vendor.name, origin + vendor.mount, c, origin + first["path"] if first else "")}
                   for w in worlds for c in w["credentials"] if c["vendor"] == vendor.name]
    return {"name": vendor.name, "base_url": origin + vendor.mount, "credentials": credentials, "listings": listings,
            "events": list(vendor.webhooks.events) if vendor.webhooks else []}


def _page_layout(listing: Listing) -> dict:
    """Where a page of this listing keeps its records and its next cursor: key paths into its envelope."""
    page = orjson.loads(listing.envelope(b'"@record"', PageOut("@next", "@previous", 1)))
    return {"results": _path_to(page, ["@record"]), "next": _path_to(page, "@next")}


def _path_to(node, target, path=()) -> list | None:
    if node == target:
        return list(path)
    if isinstance(node, dict):
        for key, value in node.items():
            found = _path_to(value, target, (*path, key))
            if found is not None:
                return found
    return None
