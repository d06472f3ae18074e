"""The vocabulary typos are corrected against, and the synonyms staff edit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shop.database import UTCDateTime, utcnow
from shop.extensions import db


class SearchWord(db.Model):
    """A word the index knows, written in lower case (see `shop.search.index`)."""

    __tablename__ = "search_words"

    id: Mapped[int] = mapped_column(primary_key=True)
    word: Mapped[str] = mapped_column(String(64), unique=True)


class SearchSynonym(db.Model):
    """Words or phrases that mean the same to a shopper, e.g. "turmeric, haldi, हल्दी".

    `words` holds the phrases in lower case, separated by ", "; a search for any of them
    finds what the others find.
    """

    __tablename__ = "search_synonyms"
    invalidates_pages = True

    id: Mapped[int] = mapped_column(primary_key=True)
    words: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def phrases(self) -> list[str]:
        return [p for p in self.words.split(", ") if p]

    def __repr__(self) -> str:
        return f"<SearchSynonym {self.words!r}>"
