"""The request edge: trusted proxies, refusing control characters, security headers.

Everything here runs for every request before (or after) any view, in one place, so no
view has to remember it.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, request
from flask_wtf import FlaskForm
from werkzeug.middleware.proxy_fix import ProxyFix
from wtforms import TextAreaField

STRIPE_CHECKOUT_ORIGIN = "https://checkout.stripe.com"


def content_security_policy(checkout_origin: str, image_origin: str | None = None) -> str:
    """No inline script anywhere; forms may only go to us and to the payment page.

    Images may also come from the image storage's public origin (S3 or a CDN), if any.
    """
    return "; ".join(
        [
            "default-src 'self'",
            "img-src 'self' data:" + (f" {image_origin}" if image_origin else ""),
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


# --- trusted proxies ------------------------------------------------------------------------


def init_proxies(app: Flask) -> None:
    """Believe `X-Forwarded-For/-Proto/-Host` from exactly SHOP_TRUSTED_PROXIES proxies.

    Rate limits key on `request.remote_addr`: behind a proxy without this every client
    would share the proxy's address (and its limits); trusting more hops than there are
    proxies would let a client choose its own address.
    """
    hops = app.config["SHOP_TRUSTED_PROXIES"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


# --- control characters ----------------------------------------------------------------------

# C0 controls, DEL and C1 controls: never part of a slug, a number, a name or an e-mail,
# and PostgreSQL cannot even store NUL (it answers with an error, which would be a 500).
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# A textarea may hold tabs and line breaks, nothing else below the space.
CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Bodies read as bytes by their own code: Stripe's signed webhook (verified on the raw body).
RAW_BODY_ENDPOINTS = frozenset({"webhooks.receive"})


def multiline_fields() -> frozenset[str]:
    """Names of every TextAreaField on the app's forms: the only fields taking line breaks."""
    names: set[str] = set()
    pending = list(FlaskForm.__subclasses__())
    while pending:
        form = pending.pop()
        pending.extend(form.__subclasses__())
        for name, value in vars(form).items():
            field_class = getattr(value, "field_class", None)
            if isinstance(field_class, type) and issubclass(field_class, TextAreaField):
                names.add(name)
    return frozenset(names)


def control_character_problem() -> str | None:
    """Where the request carries a control character, or None when it is clean."""
    if CONTROL.search(request.path):
        return "the address"
    for key, value in request.args.items(multi=True):
        if CONTROL.search(key) or CONTROL.search(value):
            return "the query string"
    if request.method in ("GET", "HEAD") or request.endpoint in RAW_BODY_ENDPOINTS:
        return None
    text_fields = current_app.extensions.get("shop_multiline_fields")
    if text_fields is None:
        text_fields = current_app.extensions["shop_multiline_fields"] = multiline_fields()
    for key, value in request.form.items(multi=True):
        pattern = CONTROL_IN_TEXT if key in text_fields else CONTROL
        if CONTROL.search(key) or pattern.search(value):
            return f"the field {key[:40]!r}" if not CONTROL.search(key) else "a field name"
    return None  # file uploads (request.files) are checked by their own importers


def refuse_control_characters() -> None:
    problem = control_character_problem()
    if problem:
        abort(400, description=f"Control characters are not allowed in {problem}.")


# --- response headers ------------------------------------------------------------------------

# Pages with one visitor's cart, orders, account or the back office: never kept by the
# browser's history cache or a shared proxy, so the next person at a shared computer (or
# the proxy's next client) cannot read them back.
PRIVATE_BLUEPRINTS = frozenset(
    {
        "cart",
        "checkout",
        "accounts",
        "staff",
        "doctor",
        "invoices",
        "prescriptions",
        "prescriptions_staff",
    }
)
# The question form (it may come back holding what was typed) and what was just asked.
PRIVATE_ENDPOINTS = frozenset({"questions.ask", "questions.sent"})


def is_private_page() -> bool:
    return request.blueprint in PRIVATE_BLUEPRINTS or request.endpoint in PRIVATE_ENDPOINTS


def init_request_edge(app: Flask) -> None:
    """Refuse control characters before any view (or database access) runs."""
    init_proxies(app)
    app.before_request(refuse_control_characters)


def image_origin(config) -> str | None:
    """The origin browsers load uploaded images from when it is not the shop itself."""
    public = config.get("SHOP_S3_PUBLIC_URL") if config.get("SHOP_STORAGE") == "s3" else None
    if not public:
        return None
    parts = urlsplit(public)
    return f"{parts.scheme}://{parts.netloc}"


def init_security_headers(app: Flask) -> None:
    policy = content_security_policy(checkout_origin(app), image_origin(app.config))
    defaults = (
        ("Content-Security-Policy", policy),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("X-Frame-Options", "DENY"),
    )
    hsts = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")

    @app.after_request
    def add_security_headers(response):
        """Each header unless the view set its own (one pass over the response's headers:
        this runs on every request)."""
        headers = response.headers
        present = {name.lower() for name, _value in headers}
        wanted = (*defaults, hsts) if request.is_secure else defaults
        headers.extend([pair for pair in wanted if pair[0].lower() not in present])
        if is_private_page():
            headers["Cache-Control"] = "no-store"
        return response
