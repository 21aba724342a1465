"""Adding a vendor is declarations: a fifth, made-up vendor ("Hirely") declared here, in the tests
only, serves interviews and users through the same pipeline as the shipped four — auth, paging,
errors, caching, rate limits — from the declarations between the two rules below."""

from __future__ import annotations

from dataclasses import replace

import pytest
from flask import Request
from marshmallow import fields

from sandbox.accounts import Account
from sandbox.app import create_app
from sandbox.http import errors
from sandbox.http.args import QueryArgs, Whole
from sandbox.http.context import sandbox
from sandbox.http.cursors import ScopedCursor
from sandbox.http.endpoints import Listing, Retrieve
from sandbox.http.limits import RateLimit
from sandbox.http.vendor import Vendor
from sandbox.settings import DEFAULT_FIXTURES, Settings
from sandbox.vendors import registry
from sandbox.world.model import iso_z
from sandbox.world.store import Query
from tests.helpers import world

# ---- the whole vendor ------------------------------------------------------------------------


def authenticate(req: Request) -> Account:
    accounts = sandbox().accounts
    found = accounts.find("hirely", api_key=req.headers.get("X-Api-Key", ""), tenant=req.headers.get("X-Tenant", ""))
    if found is None:
        raise errors.Unauthorized("Unknown API key or tenant.")
    return accounts.account(found)


class Args(QueryArgs):
    after = fields.String()
    limit = Whole(minimum=1, maximum=50, load_default=10)


def interview(world, i, variant) -> dict:
    return {"id": i.remote_id, "starts": iso_z(i.start_at), "host": world.users[i.organizer_id].email}


def user(world, u, variant) -> dict:
    return {"id": u.remote_id, "email": u.email}


def listing(path: str, kind: str, render, embeds: tuple[str, ...] = ()) -> Listing:
    return Listing(path, kind, Args(), query=lambda args, w: Query(kind), render=render, cursor=ScopedCursor(),
                   envelope=lambda items, out: b'{"data":[%s],"after":"%s"}' % (items, (out.next or "").encode()),
                   invalid_cursor=lambda: errors.BadRequest("Bad `after`."), page_size=lambda a: a["limit"],
                   cursor_arg="after", embeds=embeds)


HIRELY = Vendor(
    name="hirely", mount="/hirely/v2", credential_fields=("api_key", "tenant"), authenticate=authenticate,
    envelope=lambda e: {"error": {"status": e.status, "message": e.message}},
    describe=lambda c: {"headers": {"X-Api-Key": c.values["api_key"], "X-Tenant": c.values["tenant"]}, "query": {}},
    rate_limit=RateLimit(limit=5, seconds=60, headers=lambda q: {"X-Left": str(max(q.remaining, 0))}),
    endpoints=(listing("/interviews", "interview", interview, embeds=("user",)),
               Retrieve("/interviews/<record_id>", "interview", Args(), render=interview, by="remote_id",
                        not_found=lambda rid: errors.NotFound(f"No interview {rid}."), include_deleted=False),
               listing("/users", "user", user)))

# ---- the tests -------------------------------------------------------------------------------

# The default fixtures, with two credentials for the fifth vendor
FIXTURES = (DEFAULT_FIXTURES / "sandbox.toml").read_text() + """
[[credentials]]\nvendor = "hirely"\nworld = "acme"\napi_key = "hk"\ntenant = "acme"\nrate_limit = 1000
[[credentials]]\nvendor = "hirely"\nworld = "acme"\napi_key = "hk"\ntenant = "tight"
"""
H = {"X-Api-Key": "hk", "X-Tenant": "acme"}


@pytest.fixture
def client(tmp_path):
    (tmp_path / "fx").mkdir()
    (tmp_path / "fx" / "sandbox.toml").write_text(FIXTURES)
    return create_app(Settings(fixtures=tmp_path / "fx", data_dir=tmp_path / "data"), vendors={"hirely": HIRELY}).test_client()


def test_the_fifth_vendor_pages_through_every_interview(client):
    got, after = [], None
    while True:
        r = client.get("/hirely/v2/interviews" + (f"?after={after}" if after else ""), headers=H)
        assert r.status_code == 200 and r.headers["X-Left"]
        got += r.json["data"]
        after = r.json["after"]
        if not after:
            break
    expected = sorted((i for i in world("acme").interviews.values() if not i.deleted and not i.shell),
                      key=lambda i: i.created_at)
    assert [g["id"] for g in got] == [i.remote_id for i in expected]
    assert client.get(f"/hirely/v2/interviews/{got[3]['id']}", headers=H).json == got[3]


def test_the_fifth_vendor_serves_a_related_resource(client):
    r = client.get("/hirely/v2/users?limit=50", headers=H)
    users = sorted(world("acme").users.values(), key=lambda u: u.created_at)
    assert [u["email"] for u in r.json["data"]] == [u.email for u in users[:50]]


@pytest.mark.parametrize("path, headers, status, message", [
    ("/hirely/v2/interviews", {}, 401, "Unknown API key or tenant."),
    ("/hirely/v2/interviews?limit=51", H, 400, "Invalid query parameters."),
    ("/hirely/v2/interviews?after=nope", H, 400, "Bad `after`."),
    ("/hirely/v2/interviews/0", H, 404, "No interview 0."),
    ("/hirely/v2/nothing", H, 404, "Not found."),
])
def test_the_fifth_vendor_fails_in_its_own_envelope(client, path, headers, status, message):
    r = client.get(path, headers=headers)
    assert (r.status_code, r.json) == (status, {"error": {"status": status, "message": message}})


def test_the_fifth_vendor_keeps_answers_until_the_world_changes(client):
    sb = client.application.extensions["sandbox"]
    kept = len(sb.response_cache)
    first = client.get("/hirely/v2/interviews?limit=50", headers=H).data
    assert client.get("/hirely/v2/interviews?limit=50", headers=H).data == first
    assert len(sb.response_cache) == kept + 1  # built once, answered twice
    [row] = sb.store.page("acme", Query("interview"), limit=1)
    sb.store.update("acme", "interview", row.id, lambda i, m: replace(i, remote_id="moved"), sb.clock.now())
    assert client.get("/hirely/v2/interviews?limit=50", headers=H).json["data"][0]["id"] == "moved"


def test_the_fifth_vendor_counts_its_rate_limit(client):
    tight = {**H, "X-Tenant": "tight"}
    statuses = [client.get("/hirely/v2/users", headers=tight).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]


def test_the_shipped_vendors_are_untouched_by_a_fifth():
    assert "hirely" not in registry()
