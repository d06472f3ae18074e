"""A Stripe-compatible payment sandbox: a small separate Flask app.

The real `stripe` library talks to it when its API base points here, so the shop's
payment code runs unchanged in tests and in `make run`:

    client = stripe.StripeClient("sk_test_sandbox",
                                 base_addresses={"api": "http://127.0.0.1:12111"})

It serves a subset of Stripe's API under `/v1` (Checkout Sessions, line items,
PaymentIntents, charges, refunds, events), a hosted checkout page under `/pay/<id>`,
signed webhook delivery with retries, and test-control endpoints under `/_sandbox/`.
All state lives in memory in one process. Start it with
`python -m shop.payments.sandbox --port 12111 --webhook-url http://127.0.0.1:5000/stripe/webhook`.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Sequence

from flask import Flask, request
from werkzeug.exceptions import HTTPException
from werkzeug.serving import WSGIRequestHandler, make_server

from . import api, control, hosted
from .params import SandboxError
from .signing import sign_payload
from .store import Sandbox
from .webhooks import DEFAULT_RETRY_DELAYS, Dispatcher

__all__ = [
    "DEFAULT_RETRY_DELAYS",
    "Sandbox",
    "SandboxServer",
    "create_sandbox_app",
    "get_sandbox",
    "run_sandbox",
    "sign_payload",
]


def create_sandbox_app(
    *,
    webhook_url: str | None,
    webhook_secret: str,
    api_key_prefix: str = "sk_test_",
    public_url: str,
    retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
    delivery_timeout: float = 10.0,
    sweep_interval: float = 1.0,
) -> Flask:
    """Build the sandbox app. `public_url` is where browsers reach it (for the hosted
    page's URL); `retry_delays` are the pauses between webhook delivery attempts."""
    app = Flask(__name__, static_folder=None)
    dispatcher = Dispatcher(
        url=webhook_url,
        secret=webhook_secret,
        retry_delays=retry_delays,
        timeout=delivery_timeout,
        tick_interval=sweep_interval,
    )
    sandbox = Sandbox(public_url=public_url, api_key_prefix=api_key_prefix, dispatcher=dispatcher)
    dispatcher.on_tick = sandbox.sweep
    app.extensions["stripe_sandbox"] = sandbox
    app.register_blueprint(api.bp)
    app.register_blueprint(hosted.bp)
    app.register_blueprint(control.bp)

    @app.before_request
    def _expire_overdue_sessions() -> None:
        sandbox.sweep()

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException):
        if request.path.startswith("/v1/"):
            if err.code in (404, 405):
                return api.unrecognized_url()
            shaped = SandboxError(err.description or "Error", status=err.code or 500)
        elif request.path.startswith("/_sandbox/"):
            shaped = SandboxError(err.description or "Error", status=err.code or 500)
        else:
            return err
        return api.json_response(shaped.body(), shaped.status)

    @app.errorhandler(Exception)
    def _crash(err: Exception):
        if isinstance(err, HTTPException):
            return _http_error(err)
        app.logger.exception("Stripe sandbox crashed")
        shaped = SandboxError(f"Sandbox error: {err!r}", status=500, type="api_error")
        return api.json_response(shaped.body(), 500)

    @app.get("/")
    def index():
        return {
            "name": "Stripe sandbox — test payments, no real money",
            "api": "/v1",
            "control": "/_sandbox/",
        }

    return app


def get_sandbox(app: Flask) -> Sandbox:
    return app.extensions["stripe_sandbox"]


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:  # no access log in tests
        pass


class SandboxServer:
    """The sandbox served on a background thread (port 0 picks a free port)::

    server = SandboxServer(webhook_url=None, webhook_secret="whsec_test").start()
    ... server.url ...
    server.stop()
    """

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, *, quiet: bool = True, **options
    ) -> None:
        public_url = options.pop("public_url", None)
        self.app = create_sandbox_app(public_url=public_url or "http://unbound", **options)
        handler = _QuietHandler if quiet else WSGIRequestHandler
        self.server = make_server(host, port, self.app, threaded=True, request_handler=handler)
        self.url = f"http://{host}:{self.server.port}"
        self.sandbox = get_sandbox(self.app)
        self.sandbox.public_url = (public_url or self.url).rstrip("/")
        self._thread = threading.Thread(target=self.server.serve_forever, name="stripe-sandbox")
        self._thread.daemon = True

    def start(self) -> SandboxServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.sandbox.dispatcher.stop()
        self._thread.join(timeout=5)


def run_sandbox(host: str = "127.0.0.1", port: int = 12111, **options) -> None:
    """Serve the sandbox in the foreground until interrupted."""
    options.setdefault("webhook_url", None)
    options.setdefault("webhook_secret", "whsec_" + secrets.token_urlsafe(24))
    options.setdefault("public_url", f"http://{host}:{port}")
    app = create_sandbox_app(**options)
    server = make_server(host, port, app, threaded=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        get_sandbox(app).dispatcher.stop()
