"""Did you mean: correcting misspelt words against the vocabulary of the index.

Only called when a search finds little, so the common path pays nothing. One query
fetches candidates for every word of the query by trigram similarity (pg_trgm's `%`
over a GIN index on PostgreSQL; the FTS5 trigram tokenizer on SQLite, any shared
trigram, best first); Python then keeps, for each word that is not itself in the
vocabulary, the closest candidate by edit distance (a swap of two neighbours counts
once): at most 1 edit for words of 4–5 letters, 2 from 6. Words shorter than 4
letters, digits and words the vocabulary knows are left as typed.

"capsuls" → "capsules", "ashwaganda" → "ashwagandha", "jont pain" → "joint pain".
"""

from __future__ import annotations

import unicodedata

from sqlalchemy import bindparam, text

from shop.catalog.search import search_terms
from shop.extensions import db

MIN_LENGTH = 4
CANDIDATES = 200  # SQLite: vocabulary rows read per query, best trigram matches first

_PG_CANDIDATES = text(
    "SELECT t.term, w.word FROM unnest(CAST(:terms AS text[])) AS t(term) "
    "CROSS JOIN LATERAL (SELECT word FROM search_words WHERE word % t.term "
    "ORDER BY similarity(word, t.term) DESC, word LIMIT 10) AS w"
)


def max_edits(word: str) -> int:
    return 1 if len(word) < 6 else 2


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance; anything above `limit` is reported as limit + 1."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return min(previous[-1], limit + 1)


def _trigrams(word: str) -> set[str]:
    """The word's trigrams with a space either side (as the SQLite index stores words)."""
    padded = f" {word} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def _candidates(words: list[str]) -> dict[str, set[str]]:
    """For each word: vocabulary words that look like it (the word itself if known)."""
    found: dict[str, set[str]] = {w: set() for w in words}
    if db.session.get_bind().dialect.name == "postgresql":
        for term, word in db.session.execute(_PG_CANDIDATES, {"terms": words}):
            found[term].add(word)
        return found
    grams = sorted(set().union(*(_trigrams(w) for w in words)))
    match = " OR ".join('"' + g.replace('"', '""') + '"' for g in grams)
    stmt = text(
        "SELECT word FROM search_words WHERE word IN :words UNION "
        "SELECT word FROM (SELECT w.word FROM search_words_trgm AS t "
        "JOIN search_words AS w ON w.id = t.rowid WHERE search_words_trgm MATCH :match "
        "ORDER BY t.rank LIMIT :limit)"
    ).bindparams(bindparam("words", expanding=True))
    rows = db.session.scalars(stmt, {"words": words, "match": match, "limit": CANDIDATES})
    vocabulary = set(rows)
    for word in words:
        found[word] = vocabulary
    return found


def did_you_mean(q: str) -> str | None:
    """`q` with misspelt words corrected, or None when nothing needs correcting."""
    terms = [unicodedata.normalize("NFKC", t.casefold()) for t in search_terms(q)]
    suspects = sorted({t for t in terms if len(t) >= MIN_LENGTH and not t.isdigit()})
    if not suspects:
        return None
    candidates = _candidates(suspects)
    fixes: dict[str, str] = {}
    for word in suspects:
        options = candidates.get(word, set())
        if word in options:
            continue
        limit = max_edits(word)
        scored = sorted(
            (edit_distance(word, option, limit), -len(_trigrams(word) & _trigrams(option)), option)
            for option in options
        )
        if scored and scored[0][0] <= limit:
            fixes[word] = scored[0][2]
    if not fixes:
        return None
    return " ".join(fixes.get(t, t) for t in terms)
