"""The dashboard at `/`, driven in a real browser: Playwright with Debian's Chromium, against a gunicorn
server whose control plane is locked. Screenshots of each view go to tests/artifacts/."""

from __future__ import annotations

import json
import re
import subprocess

import pytest
import requests
from playwright.sync_api import expect, sync_playwright

from tests.helpers import NO_LIMIT, PATIENCE, ROOT, Server, accounts

WORLD_KEYS = {a["world"] for a in accounts()}  # one card each

CHROMIUM = "/usr/bin/chromium"
AXE = ROOT / "tests" / ".node" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "tests" / "artifacts"
TOKEN = "dashboard-token"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("dashboard") / "data", workers=2, rate_limit=NO_LIMIT, admin_token=TOKEN)
    yield srv
    srv.stop()


expect.set_options(timeout=PATIENCE * 1000)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    page = context.new_page()
    # what a page shows after an action may take as long as the action (a simulated week, say)
    page.set_default_timeout(PATIENCE * 1000)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == []


def signed_in(page, server):
    page.goto(server.url + "/")
    page.get_by_label("Admin token").fill(TOKEN)
    page.get_by_role("button", name="Open the dashboard").click()
    expect(page.locator("#worlds article.card")).to_have_count(len(WORLD_KEYS))
    return page


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"dashboard-{name}.png"), full_page=True)


def test_the_page_asks_for_the_admin_token_once_and_refuses_a_wrong_one(page, server):
    page.goto(server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("ats-sandbox")
    page.get_by_label("Admin token").fill("wrong")
    page.get_by_role("button", name="Open the dashboard").click()
    expect(page.get_by_role("alert")).to_have_text("That is not this sandbox's admin token.")
    signed_in(page, server)
    page.reload()  # kept in the session
    expect(page.locator("#worlds article.card")).to_have_count(len(WORLD_KEYS))
    assert TOKEN not in page.content()  # the cookie stands for it; the page never holds it
    (cookie,) = page.context.cookies()
    assert (cookie["name"], cookie["httpOnly"], cookie["sameSite"]) == ("ats_sandbox_dashboard", True, "Strict")
    assert requests.get(server.url + "/_sandbox/accounts", cookies={cookie["name"]: cookie["value"]},
                        timeout=PATIENCE).status_code == 200
    assert requests.get(server.url + "/_sandbox/accounts", cookies={cookie["name"]: "0" * 64}, timeout=PATIENCE).status_code == 401
    assert requests.get(server.url + "/", timeout=PATIENCE).text.count("Admin token") == 1  # another browser is asked


def test_worlds_show_each_company_its_counts_and_each_credentials_state(page, server):
    signed_in(page, server)
    acme = page.locator("article[data-world=acme]")
    expect(acme.get_by_role("heading", level=3)).to_contain_text("Acme Robotics")
    expect(acme.get_by_role("heading", level=3)).to_contain_text("greenhouse")
    worlds = requests.get(server.url + "/_sandbox/worlds", headers=server.admin, timeout=PATIENCE).json()
    expect(acme.locator("dd[data-count=interviews]")).to_have_text(str(worlds[0]["counts"]["interviews"]))
    expect(acme.locator(".state[data-credential='merge:acme-greenhouse-account-token']")).to_have_text("healthy")
    expect(acme.locator("td", has_text="relink_needed").first).to_be_visible()
    shot(page, "worlds")


def test_switching_vendor_changes_the_base_url_and_snippet_and_the_copied_curl_answers_200(page, server):
    signed_in(page, server)
    page.get_by_label("Vendor", exact=True).first.select_option("kombo")
    expect(page.locator("#base-url")).to_have_text(server.url + "/kombo/v1")
    expect(page.locator("#snippet")).to_contain_text("from kombo import Kombo")
    page.get_by_label("Vendor", exact=True).first.select_option("merge")
    expect(page.locator("#base-url")).to_have_text(server.url + "/merge/api")
    expect(page.locator("#snippet")).to_contain_text("from merge import Merge")
    for vendor in ("truto", "bindbee", "merge"):
        page.locator("#connect-vendor").select_option(vendor)
        page.get_by_role("button", name="Copy curl command").click()
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied.startswith("curl -s ") and copied == page.locator("#curl").inner_text()
        answer = subprocess.run(copied + " -o /dev/null -w '%{http_code}'", shell=True, capture_output=True, text=True,
                                timeout=PATIENCE)
        assert answer.stdout == "200", (vendor, copied)
    shot(page, "connect")


def test_browsing_pages_a_world_as_a_vendor_renders_it_and_compares_one_record_across_vendors(page, server):
    signed_in(page, server)
    page.locator("#browse-world").select_option("globex")
    page.locator("#browse-vendor").select_option("merge")
    page.locator("#browse-resource").select_option("interviews")
    page.get_by_role("button", name="Load").click()
    expect(page.locator("#browse-page")).to_have_text("Page 1: 30 records")
    first = page.locator("#browse-table tbody tr").first.inner_text()
    page.get_by_role("button", name="Next page").click()
    expect(page.locator("#browse-page")).to_have_text("Page 2: 30 records")
    assert page.locator("#browse-table tbody tr").first.inner_text() != first
    page.get_by_role("button", name="Previous page").click()
    expect(page.locator("#browse-page")).to_have_text("Page 1: 30 records")
    # a vendor's own filter
    page.locator("#browse-vendor").select_option("kombo")
    page.locator("#browse-query").fill("page_size=7")
    page.get_by_role("button", name="Load").click()
    expect(page.locator("#browse-page")).to_have_text("Page 1: 7 records")
    page.locator("#browse-table tbody tr").first.get_by_role("button").click()
    expect(page.locator("#compare figcaption")).to_have_text(["merge", "kombo", "truto", "bindbee"])
    panes = [json.loads(t) for t in page.locator("#compare pre").all_inner_texts()]
    assert len(panes) == 4 and len({p["remote_id"] for p in panes if "remote_id" in p}) == 1  # (Truto shows none)
    shot(page, "browse")


def test_advancing_the_clock_with_simulation_shows_new_records_and_journal_rows(page, server):
    signed_in(page, server)
    before = int(page.locator("article[data-world=acme] dd[data-count=interviews]").inner_text())
    clock = page.locator("#clock-now").inner_text()
    page.get_by_label("Advance by (ISO 8601 duration)").fill("P3D")
    page.get_by_role("button", name="Advance the clock").click()
    expect(page.locator("#act-result")).to_contain_text("Clock → 200")
    expect(page.locator("#act-result")).to_contain_text('"change": "created"')
    expect(page.locator("#clock-now")).not_to_have_text(clock)
    page.locator("#browse-world").select_option("acme")
    page.locator("#browse-vendor").select_option("bindbee")
    page.locator("#browse-query").fill("page_size=3")
    page.get_by_role("button", name="Load").click()
    expect(page.locator("#journal tbody tr", has_text="/bindbee/api/ats/v1/scheduled-interviews?page_size=3")
           .first).to_be_visible()
    page.reload()
    after = int(page.locator("article[data-world=acme] dd[data-count=interviews]").inner_text())
    assert after > before


def test_a_429_fault_from_the_page_is_triggered_by_try_it_and_shows_in_the_journal(page, server):
    signed_in(page, server)
    page.locator("#fault-vendor").select_option("kombo")
    page.get_by_label("Status").fill("429")
    page.get_by_role("button", name="Add fault").click()
    expect(page.locator("#act-result")).to_contain_text("Fault → 201")
    page.get_by_role("button", name="Try it: list interviews").click()
    expect(page.locator("#act-result")).to_contain_text("→ 429")
    expect(page.locator("#act-result")).to_contain_text("PLATFORM.RATE_LIMIT_EXCEEDED")
    row = page.locator("#journal tbody tr[data-status='429']").first
    expect(row).to_contain_text("/kombo/v1/ats/interviews")
    expect(row).to_contain_text("429")
    shot(page, "watch")
    page.get_by_role("button", name="Clear faults").click()
    expect(page.locator("#act-result")).to_contain_text("Clear faults → 200")


def test_setting_a_state_and_resetting_act_through_the_control_plane(page, server):
    signed_in(page, server)
    page.locator("#state-credential").select_option("kombo:greenhouse:8HqxVbUrvEoH4nFYeA9nm2Ut")
    page.locator("#state-value").select_option("paused")
    page.get_by_role("button", name="Set state").click()
    expect(page.locator("#act-result")).to_contain_text("Connection state → 200")
    expect(page.locator(".state[data-credential='kombo:greenhouse:8HqxVbUrvEoH4nFYeA9nm2Ut']")).to_have_text("paused")
    page.get_by_role("button", name="Fire webhook").click()
    expect(page.locator("#act-result")).to_contain_text("Fire webhook → ")
    page.get_by_role("button", name="Reset the sandbox").click()
    expect(page.locator("#act-result")).to_contain_text('Reset → 200\n{\n  "status": "reset"\n}')
    accounts = requests.get(server.url + "/_sandbox/accounts", headers=server.admin, timeout=PATIENCE).json()
    assert {a["state"] for a in accounts if a["id"] == "kombo:greenhouse:8HqxVbUrvEoH4nFYeA9nm2Ut"} == {"healthy"}
    shot(page, "act")


@pytest.mark.parametrize("width", [1280, 390])
def test_axe_finds_no_critical_accessibility_issue_on_a_laptop_or_a_phone(page, server, width):
    signed_in(page, server)
    page.set_viewport_size({"width": width, "height": 900})
    page.get_by_role("button", name="Load").click()
    expect(page.locator("#browse-page")).to_contain_text("Page 1")
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("async () => (await axe.run()).violations.map(v => ({id: v.id, impact: v.impact, "
                               "nodes: v.nodes.map(n => n.target.join(' '))}))")
    assert [v for v in violations if v["impact"] == "critical"] == []
    assert [v for v in violations if v["impact"] == "serious"] == []
    shot(page, f"axe-{width}")


def test_every_control_is_labelled_and_the_page_loads_nothing_from_outside_and_nothing_fails(page, server):
    outside, failed = [], []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(server.url) else None)
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    signed_in(page, server)
    page.wait_for_load_state("networkidle")
    unlabelled = page.evaluate("""() => [...document.querySelectorAll('input, select, button')]
        .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.textContent.trim())
        .map(e => e.outerHTML)""")
    assert unlabelled == [] and outside == [] and failed == []
    assert re.search(r"^<!doctype html>", requests.get(server.url + "/_sandbox/ui/static/app.js", timeout=PATIENCE).text) is None


def test_the_page_is_served_with_one_vendor_alone_and_is_not_journaled(tmp_path):
    from sandbox.app import create_app
    from sandbox.settings import Settings

    client = create_app(Settings(data_dir=tmp_path / "data", vendors=("merge",))).test_client()
    page = client.get("/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert b'<option value="merge">merge</option>' in page.data and b'value="kombo"' not in page.data
    assert client.get("/_sandbox/ui/static/app.css").status_code == 200
    assert client.get("/_sandbox/requests").json == []
