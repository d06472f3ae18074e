"""Shopper sessions for the cart targets, prepared in Python before any load.

The shop keeps a guest's session in a signed cookie (`session`) and protects every
form with a CSRF token tied to that session; the first add to cart creates the cart
and stores its token in the session. wrk cannot follow such a flow, so each visitor is
set up here with `http.client`, one step at a time, the way a browser would:

1. GET the landing page (a product page): the answer sets the session cookie, and the
   page carries the session's CSRF token in `<meta name="csrf-token" content="...">`.
2. POST /cart/add (`csrf_token`, `variant_id`, `quantity=1`) for each variant of the
   visitor's cart; each must answer 303 to /cart.
3. GET /cart, as the browser does after the redirect; this also consumes the flashed
   "Added ..." message, so the kept cookie carries no pending message.

The visitor keeps the cookie the server returned last. Its `Cookie` header value and
token then go into the target's `cookie`, `csrf` and `visitor` fields (see
`bench.load`), and the load rotates over them.

`server_counts` reads, straight from the database, what the cart targets should have
changed (cart units, orders, the page-cache content version), so a run can compare the
server's own count of writes with the successful requests the load tool saw.
"""

from __future__ import annotations

import html
import http.client
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode, urlsplit

from sqlalchemy import create_engine, text

from bench.load import VISITOR_FIELDS, Target, Visitors

CSRF_META = re.compile(r'<meta\s+name="csrf-token"\s+content="([^"]+)"')
ALERT = re.compile(r'role="alert"[^>]*>(.*?)</', re.S)
TITLE = re.compile(r"<title>(.*?)</title>", re.S)
PREPARE_THREADS = 4


class VisitorError(RuntimeError):
    """A visitor could not be prepared, or a precheck request got the wrong answer."""


@dataclass
class Answer:
    """One HTTP response, read in full."""

    status: int
    headers: dict[str, str]
    set_cookies: list[str]
    body: str

    def message(self) -> str:
        """The page's error message (its alert, else its title), for reports."""
        match = ALERT.search(self.body) or TITLE.search(self.body)
        text_ = re.sub(r"<[^>]+>|\s+", " ", match[1]).strip() if match else self.body[:120]
        return html.unescape(text_)


def send(
    base_url: str,
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = 30.0,
) -> Answer:
    """Send one request and return the answer; redirects are not followed."""
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        content = response.read().decode("utf-8", "replace")
        return Answer(
            status=response.status,
            headers={k.lower(): v for k, v in response.getheaders()},
            set_cookies=response.headers.get_all("Set-Cookie") or [],
            body=content,
        )
    finally:
        conn.close()


@dataclass
class Browser:
    """A cookie jar good enough for one host: keeps name=value, drops emptied cookies."""

    base_url: str
    cookies: dict[str, str] = field(default_factory=dict)

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> Answer:
        headers = {"Cookie": self.cookie_header} if self.cookies else {}
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        answer = send(self.base_url, method, path, headers, body)
        for line in answer.set_cookies:
            name, _, rest = line.partition("=")
            value = rest.split(";", 1)[0].strip()
            if value:
                self.cookies[name.strip()] = value
            else:
                self.cookies.pop(name.strip(), None)
        return answer


@dataclass(frozen=True)
class Visitor:
    """A prepared shopper: its Cookie header value and its session's CSRF token."""

    cookie: str
    csrf_token: str


def prepare_visitor(base_url: str, number: int, landing: str, cart: tuple[int, ...]) -> Visitor:
    """Run steps 1-3 of the module docstring for one visitor; VisitorError on failure."""
    browser = Browser(base_url)

    def fail(step: str, answer: Answer, wanted: str) -> VisitorError:
        return VisitorError(
            f"visitor {number}: {step} -> HTTP {answer.status}"
            + (f" (Location {answer.headers['location']})" if "location" in answer.headers else "")
            + f", wanted {wanted}: {answer.message()}"
        )

    page = browser.request("GET", landing)
    if page.status != 200:
        raise fail(f"GET {landing}", page, "200")
    match = CSRF_META.search(page.body)
    if match is None:
        raise VisitorError(f'visitor {number}: GET {landing} has no <meta name="csrf-token">')
    token = html.unescape(match[1])
    if "session" not in browser.cookies:
        raise VisitorError(f"visitor {number}: GET {landing} set no session cookie")
    for variant_id in cart:
        form = {"csrf_token": token, "variant_id": str(variant_id), "quantity": "1"}
        added = browser.request("POST", "/cart/add", form)
        if added.status != 303 or not urlsplit(added.headers.get("location", "")).path == "/cart":
            raise fail(f"POST /cart/add variant_id={variant_id}", added, "303 to /cart")
    shown = browser.request("GET", "/cart")
    if shown.status != 200:
        raise fail("GET /cart", shown, "200")
    return Visitor(cookie=browser.cookie_header, csrf_token=token)


def prepare(target: Target, base_url: str) -> Target:
    """Prepare `target.visitors` and return the target with its visitor fields filled."""
    visitors: Visitors | None = target.visitors
    if visitors is None:
        return target
    with ThreadPoolExecutor(PREPARE_THREADS) as pool:
        prepared = list(
            pool.map(
                lambda item: prepare_visitor(base_url, item[0], visitors.landing, item[1]),
                enumerate(visitors.carts),
            )
        )
    filled = dict(
        zip(
            VISITOR_FIELDS,
            (
                tuple(v.cookie for v in prepared),
                tuple(v.csrf_token for v in prepared),
                tuple(str(n) for n in range(len(prepared))),
            ),
            strict=True,
        )
    )
    return replace(target, fields={**target.fields, **filled})


def check(target: Target, base_url: str, index: int) -> list[str]:
    """Send request `index` of `target` once; return warnings, raise VisitorError if wrong.

    Wrong means: not `expect_status`, or a redirect whose Location lacks
    `expect_location`. Missing `shows` markers only warn.
    """
    path, headers, body = target.request(index)
    try:
        answer = send(base_url, target.method, path, headers, body)
    except OSError as error:
        raise VisitorError(f"{target.method} {path} -> {error}") from error
    if answer.status != target.expect_status:
        raise VisitorError(
            f"{target.method} {path} -> HTTP {answer.status}, wanted {target.expect_status}: "
            f"{answer.message()}"
        )
    location = answer.headers.get("location", "")
    if target.expect_location and target.expect_location not in location:
        raise VisitorError(
            f"{target.method} {path} -> HTTP {answer.status} to {location or '(no Location)'}, "
            f"wanted a Location containing {target.expect_location}"
        )
    warnings = []
    for marker, count in target.shows:
        seen = answer.body.count(marker)
        if (count is None and not seen) or (count is not None and seen != count):
            wanted = "at least once" if count is None else f"{count} times"
            warnings.append(f"{path} shows {marker!r} {seen} times, expected {wanted}")
    return warnings


# ------------------------------------------------------------------ server-side counts

_COUNTS = {
    "cart_lines": "SELECT COUNT(*) FROM cart_lines",
    "cart_units": "SELECT COALESCE(SUM(quantity), 0) FROM cart_lines",
    "orders": "SELECT COUNT(*) FROM orders",
    "orders_pending_payment": "SELECT COUNT(*) FROM orders WHERE state = 'pending_payment'",
    "orders_with_payment_session": "SELECT COUNT(*) FROM orders "
    "WHERE stripe_session_id IS NOT NULL",
    "content_version": "SELECT COALESCE(MAX(value), 0) FROM site_versions WHERE name = 'content'",
}


def server_counts(url: str) -> dict[str, int | None]:
    """What the cart targets write, counted in the database (None when unreadable).

    Informational only: a renamed table or an unreachable database gives None values,
    never an exception that would stop the run.
    """
    counts: dict[str, int | None] = dict.fromkeys(_COUNTS)
    try:
        engine = create_engine(url)
    except Exception:  # noqa: BLE001
        return counts
    try:
        with engine.connect() as conn:
            for name, sql in _COUNTS.items():
                try:
                    counts[name] = int(conn.execute(text(sql)).scalar() or 0)
                except Exception:  # noqa: BLE001
                    conn.rollback()
    except Exception:  # noqa: BLE001
        pass
    finally:
        engine.dispose()
    return counts
