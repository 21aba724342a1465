"""`ats-sandbox serve | accounts`."""

from __future__ import annotations

import argparse
import gc
import ipaddress
import json
import sys

from sandbox.settings import Settings


def _settings(ns: argparse.Namespace) -> Settings:
    return Settings.from_env(host=ns.host, port=ns.port, workers=ns.workers, seed=ns.seed, fixtures=ns.fixtures,
                             data_dir=ns.data_dir, store=ns.store, now=getattr(ns, "now", None), vendors=ns.vendors,
                             rate_limit=getattr(ns, "rate_limit", None), journal_size=getattr(ns, "journal_size", None),
                             failure_limit=getattr(ns, "failure_limit", None) or None,
                             insecure_admin=getattr(ns, "insecure_admin", None) or None,
                           body_timeout=getattr(ns, "body_timeout", None))


def loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(settings: Settings) -> int:
    if not loopback(settings.host) and not settings.admin_token and not settings.insecure_admin:
        print(f"ats-sandbox: refusing to serve /_sandbox on {settings.host} without an admin token: set "
              "SANDBOX_ADMIN_TOKEN, or pass --insecure-admin to let anyone who reaches it read every credential "
              "and reset the data", file=sys.stderr)
        return 2
    from gunicorn.app.base import BaseApplication

    from sandbox.app import create_app
    from sandbox.http import worker

    class Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{settings.host}:{settings.port}")
            self.cfg.set("workers", settings.workers)
            self.cfg.set("worker_class", "sandbox.http.worker.SandboxWorker")  # gthread, reading requests whole
            # the app decides how long a request line or header may be, in the vendor's envelope
            self.cfg.set("limit_request_line", worker.LIMIT_REQUEST_LINE)
            self.cfg.set("limit_request_field_size", worker.LIMIT_REQUEST_FIELD_SIZE)
            self.cfg.set("threads", settings.threads)
            self.cfg.set("preload_app", True)  # generate once, before the workers fork
            self.cfg.set("accesslog", None)
            self.cfg.set("graceful_timeout", 5)
            self.cfg.set("keepalive", 30)
            self.cfg.set("control_socket_disable", True)  # one per user otherwise: servers side by side clash
            # each worker delivers webhooks from when it starts, before any request reaches it
            self.cfg.set("post_fork", lambda server, worker: self.flask_app.extensions["sandbox"].webhooks.start())

        def load(self):
            self.flask_app = create_app(settings)
            gc.freeze()  # what start-up built lives as long as the server: workers share it, unscanned
            return self.flask_app

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
            p.add_argument("--failure-limit", action="store_true",
                           help="Merge's limit of 20 failed requests per client address in 10 s (SANDBOX_FAILURE_LIMIT)")
            p.add_argument("--journal-size", type=int, help="requests the journal keeps (SANDBOX_JOURNAL_SIZE, default 1000)")
            p.add_argument("--body-timeout", type=float,
                           help="seconds a client has to send a whole request before it gets 408 (SANDBOX_BODY_TIMEOUT, default 10)")
            p.add_argument("--insecure-admin", action="store_true",
                           help="serve beyond loopback without SANDBOX_ADMIN_TOKEN (SANDBOX_INSECURE_ADMIN)")
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
