"""Demo articles stored as Markdown files with a tiny, strict front-matter block.

A file `articles/<slug>.md` looks like this::

    ---
    title: Muscle Spasm in Back: Symptoms, Causes and Treatment
    summary: One or two sentences for cards and meta descriptions.
    condition: muscle-spasm
    author: Remedy Shop health desk
    reviewer: dr-vikram-mehta
    last_reviewed: 2025-01-15
    published_at: 2025-01-20T09:00:00+00:00
    related: muscle-cramps, leg-pain-treatment
    ---
    Markdown body…

Every key above is required exactly once and no other key is allowed; a value runs to
the end of its line (so a title may contain a colon). `related` is a comma-separated
list of article slugs and may be empty. Anything else is a `FrontMatterError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

ARTICLES_DIR = Path(__file__).resolve().parent / "articles"

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
KEY_RE = re.compile(r"^([a-z_]+): ?(.*)$")
EMBED_RE = re.compile(r"\[\[(product|article):([^\]\s]*)\]\]")

FIELDS = (
    "title",
    "summary",
    "condition",
    "author",
    "reviewer",
    "last_reviewed",
    "published_at",
    "related",
)
DELIMITER = "---"


class FrontMatterError(ValueError):
    """An article file whose front matter is missing, incomplete or malformed."""


@dataclass(frozen=True)
class ArticleSource:
    slug: str
    title: str
    summary: str
    condition: str
    author: str
    reviewer: str
    last_reviewed: date
    published_at: datetime
    related: tuple[str, ...]
    body: str

    def embeds(self, kind: str) -> list[str]:
        """Slugs named by `[[kind:slug]]` embeds in the body, in order."""
        return [slug for k, slug in EMBED_RE.findall(self.body) if k == kind]


def _slug(value: str, what: str, where: str) -> str:
    if not SLUG_RE.match(value):
        raise FrontMatterError(f"{where}: {what} {value!r} is not a valid slug")
    return value


def parse_article(text: str, slug: str) -> ArticleSource:
    """Parse one article file's text; `slug` comes from the file name."""
    where = f"article {slug!r}"
    _slug(slug, "slug", where)
    lines = text.replace("\r\n", "\n").split("\n")
    if not lines or lines[0] != DELIMITER:
        raise FrontMatterError(f"{where}: must start with a '{DELIMITER}' line")
    try:
        end = lines.index(DELIMITER, 1)
    except ValueError:
        raise FrontMatterError(f"{where}: front matter is not closed by '{DELIMITER}'") from None

    values: dict[str, str] = {}
    for number, line in enumerate(lines[1:end], start=2):
        match = KEY_RE.match(line)
        if not match:
            raise FrontMatterError(f"{where}, line {number}: expected 'key: value'")
        key, value = match.group(1), match.group(2).strip()
        if key not in FIELDS:
            raise FrontMatterError(f"{where}, line {number}: unknown key {key!r}")
        if key in values:
            raise FrontMatterError(f"{where}, line {number}: duplicate key {key!r}")
        if not value and key != "related":
            raise FrontMatterError(f"{where}, line {number}: {key!r} is empty")
        values[key] = value
    missing = [key for key in FIELDS if key not in values]
    if missing:
        raise FrontMatterError(f"{where}: missing {', '.join(missing)}")

    try:
        last_reviewed = date.fromisoformat(values["last_reviewed"])
    except ValueError:
        raise FrontMatterError(f"{where}: last_reviewed must be YYYY-MM-DD") from None
    try:
        published_at = datetime.fromisoformat(values["published_at"])
    except ValueError:
        raise FrontMatterError(f"{where}: published_at must be an ISO datetime") from None
    if published_at.tzinfo is None:
        raise FrontMatterError(f"{where}: published_at needs a time zone offset")

    related = tuple(part.strip() for part in values["related"].split(",") if part.strip())
    for other in related:
        _slug(other, "related slug", where)
    if slug in related:
        raise FrontMatterError(f"{where}: an article cannot be related to itself")
    if len(set(related)) != len(related):
        raise FrontMatterError(f"{where}: related slugs repeat")

    body = "\n".join(lines[end + 1 :]).strip("\n") + "\n"
    if not body.strip():
        raise FrontMatterError(f"{where}: body is empty")
    return ArticleSource(
        slug=slug,
        title=values["title"],
        summary=values["summary"],
        condition=_slug(values["condition"], "condition", where),
        author=values["author"],
        reviewer=_slug(values["reviewer"], "reviewer", where),
        last_reviewed=last_reviewed,
        published_at=published_at.astimezone(UTC),
        related=related,
        body=body,
    )


def load_articles(directory: Path = ARTICLES_DIR) -> list[ArticleSource]:
    """Parse every `*.md` file in `directory`, sorted by slug."""
    paths = sorted(directory.glob("*.md"))
    return [parse_article(path.read_text(encoding="utf-8"), path.stem) for path in paths]
