"""What the dashboard offers to paste: a curl command, and a few lines of the vendor's own SDK (plain
HTTP for a vendor without a Python SDK) that list interviews through the sandbox."""

from __future__ import annotations

import shlex
from urllib.parse import urlencode


def curl(origin: str, credential: dict, path: str) -> str:
    query = "?" + urlencode(credential["query"]) if credential["query"] else ""
    headers = " ".join(f"-H {shlex.quote(f'{k}: {v}')}" for k, v in credential["headers"].items())
    return f"curl -s {shlex.quote(origin + path + query)} {headers}"


def _bearer(credential: dict) -> str:
    return credential["headers"]["Authorization"].removeprefix("Bearer ")


SDKS = {
    "merge": lambda base, c: f'''# pip install mergepythonclient
from merge import Merge

client = Merge(base_url="{base}", api_key="{_bearer(c)}", account_token="{c["headers"]["X-Account-Token"]}")
for interview in client.ats.interviews.list(page_size=5).results:
    print(interview.id, interview.status, interview.start_at)''',
    "kombo": lambda base, c: f'''# pip install kombo
from kombo import Kombo

kombo = Kombo(api_key="{_bearer(c)}", integration_id="{c["headers"]["X-Integration-Id"]}", server_url="{base}")
for interview in kombo.ats.get_interviews(page_size=5).result.data.results:
    print(interview.id, interview.title, interview.starting_at)''',
    "truto": lambda base, c: f'''# pip install truto-python-sdk  (Python 3.12 or newer)
import asyncio
from truto_python_sdk import TrutoApi

async def main():
    api = TrutoApi(token="{_bearer(c)}", base_url="{base}")
    pager = api.unified_api.list("ats", "interviews", {{"integrated_account_id": "{c["query"].get("integrated_account_id", "")}", "limit": 5}})
    for interview in await pager.next_page():
        print(interview["id"], interview.get("status"), interview.get("start_at"))

asyncio.run(main())''',
}


def sdk_snippet(vendor: str, base_url: str, credential: dict, listing_url: str) -> str:
    make = SDKS.get(vendor)
    if make is not None:
        return make(base_url, credential)
    # a vendor with no Python SDK (Bindbee): its paths over plain HTTP
    return f'''# pip install requests
import requests

page = requests.get("{listing_url}", headers={credential["headers"]!r},
                    params={{**{credential["query"]!r}, "page_size": 5}}, timeout=10)
print(page.status_code, page.json())'''
