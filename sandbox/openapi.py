"""What the sandbox serves for a vendor, as an OpenAPI 3.0 document: `GET /<vendor>/openapi.json`,
`ats-sandbox openapi VENDOR`.

Nothing here is written per vendor. The paths come from the vendor's endpoint declarations, the query
parameters and request bodies from their marshmallow schemas (through apispec), how credentials are
sent from the vendor's `describe`. The answers are sampled: a scratch sandbox on the packaged
fixtures, with a store of its own, renders every record of each listed kind and answers each
endpoint, and the schemas are inferred from those bodies, error bodies included (each provoked for
real: no credentials, a bad page size, an unknown id, a fault asking for 429 or 500).
"""

from __future__ import annotations

import re
import tempfile
import threading
from pathlib import Path
from typing import Iterable

import orjson
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from sandbox import __version__
from sandbox.http import errors
from sandbox.http.args import Choices, Flag, Whole
from sandbox.http.context import json_response, sandbox
from sandbox.http.endpoints import PageOut
from sandbox.settings import DEFAULT_FIXTURES, Settings

_DATE_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?")
_DATE = re.compile(r"\d{4}-\d\d-\d\d")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_URI = re.compile(r"https?://\S+")
_RULE_ARG = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")
FAULTS = (429, 500)
DESCRIPTION = ("What ats-sandbox serves for this vendor, generated from its declarations; answers are inferred "
               "from the bodies a scratch sandbox gives on the default fixtures, with no query parameters and with "
               "every flag and choice on.")  # every endpoint can answer these; their bodies are asked of the scratch sandbox


def infer(values: Iterable) -> dict:
    """The narrowest schema every value fits: types, nullability, string formats, and for objects
    their properties (required: present in every sample)."""
    by_type: dict[str, list] = {}
    nullable = False
    for v in values:
        if v is None:
            nullable = True
            continue
        kind = ("boolean" if isinstance(v, bool) else "integer" if isinstance(v, int) else
                "number" if isinstance(v, float) else "string" if isinstance(v, str) else
                "array" if isinstance(v, list) else "object")
        by_type.setdefault(kind, []).append(v)
    if "number" in by_type and "integer" in by_type:
        by_type["number"] += by_type.pop("integer")
    schemas = [_of_type(kind, vs) for kind, vs in by_type.items()]
    schema = schemas[0] if len(schemas) == 1 else {"anyOf": schemas} if schemas else {}
    return {**schema, "nullable": True} if nullable else schema


def _of_type(kind: str, values: list) -> dict:
    if kind == "object":
        keys = list(dict.fromkeys(k for v in values for k in v))
        if len(keys) > 2 * max(1, sum(map(len, values)) / len(values)):  # keys that vary: a free-form map (raw data)
            return {"type": "object", "additionalProperties": True}
        schema = {"type": "object", "properties": {k: infer(v[k] for v in values if k in v) for k in keys}}
        required = [k for k in keys if all(k in v for v in values)]
        return {**schema, "required": required} if required else schema
    if kind == "array":
        return {"type": "array", "items": infer(x for v in values for x in v)}
    if kind == "string":
        for fmt, pattern in (("date-time", _DATE_TIME), ("date", _DATE), ("uuid", _UUID), ("uri", _URI)):
            if all(pattern.fullmatch(v) for v in values):
                return {"type": "string", "format": fmt}
    return {"type": kind}


def _declared(self, field, **kwargs) -> dict:
    """A custom field's own OpenAPI description (`openapi` on its class), and the bounds and choices
    the sandbox's fields carry."""
    out = dict(getattr(field, "openapi", {}))
    if isinstance(field, Whole):
        out.update({k: v for k, v in (("minimum", field.minimum), ("maximum", field.maximum)) if v is not None})
    if isinstance(field, Choices):
        out["description"] = "comma-separated, each one of: " + ", ".join(field.choices)
    if isinstance(field.load_default, (frozenset, tuple)):  # a list's default, as the query string spells it
        out["default"] = ",".join(sorted(field.load_default))
    return out


def document(vendor, create_app) -> dict:
    """The OpenAPI document of what is served for `vendor`, sampled from a scratch sandbox that
    `create_app(settings, vendors=...)` makes (app.create_app: passed in, as the app serves this)."""
    with tempfile.TemporaryDirectory(prefix="ats-sandbox-openapi-") as scratch:
        describer = _Describer(vendor, scratch, create_app)
        try:
            return describer.document()
        finally:
            describer.sb.close()


def view(create_app):
    """`GET /<vendor>/openapi.json`: each served vendor's document, open to all like the vendors' own,
    sampled once per process (a scratch sandbox takes a few seconds), not once per request."""
    documenting = threading.Lock()

    def openapi_document(vendor: str):
        sb = sandbox()
        served = sb.accounts.vendors.get(vendor)
        if served is None:
            raise errors.NotFound(f"No vendor {vendor!r} is served here; these are: "
                                  f"{', '.join(sorted(sb.accounts.vendors))}.")
        with documenting:
            if vendor not in sb.documents:
                sb.documents[vendor] = orjson.dumps(document(served, create_app))
        return json_response(sb.documents[vendor])

    return openapi_document


class _Describer:
    def __init__(self, vendor, scratch: str, create_app):
        self.vendor = vendor
        settings = Settings(fixtures=DEFAULT_FIXTURES, data_dir=Path(scratch), vendors=(vendor.name,), journal_size=1)
        self.app = create_app(settings, vendors={vendor.name: vendor})
        self.sb = self.app.extensions["sandbox"]
        self.client = self.app.test_client()
        self.credential = next(c for c in self.sb.fixtures.credentials if c.vendor == vendor.name and c.state == "healthy")
        self.sent = vendor.describe(self.credential)
        plugin = MarshmallowPlugin()
        self.spec = APISpec(title=f"ats-sandbox: {vendor.name}", version=__version__, openapi_version="3.0.3",
                            plugins=[plugin], info={"description": DESCRIPTION},
                            servers=[{"url": vendor.mount}])
        plugin.converter.add_attribute_function(_declared)
        self.converter = plugin.converter

    # ---- the document ----

    def document(self) -> dict:
        self._security()
        paths: dict[str, dict] = {}
        for endpoint in self.vendor.endpoints:
            path = _RULE_ARG.sub(r"{\1}", endpoint.path)
            for method in endpoint.methods:
                paths.setdefault(path, {})[method.lower()] = self._operation(endpoint, method, path)
        for path, operations in paths.items():
            self.spec.path(path=path, operations=operations)
        return self.spec.to_dict()

    def _security(self) -> None:
        schemes = {}
        for header in self.sent["headers"]:
            if header == "Authorization":
                schemes["bearer"] = {"type": "http", "scheme": "bearer"}
            else:
                schemes[header] = {"type": "apiKey", "in": "header", "name": header}
        for name in self.sent["query"]:
            schemes[name] = {"type": "apiKey", "in": "query", "name": name}
        for name, scheme in schemes.items():
            self.spec.components.security_scheme(name, scheme)
        self.spec.options["security"] = [{name: [] for name in schemes}]

    def _operation(self, endpoint, method: str, path: str) -> dict:
        kind = type(endpoint).__name__
        operation: dict = {"operationId": f"{method.lower()}_{path.strip('/').replace('/', '_').replace('{', '').replace('}', '').replace('-', '_')}",
                           "parameters": [{"in": "path", "name": name, "required": True, "schema": {"type": "string"}}
                                          for name in _RULE_ARG.findall(endpoint.path)]}
        args = endpoint.args
        if args is not None and args.fields:
            operation["parameters"] += self.converter.schema2parameters(args, location="query")
        if getattr(endpoint, "body", None) is not None:
            operation["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": self.converter.schema2jsonschema(endpoint.body)}}}
        answers = self._answers(endpoint, method, kind)
        operation["responses"] = {str(status): {"description": _REASONS.get(status, "answer"),
                                                "content": {"application/json": {"schema": schema}}}
                                  for status, schema in sorted(answers.items())}
        return operation

    # ---- sampling ----

    def _answers(self, endpoint, method: str, kind: str) -> dict[int, dict]:
        """Status -> the schema of the bodies answered with it, sampled from the scratch sandbox."""
        bodies: dict[int, list] = {}

        def sample(**request) -> None:
            status, body = self._request(method, endpoint.path, **request)
            if body is not None:
                bodies.setdefault(status, []).append(body)

        rendered = {}
        if kind in ("Listing", "Retrieve"):  # every record, rather than the few a request would show
            records = [r for w in self.sb.fixtures.worlds for query in ({}, _everything(endpoint.args))
                       for r in endpoint.every_record(self.sb, w.key, query)]
            rendered[200] = infer(records)
        if kind == "Listing":
            with self.app.test_request_context():
                pages = [orjson.loads(endpoint.envelope(b",".join(orjson.dumps(r) for r in records[:2]), out))
                         for out in (PageOut("cursor", "cursor", 2), PageOut(None, None, 2))]
            rendered[200] = _with_items(infer(pages), infer(records[:2]), rendered[200])
            sample(query={endpoint.cursor_arg: "not-a-cursor"})
            sample(query={"page_size": "0"})
        elif kind == "Retrieve":
            sample(record_id="no-such-record")
        else:
            sample(example=endpoint.example)
            if endpoint.args is not None:  # and with every flag on (Merge's debug mode adds `logs`)
                sample(example=endpoint.example, query=_everything(endpoint.args))
        sample(credentials=False)
        for status in FAULTS:
            sample(headers={"X-Sandbox-Fault": str(status)})
        return {**{status: infer(sampled) for status, sampled in bodies.items()}, **rendered}

    def _request(self, method: str, rule: str, *, query: dict | None = None, headers: dict | None = None,
                 credentials: bool = True, record_id: str | None = None, example=None) -> tuple[int, object]:
        """One request to the scratch sandbox: its status and its JSON body (None if it has none)."""
        values, body = {"record_id": record_id or "sample"}, None
        if example is not None:
            values, body = example(self.sb, self.credential)
        path = self.vendor.mount + _RULE_ARG.sub(lambda m: str(values.get(m.group(1), "sample")), rule)
        send = {**(self.sent["headers"] if credentials else {}), **(headers or {})}
        query = {**(self.sent["query"] if credentials else {}), **(query or {})}
        r = self.client.open(path, method=method, headers=send, query_string=query,
                             **({"json": body} if body is not None else {}))
        return r.status_code, r.get_json(silent=True)


def _everything(args) -> dict[str, str]:
    """A query asking for all there is: every flag on, every choice chosen (expanded relations, raw data)."""
    out = {}
    for name, field in args.fields.items():
        if isinstance(field, Flag) or getattr(field, "openapi", {}).get("type") == "boolean":
            out[name] = "true"
        elif isinstance(field, Choices):
            out[name] = ",".join(field.choices)
    return out


def _with_items(envelope: dict, sampled: dict, record: dict) -> dict:
    """The page's schema, with the array that held the sampled records holding the full record schema."""
    if envelope.get("type") == "array" and envelope.get("items") == sampled:
        return {**envelope, "items": record}
    if envelope.get("type") == "object":
        return {**envelope, "properties": {k: _with_items(v, sampled, record)
                                           for k, v in envelope.get("properties", {}).items()}}
    return envelope


_REASONS = {200: "OK", 201: "Created", 202: "Accepted", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
            404: "Not Found", 409: "Conflict", 422: "Unprocessable Entity", 429: "Too Many Requests",
            500: "Internal Server Error"}
