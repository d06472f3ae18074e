"""Emergency triage of a reader's question: the one list of emergency signs.

A question that mentions any of these signs is answered at once with "get emergency
care now (call 112)" and flagged for the doctors; it still reaches them. Matching is on
whole words and common phrasings, never on letters inside other words ("faint" in
"fainthearted", "chest" in "chestnut"), after folding case, curly apostrophes and
spacing. A mention is enough: "no chest pain since Monday" is flagged too, because
warning someone who is fine costs little and missing an emergency costs much.

Pure Python, no Flask: the list and the matcher are tested on their own.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

EMERGENCY_NUMBER = "112"


@dataclass(frozen=True)
class Sign:
    label: str  # what the reader is told we noticed, e.g. "chest pain"
    phrasings: tuple[str, ...]  # regular expressions over normalised text, words joined by " "


# Building blocks for the phrasings below.
_CANT = r"(?:can ?not|can't|cant|could ?not|couldn't|couldnt|unable to)"
_MY = r"(?:(?:my|the|his|her|their|a) )?"
_ONE_SIDE = r"(?:one|1|one single|the (?:left|right)|(?:my|his|her) (?:left|right)) side"

EMERGENCY_SIGNS: tuple[Sign, ...] = (
    Sign(
        "chest pain",
        (
            r"chest (?:pains?|tightness|pressure|is tight|hurts|hurting|feels tight)",
            r"(?:pain|pressure|tightness|heaviness) (?:in|across|on) " + _MY + r"chest",
            r"tight chest",
            r"heart attack",
        ),
    ),
    Sign(
        "trouble breathing",
        (
            _CANT + r" (?:breathe|breath|catch " + _MY + r"breath)",
            r"(?:difficulty|difficulties|trouble|problems?|struggling|struggle) (?:in )?breathing",
            r"(?:struggling|struggle|fighting) (?:to|for) (?:breathe|breath|air)",
            r"breathing (?:difficulty|difficulties|trouble|problems?)",
            r"(?:hard|difficult|impossible) to breathe",
            r"(?:severely|very|extremely) short of breath|severe shortness of breath",
            r"breathless at rest",
            r"not breathing",
            r"gasping(?: for (?:air|breath))?",
            r"choking",
            r"(?:lips|face) (?:is |are |turning |turned |going )?blue",
        ),
    ),
    Sign(
        "loss of bladder or bowel control",
        (
            r"(?:loss|lost|losing|lose|no) (?:of )?(?:(?:my|the) )?(?:bladder|bowel|bowels)"
            r"(?: (?:or|and|and or) (?:bladder|bowel|bowels))? control",
            r"(?:loss|lost|losing|lose|no) (?:of )?control (?:of|over) "
            + _MY
            + r"(?:bladder|bowel|bowels)",
            _CANT + r" control " + _MY + r"(?:bladder|bowel|bowels|pee|urine|poo|stool)",
            r"(?:numb|numbness) (?:in|around) "
            + _MY
            + r"(?:groin|genitals|buttocks|bottom|saddle)",
            r"saddle (?:numbness|anaesthesia|anesthesia)",
            _CANT + r" (?:pee|urinate|pass urine)",
        ),
    ),
    Sign(
        "sudden weakness or numbness on one side",
        (
            r"(?:sudden|suddenly) (?:\w+ )?(?:weak|weakness|numb|numbness|paralysed|paralyzed)",
            r"(?:weak|weakness|numb|numbness|paralysed|paralyzed|tingling|droop|drooping)"
            r" (?:\w+ ){0,3}(?:on|down) " + _ONE_SIDE,
            _ONE_SIDE + r" of " + _MY + r"(?:body|face) (?:is |went |has gone |feels )?"
            r"(?:weak|numb|drooping|droops|dropped|paralysed|paralyzed)",
            r"(?:face|mouth) (?:is )?(?:drooping|droops|dropped|drooped)",
            r"(?:having|had|have) a stroke",
        ),
    ),
    Sign(
        "slurred speech",
        (
            r"slurred (?:speech|words)",
            r"slurring(?: " + _MY + r"(?:speech|words))?",
            r"speech (?:is |was |has become |became )?(?:slurred|garbled|jumbled)",
            _CANT + r" (?:speak|talk) (?:properly|clearly|normally)",
        ),
    ),
    Sign(
        "fainting",
        (
            r"faint(?:ed|ing|s)",
            r"(?:feel|feels|felt|feeling) faint",
            r"pass(?:ed|ing|es)? out",
            r"black(?:ed|ing|s)? out",
            r"lost consciousness|loss of consciousness|losing consciousness",
            r"unconscious",
            r"(?:unresponsive|won't wake up|will not wake up)",
        ),
    ),
    Sign(
        "heavy bleeding",
        (
            r"(?:heavy|heavily|severe|uncontrolled|uncontrollable|profuse|a lot of) bleeding",
            r"bleeding (?:heavily|badly|a lot|profusely|that won't stop|that will not stop"
            r"|won't stop|will not stop|does not stop|doesn't stop|non ?stop)",
            _CANT + r" stop (?:the |my )?bleeding",
            r"(?:vomiting|throwing up|coughing up|coughing) (?:up )?blood",
        ),
    ),
    Sign(
        "thoughts of self-harm or suicide",
        (
            r"suicid(?:e|al)",
            r"kill(?:ing)? (?:myself|my self)",
            r"(?:end|ending|take|taking) my (?:own )?life",
            r"self ?harm(?:ing)?",
            r"harm(?:ing)? (?:myself|my self)",
            r"(?:want|wanted|wanting|wish) to die",
            r"(?:don't|do not|dont) want to (?:live|be alive|wake up)",
            r"no reason to live",
        ),
    ),
    Sign(
        "an overdose or poisoning",
        (
            r"overdos(?:e|ed|es|ing)",
            r"took too many (?:pills|tablets)",
            r"(?:swallowed|drank|ingested) (?:\w+ )?(?:poison|bleach|pesticide)",
            r"poisoned",
        ),
    ),
    Sign(
        "a seizure",
        (r"seizures?", r"convulsions?", r"convulsing", r"(?:having|had) a fit"),
    ),
    Sign(
        "a severe allergic reaction",
        (
            r"anaphyla(?:xis|ctic)",
            r"(?:severe|serious) allergic reaction",
            r"(?:swollen " + _MY + r"|swelling (?:of|in) " + _MY + r")(?:tongue|lips)",
            r"(?:tongue|lips) (?:is |are )?(?:swelling|swollen)",
            r"throat (?:is )?(?:closing|closing up|tightening|swelling shut)",
        ),
    ),
    Sign(
        "a sudden, severe headache",
        (
            r"worst headache",
            r"(?:sudden|thunderclap) (?:severe |bad |terrible )?headache",
        ),
    ),
)

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
# Anything but letters, digits and an apostrophe inside a word ("can't") separates words.
_SEPARATORS = re.compile(r"(?:[^\w']|_|(?<!\w)'|'(?!\w))+")


def normalise(text: str) -> str:
    """Fold case, width and apostrophes; turn punctuation and spacing into single spaces."""
    folded = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).casefold()
    return " " + _SEPARATORS.sub(" ", folded).strip() + " "


def _compile(sign: Sign) -> re.Pattern[str]:
    # A phrasing must start and end at a word edge: a space (every word is surrounded by
    # one after normalising) on both sides, so no letters of another word are matched.
    alternatives = "|".join(f"(?:{phrasing})" for phrasing in sign.phrasings)
    return re.compile(r"(?<= )(?:" + alternatives + r")(?= )")


_COMPILED: tuple[tuple[Sign, re.Pattern[str]], ...] = tuple(
    (sign, _compile(sign)) for sign in EMERGENCY_SIGNS
)


def emergency_signs(text: str) -> list[str]:
    """The labels of the emergency signs `text` mentions, in the list's order."""
    normalised = normalise(text)
    return [sign.label for sign, pattern in _COMPILED if pattern.search(normalised)]
