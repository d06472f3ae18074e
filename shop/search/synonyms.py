"""Synonyms: words or phrases that mean the same to a shopper, widening the query.

A group such as "turmeric, haldi, हल्दी" makes a search for any of its phrases find what
every other phrase finds: the query's words are read left to right, and where a run of
them equals a phrase of some group (the longest such run wins), that run becomes one
slot of alternatives, every phrase of the group. "vitamin d" with the group
"vitamin d, vitamin d3" searches ("vitamin" "d") OR ("vitamin" "d3").

The groups are read once per request (one small statement, only when there is something
to search, which also tells whether the last word is a whole word of the vocabulary, so
that it is not searched as a prefix: a prefix of a common word makes both engines merge
every matching word's entries first, 30–80 ms at 100,000 products) and compared in lower
case after NFKC normalisation, the same way the engines see words. Nothing is
re-indexed when staff edit them.
"""

from __future__ import annotations

import unicodedata

from flask import has_request_context, request
from sqlalchemy import select, text

from shop.extensions import db

MAX_PHRASES = 12  # per group
MAX_PHRASE_WORDS = 4
MAX_WORDS_LENGTH = 500  # the whole group as typed

Phrase = tuple[str, ...]
_CACHE_KEY = "shop.search_synonyms"


def normal_phrase(text: str) -> Phrase:
    """A phrase as compared: its words (as `search_terms` finds them), in lower case."""
    from shop.catalog.search import search_terms

    return tuple(unicodedata.normalize("NFKC", t.casefold()) for t in search_terms(text))


def parse_group(raw: str) -> tuple[list[Phrase], list[str]]:
    """The phrases of a group typed as "a, b, c", and what is wrong with it (if anything)."""
    problems: list[str] = []
    if len(raw) > MAX_WORDS_LENGTH:
        problems.append(f"Keep the list under {MAX_WORDS_LENGTH} characters.")
    phrases: list[Phrase] = []
    for part in raw.replace("\n", ",").split(","):
        if not part.strip():
            continue
        phrase = normal_phrase(part)
        if not phrase:
            problems.append(f"“{part.strip()}” has no letters or digits to search for.")
        elif len(phrase) > MAX_PHRASE_WORDS:
            problems.append(f"“{part.strip()}” is longer than {MAX_PHRASE_WORDS} words.")
        elif phrase not in phrases:
            phrases.append(phrase)
    if len(phrases) < 2:
        problems.append("Enter at least two different words or phrases, separated by commas.")
    if len(phrases) > MAX_PHRASES:
        problems.append(f"A group holds at most {MAX_PHRASES} words or phrases.")
    return phrases, problems


def stored_words(phrases: list[Phrase]) -> str:
    return ", ".join(" ".join(p) for p in phrases)


_LOAD = text(
    "SELECT 'group' AS kind, words FROM search_synonyms "
    "UNION ALL SELECT 'word', word FROM search_words WHERE word = :word"
)


def load(word: str) -> tuple[list[list[Phrase]], bool]:
    """Every group's phrases, and whether `word` is a whole word of the vocabulary.

    One statement, and once per request for the same word (every time outside one).
    """
    cache = request.environ.setdefault(_CACHE_KEY, {}) if has_request_context() else {}
    if "groups" not in cache or word not in cache.setdefault("known", {}):
        groups: list[tuple[int, list[Phrase]]] = []
        known = False
        for kind, value in db.session.execute(_LOAD, {"word": word}):
            if kind == "word":
                known = True
            else:
                groups.append([tuple(p.split(" ")) for p in value.split(", ") if p])
        cache["groups"] = groups
        cache.setdefault("known", {})[word] = known
    return cache["groups"], cache["known"][word]


def folded(term: str) -> str:
    return unicodedata.normalize("NFKC", term.casefold())


def expand(terms: list[str]) -> tuple[list[list[Phrase]], bool]:
    """The query's slots (each word alone, or a run of words replaced by its group), and
    whether the last word is a whole word the vocabulary knows (then it is no prefix)."""
    if not terms:
        return [], False
    folded_terms = [folded(t) for t in terms]
    groups, last_known = load(folded_terms[-1])
    index: dict[Phrase, list[Phrase]] = {}
    for phrases in groups:
        for phrase in phrases:
            index.setdefault(phrase, [])
            index[phrase].extend(p for p in phrases if p not in index[phrase])
    longest = max((len(p) for p in index), default=0)
    slots: list[list[Phrase]] = []
    i = 0
    while i < len(terms):
        for size in range(min(longest, len(terms) - i), 0, -1):
            alternatives = index.get(tuple(folded_terms[i : i + size]))
            if alternatives:
                slots.append(list(alternatives))
                i += size
                break
        else:
            slots.append([(terms[i],)])
            i += 1
    return slots, last_known


def seed_groups(session, groups: tuple[str, ...]) -> int:
    """Add the groups none of whose phrases any stored group has yet; how many were added.

    For `seed-demo`: running it again adds nothing, and a group staff edited or deleted
    is not brought back while one of its phrases is in another group.
    """
    from shop.search.models import SearchSynonym

    taken = {p for words in session.scalars(select(SearchSynonym.words)) for p in words.split(", ")}
    added = 0
    for raw in groups:
        phrases, problems = parse_group(raw)
        words = stored_words(phrases)
        if problems or taken & set(words.split(", ")):
            continue
        session.add(SearchSynonym(words=words))
        taken.update(words.split(", "))
        added += 1
    return added
