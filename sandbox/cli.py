"""ats-sandbox: a sandbox server that answers like Merge, Kombo, Truto and Bindbee's ATS APIs.

  ats-sandbox serve                          serve the default fixtures on http://127.0.0.1:8080
  ats-sandbox accounts                       the credentials it accepts, and where to send them
  ats-sandbox dump acme --vendor merge       a world as a vendor renders it, one JSON object a line
  ats-sandbox openapi merge                  what it serves for a vendor, as an OpenAPI 3 document

Against a running server (--url, default http://127.0.0.1:8080; --admin-token when it has one):

  ats-sandbox reset                          back to the generated worlds
  ats-sandbox clock --advance PT2H           the sandbox clock: show, --set, --advance, --freeze
  ats-sandbox simulate acme created=2        upstream changes in a world
  ats-sandbox fault --vendor merge --status 503 --times 1    a fault rule; --list, --clear

Every flag of `serve` is also a SANDBOX_* variable; `ats-sandbox COMMAND --help` lists a command's.
Each command imports what it uses when it runs, so that the others (and --help) start at once.
"""

from __future__ import annotations

import argparse
import gc
import ipaddress
import json
import os
import sys
import tempfile
from urllib.parse import quote
from dataclasses import replace

import orjson

from sandbox import __version__
from sandbox.settings import Settings

DEFAULT_URL = "http://127.0.0.1:8080"


def _settings(ns: argparse.Namespace) -> Settings:
    """Settings from the variables, and the flags this command has; a switch left off leaves its variable be."""
    flags = {name: getattr(ns, name, None) for name in ("host", "port", "workers", "seed", "fixtures", "data_dir",
                                                         "store", "now", "vendors", "rate_limit", "journal_size",
                                                         "body_timeout")}
    switches = {name: getattr(ns, name, False) or None for name in ("failure_limit", "insecure_admin")}
    return Settings.from_env(**flags, **switches)


def loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.removeprefix("[").removesuffix("]")).is_loopback
    except ValueError:
        return False


def bind_address(host: str, port: int) -> str:
    """gunicorn's `bind`: an IPv6 address in brackets (`[::1]:8080`), given with them or without."""
    bare = host.removeprefix("[").removesuffix("]")
    return f"[{bare}]:{port}" if ":" in bare else f"{host}:{port}"


def latency(text: str) -> int | list[int]:
    """--latency: N milliseconds, or LOW-HIGH."""
    low, dash, high = text.partition("-")
    if not (low.isdigit() and (not dash or high.isdigit())) or (dash and int(low) > int(high)):
        raise argparse.ArgumentTypeError(f"takes milliseconds, N or LOW-HIGH (50, 100-250), not {text!r}")
    return [int(low), int(high)] if dash else int(low)


class Parser(argparse.ArgumentParser):
    def error(self, message: str):
        """A wrong argument is one line and status 2 (argparse would print the usage above it too)."""
        self.exit(2, f"{self.prog}: error: {message}\n")


def serve(settings: Settings) -> int:
    if not loopback(settings.host) and not settings.admin_token and not settings.insecure_admin:
        print(f"ats-sandbox: refusing to serve /_sandbox on {settings.host} without an admin token: set "
              "SANDBOX_ADMIN_TOKEN, or pass --insecure-admin to let anyone who reaches it read every credential "
              "and reset the data", file=sys.stderr)
        return 2
    import logging

    from gunicorn.app.base import BaseApplication

    from sandbox.app import create_app
    from sandbox.http import server

    class Server(BaseApplication):
        def load_config(self):
            given = {
                "bind": bind_address(settings.host, settings.port),
                "workers": settings.workers,
                "worker_class": "sandbox.http.server.Worker",  # gunicorn's gthread, its error pages in JSON
                "threads": settings.threads,
                # the app decides how long a request line or header may be, in the vendor's envelope
                "limit_request_line": server.LIMIT_REQUEST_LINE,
                "limit_request_field_size": server.LIMIT_REQUEST_FIELD_SIZE,
                "preload_app": True,  # generate once, before the workers fork
                "accesslog": None,
                "graceful_timeout": 5,
                "keepalive": 30,
                # each worker delivers webhooks from when it starts, before any request reaches it
                "post_fork": lambda arbiter, worker: self.flask_app.extensions["sandbox"].webhooks.start(),
                # one control socket per user otherwise: servers side by side clash
                "control_socket_disable": True,
            }
            for name, value in given.items():
                self.cfg.set(name, value)

        def load(self):
            logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
            self.flask_app = create_app(settings)
            gc.freeze()  # what start-up built lives as long as the server: workers share it, unscanned
            return self.flask_app

    Server().run()
    return 0


def accounts(settings: Settings, as_json: bool) -> int:
    from sandbox.accounts import Accounts
    from sandbox.vendors import load_fixtures, registry

    vendors = {k: v for k, v in registry().items() if k in settings.vendors}
    listing = Accounts(load_fixtures(settings.fixtures, settings.seed), vendors).listing()
    if as_json:
        print(json.dumps(listing, indent=2))
        return 0
    # one block per vendor, its credentials by world; INTERVIEWS says what the vendor serves of the
    # platform's interviews ("refused": its interview endpoints answer its refusal)
    rows = []
    for vendor in dict.fromkeys(a["vendor"] for a in listing):
        rows.append((vendor.upper(),))
        for a in (a for a in listing if a["vendor"] == vendor):
            query = "&".join(f"{k}={v}" for k, v in a["query"].items())
            send = " ".join([f"{a['base_url']}{'?' + query if query else ''}",
                             *(f"-H '{k}: {v}'" for k, v in a["headers"].items())])
            rows.append((a["world"], a["platform"], ", ".join(a["interviews"]) or "refused", a["state"], send))
    head = ("WORLD", "PLATFORM", "INTERVIEWS", "STATE")
    widths = [max(len(r[i]) for r in [head, *rows] if len(r) > 1) for i in range(4)]
    print("  ".join([*(cell.ljust(w) for cell, w in zip(head, widths)), "SEND"]))
    for row in rows:
        if len(row) == 1:
            print(f"\n{row[0]}")
        else:
            print("  ".join([*(cell.ljust(w) for cell, w in zip(row, widths)), row[4]]))
    return 0


def dump(settings: Settings, world: str, vendor_name: str, resource: str) -> int:
    """The world as generated from the fixtures, through one vendor's listing of `resource`."""
    from sandbox.app import create_app
    from sandbox.http.endpoints import Listing
    from sandbox.world.kinds import KINDS

    with tempfile.TemporaryDirectory(prefix="ats-sandbox-dump-") as scratch:  # never a running server's store
        scratch_settings = replace(settings.with_values(data_dir=scratch, vendors=(vendor_name,)), store=None)
        sb = create_app(scratch_settings).extensions["sandbox"]
        try:
            if world not in {w.key for w in sb.fixtures.worlds}:
                raise ValueError(f"no world {world!r}; the worlds are {', '.join(w.key for w in sb.fixtures.worlds)}")
            listings = {KINDS[e.kind].attr: e for e in sb.accounts.vendors[vendor_name].endpoints
                        if isinstance(e, Listing)}
            if resource not in listings:
                raise ValueError(f"{vendor_name} lists no {resource}; it lists {', '.join(sorted(listings))}")
            write = sys.stdout.buffer.write
            for record in listings[resource].every_record(sb, world):
                write(orjson.dumps(record) + b"\n")
            sys.stdout.flush()
        finally:
            sb.close()
    return 0


def openapi(vendor_name: str) -> int:
    from sandbox.app import create_app
    from sandbox.openapi import document
    from sandbox.vendors import registry

    vendors = registry()
    if vendor_name not in vendors:
        raise ValueError(f"unknown vendor {vendor_name!r}; known: {', '.join(vendors)}")
    print(json.dumps(document(vendors[vendor_name], create_app), indent=2))
    return 0


def control(ns: argparse.Namespace) -> int:
    """One call to a running server's control plane; its answer, as JSON."""
    from sandbox.client import Sandbox

    sandbox = Sandbox(ns.url, admin_token=ns.admin_token)
    if ns.command == "reset":
        answer = sandbox.reset()
    elif ns.command == "clock":
        if ns.set is None and ns.advance is None and ns.frozen is None:
            answer = sandbox.clock.get()
        else:
            body = {"now": ns.set, "advance": ns.advance, "frozen": ns.frozen, "simulate": ns.simulate or None}
            answer = sandbox.call("POST", "/clock", {k: v for k, v in body.items() if v is not None})
    elif ns.command == "simulate":
        counts = {}
        for pair in ns.counts:
            change, _, count = pair.partition("=")
            if not count.isdigit():
                raise ValueError(f"expected CHANGE=COUNT (created=2), not {pair!r}")
            counts[change] = int(count)
        window = {k: v for k, v in (("from", ns.start), ("to", ns.end)) if v}
        answer = sandbox.call("POST", f"/worlds/{quote(ns.world, safe='')}/simulate", {**counts, **window})
    elif ns.list:
        answer = sandbox.faults()
    elif ns.clear:
        sandbox.clear_faults()
        answer = {"status": "ok"}
    else:
        names = ("vendor", "credential", "world", "method", "path", "status", "action", "times", "every",
                 "probability", "seed")
        rule = {name: getattr(ns, name) for name in names if getattr(ns, name) is not None}
        if ns.latency is not None:
            rule["latency"] = ns.latency
        if ns.drift:
            rule["drift"] = ns.drift.split(",")
        answer = sandbox.fault(**rule)
    print(json.dumps(answer, indent=2))
    return 0


def parser() -> argparse.ArgumentParser:
    top = Parser(prog="ats-sandbox", description=__doc__,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    top.add_argument("--version", action="version", version=f"ats-sandbox {__version__}")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def data_flags(p, store: bool = True):
        p.add_argument("--seed", help="sandbox seed, overriding the fixtures' (SANDBOX_SEED)")
        p.add_argument("--fixtures", help="fixtures directory (SANDBOX_FIXTURES, default: the packaged fixtures)")
        p.add_argument("--vendors", help="comma-separated vendors to serve (SANDBOX_VENDORS, default all)")
        if store:
            p.add_argument("--data-dir", help="where the store lives (SANDBOX_DATA_DIR, default .sandbox-data)")
            p.add_argument("--store", help="the store's URL (SANDBOX_STORE, default sqlite:///<data-dir>/sandbox.sqlite3)")

    p = sub.add_parser("serve", help="run the sandbox under gunicorn")
    p.add_argument("--host", help="bind address (SANDBOX_HOST, default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (SANDBOX_PORT, default 8080)")
    p.add_argument("--workers", type=int, help="gunicorn workers (SANDBOX_WORKERS, default 2)")
    data_flags(p)
    p.add_argument("--now", help="freeze the sandbox clock at this ISO 8601 instant (SANDBOX_NOW)")
    p.add_argument("--rate-limit", type=int,
                   help="every vendor's rate limit per its window, instead of its default (SANDBOX_RATE_LIMIT)")
    p.add_argument("--failure-limit", action="store_true",
                   help="Merge's limit of 20 failed requests per client address in 10 s (SANDBOX_FAILURE_LIMIT)")
    p.add_argument("--journal-size", type=int, help="requests the journal keeps (SANDBOX_JOURNAL_SIZE, default 1000)")
    p.add_argument("--body-timeout", type=float,
                   help="seconds a client has to send a body, once its headers are in, before it gets 408 (SANDBOX_BODY_TIMEOUT, default 10)")
    p.add_argument("--insecure-admin", action="store_true",
                   help="serve beyond loopback without SANDBOX_ADMIN_TOKEN (SANDBOX_INSECURE_ADMIN)")

    p = sub.add_parser("accounts", help="print every credential the sandbox accepts")
    data_flags(p, store=False)
    p.add_argument("--json", action="store_true", help="print JSON, as GET /_sandbox/accounts answers")

    p = sub.add_parser("dump", help="print a world as a vendor renders it, one JSON object a line")
    p.add_argument("world", help="a world's key (acme, globex, ...)")
    p.add_argument("--vendor", required=True, help="whose rendering: merge, kombo, truto or bindbee")
    p.add_argument("--resource", default="interviews", help="what to list (default interviews; jobs, candidates, ...)")
    data_flags(p, store=False)

    p = sub.add_parser("openapi", help="print the OpenAPI 3 document of what is served for a vendor")
    p.add_argument("vendor", help="merge, kombo, truto or bindbee")

    def remote(name: str, text: str):
        p = sub.add_parser(name, help=text)
        p.add_argument("--url", default=os.environ.get("ATS_SANDBOX_URL") or DEFAULT_URL,
                       help=f"the running server (ATS_SANDBOX_URL, default {DEFAULT_URL})")
        p.add_argument("--admin-token", default=os.environ.get("SANDBOX_ADMIN_TOKEN") or None,
                       help="its admin token (SANDBOX_ADMIN_TOKEN)")
        return p

    remote("reset", "put a running server back to its generated worlds, with an empty journal")
    p = remote("clock", "show or move a running server's clock")
    p.add_argument("--set", metavar="ISO", help="set it to this instant (2026-12-01T09:00:00Z)")
    p.add_argument("--advance", metavar="DURATION", help="move it on by an ISO 8601 duration (PT2H, P1D)")
    p.add_argument("--simulate", action="store_true", help="with --advance: what would happen upstream meanwhile")
    p.add_argument("--freeze", dest="frozen", action="store_const", const=True, help="stop it")
    p.add_argument("--unfreeze", dest="frozen", action="store_const", const=False, help="let it run")
    p = remote("simulate", "make upstream changes in a world of a running server")
    p.add_argument("world")
    p.add_argument("counts", nargs="*", metavar="CHANGE=COUNT",
                   help="created, rescheduled, completed, cancelled, deleted (interviews)")
    p.add_argument("--from", dest="start", metavar="ISO", help="the window's start")
    p.add_argument("--to", dest="end", metavar="ISO", help="the window's end")
    p = remote("fault", "add a fault rule to a running server (or --list, --clear)")
    p.add_argument("--list", action="store_true", help="print the rules")
    p.add_argument("--clear", action="store_true", help="remove every rule")
    for flag, kind, text in (("vendor", str, "only this vendor's requests"), ("credential", str, "only this credential's (an id)"),
                             ("world", str, "only this world's"), ("method", str, "only this method"),
                             ("path", str, "only paths matching this glob"), ("status", int, "answer this status"),
                             ("latency", latency, "wait this many ms, or LOW-HIGH"),
                             ("action", str, "reset, empty, truncate or drift"),
                             ("drift", str, "with --action drift: enum,new,missing,null"),
                             ("times", int, "the first N matches only"), ("every", int, "every Nth match"),
                             ("probability", float, "each match with this probability"),
                             ("seed", str, "the probability's seed")):
        p.add_argument(f"--{flag}", type=kind, help=text)
    return top


def main(argv: list[str] | None = None) -> int:
    """The command, and its output written out before the process ends: a reader that went away
    (`| head -1`) ends it quietly, as it ends `git log`."""
    try:
        try:
            return _command(argv)
        finally:
            sys.stdout.flush()
    except BrokenPipeError:
        # nothing more is written, and the interpreter's last flush must not fail either
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _command(argv: list[str] | None) -> int:
    args = parser()
    ns = args.parse_args(argv)
    if ns.command in ("reset", "clock", "simulate", "fault"):
        return _quietly(lambda: control(ns))
    try:
        settings = _settings(ns)
    except ValueError as exc:
        args.exit(2, f"{args.prog} {ns.command}: error: {exc}\n")
    if ns.command == "serve":
        return serve(settings)
    if ns.command == "accounts":
        return _quietly(lambda: accounts(settings, ns.json))
    if ns.command == "dump":
        return _quietly(lambda: dump(settings, ns.world, ns.vendor, ns.resource))
    return _quietly(lambda: openapi(ns.vendor))


def _quietly(run) -> int:
    """`run()`, with the answers a script meets as one line on stderr, not a traceback: a wrong name,
    a server that is not there or refuses."""
    from sandbox.client import ControlError

    try:
        return run()
    except ValueError as exc:
        print(f"ats-sandbox: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # (an OSError too): main ends quietly
        raise
    except ControlError as exc:
        print(f"ats-sandbox: the server answered {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"ats-sandbox: {getattr(exc, 'reason', exc)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
