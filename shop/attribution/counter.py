"""Counting views, clicks and adds to cart without writing on the request's path.

A request only adds one to a dictionary in its own process (`count`), keyed by
(article slug, position, India's day). The counts are written by `flush`: a background
thread of each process calls it every `SHOP_STATS_FLUSH_SECONDS`, sooner when
`SHOP_STATS_FLUSH_AT` counts are waiting, and once more when the process exits. A flush
resolves the slugs to articles in one query (unknown slugs are dropped: a junk `ref`
never becomes a row) and adds everything with one bulk `INSERT … ON CONFLICT DO UPDATE
SET views = views + excluded.views …`, so any number of processes can flush at once.

What a crash loses is at most one interval's counts of that process: these are
marketing figures, not money (orders and revenue come from the order lines).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections import Counter
from datetime import date, timedelta

from flask import Flask
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from shop.attribution.models import ArticleStatDay
from shop.content.models import Article
from shop.extensions import db

logger = logging.getLogger(__name__)

KINDS = ("views", "clicks", "adds")
_IST_OFFSET = 19800  # seconds: India is UTC+5:30 all year
_EPOCH = date(1970, 1, 1)
MAX_WAITING = 200_000  # keys kept through failing flushes before the oldest news is dropped


def today_number() -> int:
    """India's date as days since 1970 (cheaper per request than a datetime)."""
    return int((time.time() + _IST_OFFSET) // 86400)


class Counts:
    """One process's counts waiting to be written, and the thread that writes them."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        # Tests flush when they ask (and the report asks), never from a thread.
        self.interval = 0 if app.testing else app.config["SHOP_STATS_FLUSH_SECONDS"]
        self.threshold = app.config["SHOP_STATS_FLUSH_AT"]
        self._lock = threading.Lock()
        self._waiting: Counter = Counter()
        self._wake = threading.Event()
        self._pid: int | None = None

    def add(self, kind: str, slug: str, pos: int) -> None:
        key = (slug, pos, today_number(), kind)
        with self._lock:
            self._waiting[key] += 1
            size = len(self._waiting)
        if self.interval > 0:
            if self._pid != os.getpid():
                self._start()
            if size >= self.threshold:
                self._wake.set()

    def take(self) -> Counter:
        with self._lock:
            taken, self._waiting = self._waiting, Counter()
        return taken

    def give_back(self, counts: Counter) -> None:
        with self._lock:
            if len(self._waiting) + len(counts) <= MAX_WAITING:
                self._waiting.update(counts)
            else:
                logger.error("Dropping %d article counts that could not be written.", len(counts))

    def clear(self) -> None:
        self.take()

    def _start(self) -> None:
        """Start this process's writer (after a fork, the parent's thread is not ours)."""
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._wake = threading.Event()
        threading.Thread(target=self._run, name="article-counts", daemon=True).start()
        atexit.register(self._flush_logged)

    def _run(self) -> None:
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            self._flush_logged()

    def _flush_logged(self) -> None:
        try:
            with self.app.app_context():
                flush(self)
        except Exception:  # noqa: BLE001 - a writer thread must outlive a database outage
            logger.exception("Writing article counts failed; they wait for the next flush.")


def counts() -> Counts:
    from flask import current_app

    return current_app.extensions["article_counts"]


def count(kind: str, slug: str, pos: int) -> None:
    """Count one view (pos 0), click or add to cart for an article; no database work."""
    counts().add(kind, slug, pos)


def _rows(taken: Counter, ids: dict[str, int]) -> list[dict]:
    merged: dict[tuple[int, int, int], dict] = {}
    for (slug, pos, day, kind), n in taken.items():
        article_id = ids.get(slug)
        if article_id is None:
            continue
        row = merged.setdefault(
            (article_id, pos, day),
            {"article_id": article_id, "position": pos, "day": _EPOCH + timedelta(days=day)}
            | dict.fromkeys(KINDS, 0),
        )
        row[kind] += n
    # One order for every process's upserts, so two flushes never wait on each other's rows.
    return [merged[key] for key in sorted(merged)]


def _upsert(dialect: str):
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(ArticleStatDay)
    table = ArticleStatDay.__table__
    return stmt.on_conflict_do_update(
        index_elements=["article_id", "position", "day"],
        set_={kind: table.c[kind] + stmt.excluded[kind] for kind in KINDS},
    )


def flush(store: Counts | None = None) -> int:
    """Write this process's waiting counts (one query, one bulk upsert, commit); rows written."""
    store = store or counts()
    taken = store.take()
    if not taken:
        return 0
    try:
        slugs = {key[0] for key in taken}
        ids = dict(
            db.session.execute(
                select(Article.slug, Article.id).where(Article.slug.in_(slugs))
            ).all()
        )
        rows = _rows(taken, ids)
        if rows:
            db.session.execute(_upsert(db.session.get_bind().dialect.name), rows)
        db.session.commit()
    except Exception:
        db.session.rollback()
        store.give_back(taken)
        raise
    return len(rows)


def init_counts(app: Flask) -> None:
    app.extensions["article_counts"] = Counts(app)
