"""`make run`: the shop on 127.0.0.1:5000 with the payment sandbox beside it.

With no STRIPE_SECRET_KEY the built-in Stripe-compatible sandbox is started on
127.0.0.1:12111 (in the reloader's parent process only, so code reloads keep it) and its
webhooks are sent to this shop. With a real key nothing extra starts.
"""

from __future__ import annotations

import os

from shop import create_app
from shop.payments.gateway import SANDBOX_API_BASE, SANDBOX_WEBHOOK_SECRET

HOST, PORT = "127.0.0.1", 5000
SANDBOX_PORT = 12111


def main() -> None:
    os.environ.setdefault("FLASK_DEBUG", "1")
    if not os.environ.get("STRIPE_SECRET_KEY"):
        os.environ.setdefault("STRIPE_API_BASE", SANDBOX_API_BASE)
        os.environ.setdefault("STRIPE_WEBHOOK_SECRET", SANDBOX_WEBHOOK_SECRET)
        if os.environ.get("WERKZEUG_RUN_MAIN") != "true":
            from shop.payments.sandbox import SandboxServer

            SandboxServer(
                "127.0.0.1",
                SANDBOX_PORT,
                webhook_url=f"http://{HOST}:{PORT}/stripe/webhook",
                webhook_secret=os.environ["STRIPE_WEBHOOK_SECRET"],
            ).start()
            print(f"  Payment sandbox (test payments, no real money) on {SANDBOX_API_BASE}")
    app = create_app()
    app.run(host=HOST, port=PORT, debug=True)


if __name__ == "__main__":
    main()
