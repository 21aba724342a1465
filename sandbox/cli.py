"""`ats-sandbox serve | accounts`."""

from __future__ import annotations

import argparse
import gc
import json
import sys

from sandbox.settings import Settings


def _settings(ns: argparse.Namespace) -> Settings:
    return Settings.from_env(host=ns.host, port=ns.port, workers=ns.workers, seed=ns.seed, fixtures=ns.fixtures,
                             data_dir=ns.data_dir, store=ns.store, now=getattr(ns, "now", None), vendors=ns.vendors,
                             rate_limit=getattr(ns, "rate_limit", None))


def serve(settings: Settings) -> int:
    from gunicorn.app.base import BaseApplication

    from sandbox.app import create_app

    class Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{settings.host}:{settings.port}")
            self.cfg.set("workers", settings.workers)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", settings.threads)
            self.cfg.set("preload_app", True)  # generate once, before the workers fork
            self.cfg.set("accesslog", None)
            self.cfg.set("graceful_timeout", 5)
            self.cfg.set("keepalive", 30)
            self.cfg.set("control_socket_disable", True)  # one per user otherwise: servers side by side clash

        def load(self):
            app = create_app(settings)
            gc.freeze()  # what start-up built lives as long as the server: workers share it, unscanned
            return app

    Server().run()
    return 0


def accounts(settings: Settings, as_json: bool) -> int:
    from sandbox import fixtures
    from sandbox.accounts import Accounts
    from sandbox.vendors import registry

    vendors = {k: v for k, v in registry().items() if k in settings.vendors}
    listing = Accounts(fixtures.load(settings.fixtures, settings.seed), vendors).listing()
    if as_json:
        print(json.dumps(listing, indent=2))
        return 0
    for a in listing:
        creds = " ".join(f"-H '{k}: {v}'" for k, v in a["headers"].items())
        query = "&".join(f"{k}={v}" for k, v in a["query"].items())
        print(f"{a['vendor']:<8} {a['world']:<10} {a['platform']:<11} {a['base_url']}{'?' + query if query else ''}  {creds}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ats-sandbox", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (("serve", "run the sandbox under gunicorn"), ("accounts", "print every accepted credential")):
        p = sub.add_parser(name, help=text)
        p.add_argument("--host", help="bind address (SANDBOX_HOST, default 127.0.0.1)")
        p.add_argument("--port", type=int, help="port (SANDBOX_PORT, default 8080)")
        p.add_argument("--workers", type=int, help="gunicorn workers (SANDBOX_WORKERS, default 2)")
        p.add_argument("--seed", help="sandbox seed, overriding the fixtures' (SANDBOX_SEED)")
        p.add_argument("--fixtures", help="fixtures directory (SANDBOX_FIXTURES, default ./fixtures)")
        p.add_argument("--data-dir", help="where the store lives (SANDBOX_DATA_DIR, default .sandbox-data)")
        p.add_argument("--store", help="the store's URL (SANDBOX_STORE, default sqlite:///<data-dir>/sandbox.sqlite3)")
        p.add_argument("--vendors", help="comma-separated vendors to serve (SANDBOX_VENDORS, default all)")
        if name == "serve":
            p.add_argument("--now", help="freeze the sandbox clock at this ISO 8601 instant (SANDBOX_NOW)")
            p.add_argument("--rate-limit", type=int,
                           help="every vendor's rate limit per its window, instead of its default (SANDBOX_RATE_LIMIT)")
        else:
            p.add_argument("--json", action="store_true", help="print JSON")
    ns = parser.parse_args(argv)
    try:
        settings = _settings(ns)
    except ValueError as exc:
        parser.error(str(exc))
    if ns.command == "serve":
        return serve(settings)
    try:
        return accounts(settings, ns.json)
    except ValueError as exc:
        print(f"ats-sandbox: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
