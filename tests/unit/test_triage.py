"""Emergency triage: signs are found in words and common phrasings, never inside words."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shop.questions.triage import EMERGENCY_SIGNS, emergency_signs, normalise

HITS = {
    "I have had chest pain since this morning": "chest pain",
    "There is a tight pressure in my chest when I climb stairs": "chest pain",
    "My chest feels tight and heavy": "chest pain",
    "I CANNOT BREATHE properly when the spasm comes": "trouble breathing",
    "sometimes I can\u2019t breathe at night": "trouble breathing",
    "i cant breathe": "trouble breathing",
    "My father has difficulty breathing and his lips are turning blue": "trouble breathing",
    "It is hard to breathe when I lie down": "trouble breathing",
    "Since yesterday I have loss of bladder or bowel control": "loss of bladder or bowel control",
    "I lost control of my bladder this morning": "loss of bladder or bowel control",
    "I can't control my bowels and my back hurts": "loss of bladder or bowel control",
    "there is numbness around the groin": "loss of bladder or bowel control",
    "Sudden weakness in my right arm": "sudden weakness or numbness on one side",
    "numbness or odd sensation on one side of the body": "sudden weakness or numbness on one side",
    "my face is drooping on the left side": "sudden weakness or numbness on one side",
    "my mother's speech is slurred since lunch": "slurred speech",
    "I have slurred speech and a headache": "slurred speech",
    "I fainted twice while standing": "fainting",
    "he passed out after lifting a box": "fainting",
    "I feel faint when I stand": "fainting",
    "heavy bleeding from a cut on my leg": "heavy bleeding",
    "the wound is bleeding heavily": "heavy bleeding",
    "I have been vomiting blood": "heavy bleeding",
    "I have thoughts of suicide because of the pain": "thoughts of self-harm or suicide",
    "Some days I want to kill myself": "thoughts of self-harm or suicide",
    "I've been thinking about self-harm": "thoughts of self-harm or suicide",
    "I just want to end my life": "thoughts of self-harm or suicide",
    "What if I overdosed on paracetamol?": "an overdose or poisoning",
    "my son had a seizure last night": "a seizure",
    "my lips are swelling after the tablet": "a severe allergic reaction",
    "the worst headache of my life started an hour ago": "a sudden, severe headache",
}

MISSES = [
    "My lower back hurts after sitting all day at the desk.",
    "A faint ache in my calf after running; what should I do?",
    "Is it safe to eat chestnuts with joint pain?",
    "I hurt myself lifting weights at the gym last week.",
    "The stretches help me breathe easier and relax.",
    "Weakness in both legs after a long hike, is that normal?",
    "My chest of drawers fell on my foot and it is bruised.",
    "Is the oil safe for a fainthearted person like me?",
    "My bleeding gums are better with the new toothpaste.",
    "I ran a marathon and my calves cramped for an hour after.",
    "He is passing the ball and gets cramps in his shoulder.",
    "Unsubstantial pain in the heel when walking barefoot.",
]


@pytest.mark.parametrize("text,label", HITS.items())
def test_emergency_signs_are_found(text, label):
    assert label in emergency_signs(text)


@pytest.mark.parametrize("text", MISSES)
def test_ordinary_questions_are_not_flagged(text):
    assert emergency_signs(text) == []


def test_every_sign_has_a_hit_above():
    assert {sign.label for sign in EMERGENCY_SIGNS} == set(HITS.values())


def test_several_signs_are_listed_in_the_lists_order():
    assert emergency_signs("Chest pain, and I fainted. Now I can't breathe.") == [
        "chest pain",
        "trouble breathing",
        "fainting",
    ]


def test_punctuation_and_quotes_separate_words():
    assert normalise("'Chest-pain'?!") == " chest pain "
    assert normalise("can\u2019t") == " can't "
    assert emergency_signs("(chest pain)") == ["chest pain"]


_SAFE_WORDS = st.sampled_from(
    "my back neck leg calf muscle hurts aches after sitting running yoga oil capsule "
    "stretch heat ice the a when and or is it safe to use doctor week morning".split()
)
_SEPARATORS = st.sampled_from([" ", "  ", "\n", ", ", ". ", " - ", "\t", "; "])


def _join(words: list[str], seps: list[str]) -> str:
    out = []
    for i, word in enumerate(words):
        out.append(word)
        out.append(seps[i % len(seps)])
    return "".join(out)


@given(st.lists(_SAFE_WORDS, max_size=30), st.lists(_SEPARATORS, min_size=1, max_size=5))
def test_everyday_words_never_raise_an_alarm(words, seps):
    assert emergency_signs(_join(words, seps)) == []


_PHRASES = list(HITS.items())


@given(
    st.sampled_from(_PHRASES),
    st.lists(_SAFE_WORDS, max_size=8),
    st.lists(_SAFE_WORDS, max_size=8),
    st.sampled_from([" ", "\n", ", ", " - "]),
    st.booleans(),
)
def test_a_sign_is_found_whatever_surrounds_it_and_in_any_case(phrase, before, after, sep, shout):
    text, label = phrase
    if shout:
        text = text.upper()
    full = sep.join([*before, text, *after])
    assert label in emergency_signs(full)


@given(st.sampled_from(_PHRASES), st.sampled_from(["x", "un", "pre", "zz"]))
def test_a_sign_glued_inside_a_longer_word_is_not_a_hit(phrase, prefix):
    # "chest pain" inside "xchest painx": letters on both edges make other words.
    text, label = phrase
    words = normalise(text).split()
    glued = prefix + " ".join(words) + prefix
    assert label not in emergency_signs(glued) or _sign_inside(words, label)


def _sign_inside(words: list[str], label: str) -> bool:
    """True when the phrase still holds the sign without its first and last word."""
    return label in emergency_signs(" ".join(words[1:-1]))


@given(st.text(max_size=400))
def test_question_slugs_are_always_url_safe(title):
    from shop.questions.service import slugify

    slug = slugify(title)
    assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", slug) and len(slug) <= 100
    assert len(slug.split("-")) <= 8 or slug == "question"


def test_question_slugs_read_like_the_title():
    from shop.questions.service import slugify

    assert slugify("Heat or ice for a back spasm?") == "heat-or-ice-for-a-back-spasm"
    assert slugify("Is child's pose safe?") == "is-child-s-pose-safe"
    assert slugify("पीठ दर्द") == "question"
