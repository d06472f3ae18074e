"""`python -m shop.payments.sandbox`: serve the Stripe sandbox in the foreground."""

from __future__ import annotations

import argparse
import secrets

from . import run_sandbox
from .webhooks import DEFAULT_RETRY_DELAYS


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m shop.payments.sandbox",
        description="Stripe-compatible sandbox: test payments, no real money.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument(
        "--webhook-url",
        default=None,
        help="where signed events are POSTed (omit to only record them)",
    )
    parser.add_argument(
        "--webhook-secret",
        default=None,
        help="signing secret shared with the shop (default: a random one, printed)",
    )
    parser.add_argument("--api-key-prefix", default="sk_test_")
    parser.add_argument(
        "--public-url", default=None, help="base URL browsers use (default http://HOST:PORT)"
    )
    parser.add_argument(
        "--retry-delays",
        default=",".join(str(d) for d in DEFAULT_RETRY_DELAYS),
        help="comma-separated seconds between webhook delivery attempts",
    )
    args = parser.parse_args(argv)
    secret = args.webhook_secret or "whsec_" + secrets.token_urlsafe(24)
    delays = tuple(float(part) for part in args.retry_delays.split(",") if part.strip())
    public_url = args.public_url or f"http://{args.host}:{args.port}"
    print(f"Stripe sandbox — test payments, no real money — on {public_url}", flush=True)
    print(f"  webhooks → {args.webhook_url or '(recorded only)'}", flush=True)
    if not args.webhook_secret:
        print(f"  signed with STRIPE_WEBHOOK_SECRET={secret}", flush=True)
    run_sandbox(
        args.host,
        args.port,
        webhook_url=args.webhook_url,
        webhook_secret=secret,
        api_key_prefix=args.api_key_prefix,
        public_url=public_url,
        retry_delays=delays,
    )


if __name__ == "__main__":
    main()
