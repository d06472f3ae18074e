"""Caching of rendered storefront pages, invalidated when staff change content.

Public pages (articles, product lists, product pages) are the same for every reader
apart from a few per-request pieces: the header (cart count, account links), flashed
messages and the CSRF token inside add-to-cart forms. We render such a page once with
markers in place of those pieces, keep the HTML in a small per-process LRU, and fill the
markers on every request.

Memory: the LRU holds pages as UTF-8 bytes and is bounded by bytes
(`SHOP_PAGE_CACHE_MB` per process, 64 by default), not by a count of entries, so large
pages cannot add up past the budget. Keys are the path plus only the query parameters
each page declares (`cached_page(render, params)`): tracking tags and made-up parameters
share the plain URL's entry.

Freshness: every cached page is keyed by the *content version*, a counter in the
database that a flush touching any model marked `invalidates_pages = True` bumps in the
same transaction. A process reads the counter at most once every
`CONTENT_VERSION_SECONDS` (1 s) and forgets it at once when it commits a bump itself, so
a staff edit shows on the next request served by the same process and within a second
on every other server. Entries also expire after `PAGE_CACHE_SECONDS`, which bounds
staleness of what changes without a staff edit (stock levels after orders, sales
starting or ending).

The anonymous header (no account, a given cart count) is the same for everyone, so it is
rendered once per process and count too.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import datetime

from flask import (
    Flask,
    current_app,
    g,
    get_flashed_messages,
    has_app_context,
    message_flashed,
    render_template,
    request,
)
from flask import session as flask_session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import String, event, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from shop.extensions import db

logger = logging.getLogger(__name__)

CONTENT = "content"
MARK_CSRF = "\x00csrf\x00"
MARK_HEADER = "<!--\x00header\x00-->"
MARK_FLASHES = "<!--\x00flashes\x00-->"


class SiteVersion(db.Model):
    """A named counter; `content` changes whenever cached pages may be stale."""

    __tablename__ = "site_versions"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


ENTRY_OVERHEAD = 256  # bytes counted per entry on top of the page: key, tuple, expiry


class PageCache:
    """A thread-safe LRU of rendered pages (UTF-8 bytes) with expiry times, bounded by
    the bytes it holds: the least recently used pages go first once `max_bytes` is
    passed, and a page bigger than the whole budget is never stored."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._entries: OrderedDict[tuple, tuple[float, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    @staticmethod
    def _size(key: tuple, data: bytes) -> int:
        return len(data) + len(repr(key)) + ENTRY_OVERHEAD

    def _drop(self, key: tuple) -> None:
        _expires, data = self._entries.pop(key)
        self.bytes -= self._size(key, data)

    def get(self, key: tuple) -> str | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires, data = entry
            if expires < time.monotonic():
                self._drop(key)
                return None
            self._entries.move_to_end(key)
        return data.decode()

    def put(self, key: tuple, html: str, ttl: float) -> None:
        data = html.encode()
        size = self._size(key, data)
        if size > self.max_bytes:
            return
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = (time.monotonic() + ttl, data)
            self.bytes += size
            while self.bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.bytes = 0


def _versions() -> tuple[int, datetime | None]:
    """The content version (0 before the first bump) and when stored sort prices go
    stale (`shop.catalog.prices`), in one statement."""
    from shop.catalog.models import PriceSchedule

    row = db.session.execute(
        select(
            select(SiteVersion.value).where(SiteVersion.name == CONTENT).scalar_subquery(),
            select(PriceSchedule.due_at).where(PriceSchedule.id == 1).scalar_subquery(),
        )
    ).one()
    return row[0] or 0, row[1]


def content_version() -> int:
    """Read the content version (0 before the first bump)."""
    return _versions()[0]


def content_version_column():
    """The content version as a column, for hot queries that read it with their rows
    (one statement instead of two); NULL, meaning 0, before the first bump."""
    table = SiteVersion.__table__
    return (
        select(table.c.value)
        .where(table.c.name == CONTENT)
        .scalar_subquery()
        .label("content_version")
    )


class VersionMemo:
    """The content version (and the sort prices' due time) as last read, reused for up
    to `seconds`."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._value: int | None = None
        self._prices_due: datetime | None = None
        self._read_at = 0.0

    def get(self) -> int:
        now = time.monotonic()
        if self._value is None or now - self._read_at > self.seconds:
            self._value, self._prices_due = _versions()
            self._read_at = now
        return self._value

    def prices_due(self) -> datetime | None:
        self.get()
        return self._prices_due

    def forget(self) -> None:
        self._value = None


def bump_content_version(session: Session) -> None:
    """Make every cached page stale; runs inside the caller's transaction."""
    connection = session.connection()
    result = connection.execute(
        update(SiteVersion).where(SiteVersion.name == CONTENT).values(value=SiteVersion.value + 1)
    )
    if result.rowcount == 0:
        connection.execute(SiteVersion.__table__.insert().values(name=CONTENT, value=1))


def _touches_pages(session: Session) -> bool:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if getattr(obj, "invalidates_pages", False) and (
            obj in session.new or obj in session.deleted or session.is_modified(obj)
        ):
            return True
    return False


@event.listens_for(Session, "before_flush")
def _bump_on_content_change(session: Session, flush_context, instances) -> None:
    if _touches_pages(session):
        session.info["bump_content_version"] = True


@event.listens_for(Session, "after_flush")
def _apply_bump(session: Session, flush_context) -> None:
    if session.info.pop("bump_content_version", False):
        bump_content_version(session)
        session.info["content_version_bumped"] = True


@event.listens_for(Session, "after_commit")
def _forget_version(session: Session) -> None:
    if session.info.pop("content_version_bumped", False) and has_app_context():
        current_app.extensions["content_version"].forget()


@event.listens_for(Session, "after_rollback")
def _nothing_bumped(session: Session) -> None:
    session.info.pop("content_version_bumped", None)


def init_page_cache(app: Flask) -> None:
    app.extensions["page_cache"] = PageCache(app.config.get("PAGE_CACHE_BYTES", 64 * 1024 * 1024))
    app.extensions["content_version"] = VersionMemo(app.config.get("CONTENT_VERSION_SECONDS", 1.0))
    app.extensions["anonymous_headers"] = {}
    app.jinja_env.globals["csrf_field"] = csrf_field
    app.jinja_env.globals["csrf_value"] = csrf_value
    app.jinja_env.globals["page_slot"] = page_slot


def clear_process_caches(app: Flask) -> None:
    """Forget every per-process cache: pages, headers, pricing rules, the version memo.

    For tests, which empty the database (and so reset the content version) between runs.
    """
    app.extensions["page_cache"].clear()
    app.extensions["anonymous_headers"].clear()
    app.extensions["content_version"].forget()
    app.extensions.get("pricing_rules", {}).clear()
    if "article_counts" in app.extensions:
        app.extensions["article_counts"].clear()


def csrf_value() -> str:
    """This visitor's CSRF token; a marker while a cacheable page is being rendered."""
    return MARK_CSRF if g.get("filling_page_cache") else generate_csrf()


def csrf_field() -> Markup:
    return Markup(f'<input type="hidden" name="csrf_token" value="{csrf_value()}">')


def page_slot(name: str) -> Markup:
    """A per-request part of the layout ("header" or "flashes"), or its marker."""
    if g.get("filling_page_cache"):
        return Markup(MARK_HEADER if name == "header" else MARK_FLASHES)
    if name == "header":
        return Markup(_header())  # rendered once per cart count for anonymous visitors
    if name == "flashes" and not get_flashed_messages():
        return Markup("")
    return Markup(render_template(f"_partials/{name}.html"))


def page_key(params: Sequence[str]) -> tuple:
    """This request's cache key: the path and only the query parameters the page uses.

    Tracking tags (`utm_*`, `gclid`, `fbclid`, `msclkid`, …) and anything else a page
    does not read are left out, so they neither add entries nor miss the cache. A
    parameter given twice counts with its first value, the one `request.args.get` reads.
    """
    args = request.args
    return (request.path, tuple((name, args.get(name)) for name in sorted(params) if name in args))


def cached_page(render: Callable[[], str], params: Sequence[str] = ()) -> str:
    """Return the page for this URL from the cache, rendering it when missing or stale.

    `render` must produce the whole page through templates extending base.html; it may
    raise an HTTPException (404, 400), which is never cached. While it runs, the page
    is shared by every visitor, so the contract is enforced (see `PageContract`).
    `params` names every query parameter the page reads (see `page_key`); one it reads
    without naming it here would be served from another URL's entry.
    """
    ttl = current_app.config["PAGE_CACHE_SECONDS"]
    if ttl <= 0:
        return render()
    cache: PageCache = current_app.extensions["page_cache"]
    key = (*page_key(params), current_app.extensions["content_version"].get())
    html = cache.get(key)
    if html is None:
        with PageContract() as contract:
            html = render()
        if contract.broken:
            # Production only (tests and debug raise): serve this page to this visitor
            # alone, never to the next one.
            return html
        cache.put(key, html, ttl)
    return fill_per_request_parts(html)


class PageContractError(RuntimeError):
    """A cacheable page read per-visitor state while it was rendered for everyone."""


class PageContract:
    """While a cacheable page renders: no CSRF token, no `current_user`, no flashing.

    Such a page is rendered once and served to every visitor, so anything personal in
    it would leak to the next reader: the per-visitor parts go through the markers of
    `csrf_value`, `csrf_field` and `page_slot`. Breaking the rule raises
    `PageContractError` under testing and debug; in production it is logged and the
    page is not cached.
    """

    def __init__(self) -> None:
        self.strict = current_app.testing or current_app.debug
        self.broken: list[str] = []

    def __enter__(self) -> PageContract:
        self._saved = {name: g.get(name, _MISSING) for name in ("_login_user", "csrf_token")}
        user = self._saved["_login_user"]
        if user is _MISSING:
            current_app.login_manager._load_user()  # the guard stands in for the real one
            user = g._login_user
        g._login_user = _Guarded(self, "read current_user", user)
        g.csrf_token = _Guarded(self, "made a CSRF token", None)
        g.filling_page_cache = True
        message_flashed.connect(self._flashed, current_app._get_current_object())
        return self

    def __exit__(self, *exc) -> None:
        g.filling_page_cache = False
        message_flashed.disconnect(self._flashed, current_app._get_current_object())
        for name, value in self._saved.items():
            if value is _MISSING:
                g.pop(name, None)
            else:
                setattr(g, name, value)

    def _flashed(self, app, message, category) -> None:
        self.breach("flashed a message")

    def breach(self, what: str) -> None:
        text_ = f"cacheable page {request.path} {what} while rendering"
        if self.strict:
            raise PageContractError(text_ + " (use csrf_field/csrf_value/page_slot)")
        if what not in self.broken:
            logger.error("%s; the page is served uncached", text_)
            self.broken.append(what)


_MISSING = object()


class _Guarded:
    """Stands in for `current_user` or the CSRF token while a cacheable page renders."""

    def __init__(self, contract: PageContract, what: str, real) -> None:
        object.__setattr__(self, "_contract", contract)
        object.__setattr__(self, "_what", what)
        object.__setattr__(self, "_real", real)

    def _use(self):
        self._contract.breach(self._what)
        real = self._real
        return real if real is not None else generate_csrf_unguarded()

    def __getattr__(self, name: str):
        return getattr(self._use(), name)

    def __bool__(self) -> bool:
        return bool(self._use())

    def __str__(self) -> str:
        return str(self._use())

    def __html__(self) -> str:
        return str(self._use())

    def __eq__(self, other) -> bool:
        return self._use() == other

    def __hash__(self) -> int:
        return id(self)


def generate_csrf_unguarded() -> str:
    """The real token, once a breach is logged (production only)."""
    g.pop("csrf_token", None)
    return generate_csrf()


def _header() -> str:
    """The site header; for anonymous visitors, rendered once per cart count."""
    if current_user.is_authenticated:
        return render_template("_partials/header.html")
    headers: dict = current_app.extensions["anonymous_headers"]
    count = flask_session.get("cart_count", 0)
    if count not in headers:
        if len(headers) > 100:
            headers.clear()
        headers[count] = render_template("_partials/header.html")
    return headers[count]


def fill_per_request_parts(html: str) -> str:
    if MARK_CSRF in html:
        html = html.replace(MARK_CSRF, generate_csrf())
    html = html.replace(MARK_HEADER, _header(), 1)
    flashes = render_template("_partials/flashes.html") if get_flashed_messages() else ""
    return html.replace(MARK_FLASHES, flashes, 1)
