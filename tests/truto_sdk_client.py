"""Run under Python 3.12 with truto-python-sdk: list every record of each resource of each
integrated account page by page with the SDK's pager, then get each by id. Prints JSON:
{account: {resource: {"listed": [...], "got": [...], "pages": N, "to_array": [ids]}}}; where the
list is refused, {"list_error": status}; where a get is refused, "get_error": status instead of "got".

Usage: truto_sdk_client.py BASE_URL TOKEN RESOURCE,RESOURCE ACCOUNT_ID[?NAME=VALUE&...]...
(the parameters after an account's id go with each of its list calls; its key in the output is the id)
"""

import asyncio
import json
import sys
from urllib.parse import parse_qsl

from aiohttp import ClientResponseError
from truto_python_sdk import TrutoApi


async def read(api: TrutoApi, account: str, resource: str, extra: dict) -> dict:
    pager = api.unified_api.list("ats", resource, {"integrated_account_id": account, "limit": 50, **extra})
    listed, pages = [], 0
    try:
        while True:
            items = await pager.next_page()  # one request, as the SDK pages
            pages += 1
            listed += items
            if not pager.next_cursor:
                break
    except ClientResponseError as exc:
        return {"list_error": exc.status}
    everything = await api.unified_api.list("ats", resource, {"integrated_account_id": account, **extra}).to_array()
    out = {"listed": listed, "pages": pages, "to_array": [i["id"] for i in everything]}
    try:
        out["got"] = [await api.unified_api.get("ats", resource, item["id"], {"integrated_account_id": account})
                      for item in listed]
    except ClientResponseError as exc:
        out["get_error"] = exc.status
    return out


async def main() -> None:
    base_url, token, resources, *accounts = sys.argv[1:]
    api = TrutoApi(token=token, base_url=base_url)
    out = {}
    for arg in accounts:
        account, _, extra = arg.partition("?")
        out[account] = {resource: await read(api, account, resource, dict(parse_qsl(extra)))
                        for resource in resources.split(",")}
    print(json.dumps(out))


asyncio.run(main())
