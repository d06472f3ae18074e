"""`make run`: the shop on 127.0.0.1:5000 with the payment sandbox beside it.

With no STRIPE_SECRET_KEY the built-in Stripe-compatible sandbox is started on
127.0.0.1:12111 (in the reloader's parent process only, so code reloads keep it) and its
webhooks are sent to this shop, signed with a secret made afresh at every start and given
to both sides (the reloaded child inherits it through the environment). With a real key
nothing extra starts.

The mail worker (`flask --app shop deliver-mail`) runs beside it as a child process, so
queued e-mail leaves through SMTP when `MAIL_SERVER` is set (without it, messages stay in
the outbox table and the worker says so and stops). So does the job worker
(`flask --app shop run-jobs`), which runs large CSV imports.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys

from shop import create_app
from shop.payments.gateway import SANDBOX_API_BASE, random_webhook_secret

HOST, PORT = "127.0.0.1", 5000
SANDBOX_PORT = 12111


def sandbox_environment() -> str:
    """Point this process (and the reloaded child) at the sandbox; the webhook secret."""
    os.environ.setdefault("SHOP_PAYMENTS_SANDBOX", "1")
    os.environ.setdefault("STRIPE_API_BASE", SANDBOX_API_BASE)
    os.environ.setdefault("STRIPE_WEBHOOK_SECRET", random_webhook_secret())
    return os.environ["STRIPE_WEBHOOK_SECRET"]


def main() -> None:
    os.environ.setdefault("FLASK_DEBUG", "1")
    if not os.environ.get("STRIPE_SECRET_KEY"):
        secret = sandbox_environment()
        if os.environ.get("WERKZEUG_RUN_MAIN") != "true":
            from shop.payments.sandbox import SandboxServer

            SandboxServer(
                "127.0.0.1",
                SANDBOX_PORT,
                webhook_url=f"http://{HOST}:{PORT}/stripe/webhook",
                webhook_secret=secret,
            ).start()
            print(f"  Payment sandbox (test payments, no real money) on {SANDBOX_API_BASE}")
    if os.environ.get("WERKZEUG_RUN_MAIN") != "true":  # once, not again in each reload
        start_worker("deliver-mail")
        start_worker("run-jobs")
    app = create_app()
    app.run(host=HOST, port=PORT, debug=True)


def start_worker(command: str) -> subprocess.Popen:
    """`flask --app shop <command>` beside the shop, stopped when the shop stops."""
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "shop", command], env=os.environ.copy()
    )
    atexit.register(worker.terminate)
    return worker


if __name__ == "__main__":
    main()
