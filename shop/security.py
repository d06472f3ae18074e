"""Security headers sent with every response."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, request

STRIPE_CHECKOUT_ORIGIN = "https://checkout.stripe.com"


def content_security_policy(checkout_origin: str) -> str:
    """No inline script anywhere; forms may only go to us and to the payment page."""
    return "; ".join(
        [
            "default-src 'self'",
            "img-src 'self' data:",
            "script-src 'self'",
            "style-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            f"form-action 'self' {checkout_origin}",
            "frame-ancestors 'none'",
        ]
    )


def checkout_origin(app: Flask) -> str:
    """Where POST /checkout redirects: Stripe's hosted page, or the sandbox's."""
    if app.config.get("PAYMENTS_SANDBOX"):
        parts = urlsplit(app.config["STRIPE_API_BASE"])
        return f"{parts.scheme}://{parts.netloc}"
    return STRIPE_CHECKOUT_ORIGIN


def init_security_headers(app: Flask) -> None:
    policy = content_security_policy(checkout_origin(app))

    @app.after_request
    def add_security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", policy)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
