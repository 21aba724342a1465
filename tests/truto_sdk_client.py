"""Run under Python 3.12 with truto-python-sdk: list every record of each resource of each
integrated account page by page with the SDK's pager, then get each by id. Prints JSON:
{account: {resource: {"listed": [...], "got": [...], "pages": N, "to_array": [ids]}}}.

Usage: truto_sdk_client.py BASE_URL TOKEN RESOURCE,RESOURCE ACCOUNT_ID...
"""

import asyncio
import json
import sys

from truto_python_sdk import TrutoApi


async def read(api: TrutoApi, account: str, resource: str) -> dict:
    pager = api.unified_api.list("ats", resource, {"integrated_account_id": account, "limit": 50})
    listed, pages = [], 0
    while True:
        items = await pager.next_page()  # one request, as the SDK pages
        pages += 1
        listed += items
        if not pager.next_cursor:
            break
    got = [await api.unified_api.get("ats", resource, item["id"], {"integrated_account_id": account})
           for item in listed]
    everything = await api.unified_api.list("ats", resource, {"integrated_account_id": account}).to_array()
    return {"listed": listed, "got": got, "pages": pages, "to_array": [i["id"] for i in everything]}


async def main() -> None:
    base_url, token, resources, *accounts = sys.argv[1:]
    api = TrutoApi(token=token, base_url=base_url)
    print(json.dumps({account: {resource: await read(api, account, resource) for resource in resources.split(",")}
                      for account in accounts}))


asyncio.run(main())
