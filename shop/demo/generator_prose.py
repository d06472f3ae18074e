"""The generated catalogue's text: product descriptions and article bodies.

Invented sentences from `generator_words`, drawn from the generator's own random source
(so the same seed writes the same text); every description ends by saying it is not a
substitute for medical advice.
"""

from __future__ import annotations

import random

from shop.demo import generator_words as words


class Prose:
    """Writes descriptions and article bodies with the generator's `rng`."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def product_description(self, name: str, herb: str, form: str) -> str:
        rng = self.rng
        condition = rng.choice(words.CONDITIONS).lower()
        return " ".join((
            f"{name} is a herbal {form.lower()} made with {herb.lower()}.",
            f"It is traditionally used for comfort during {condition}.",
            rng.choice(words.SENTENCES).format(
                condition=condition, Condition=condition.capitalize(), herb=herb.lower()
            ),
            "Not a substitute for medical advice.",
        ))  # fmt: skip

    def paragraph(self, condition: str, count: int = 3) -> str:
        herb = self.rng.choice(words.HERBS).lower()
        return " ".join(
            s.format(condition=condition.lower(), Condition=condition, herb=herb)
            for s in self.rng.sample(words.SENTENCES, count)
        )

    def article_body(self, condition: str, active: list[str], linkable: list[str]) -> str:
        rng = self.rng
        parts = [self.paragraph(condition, 2)]
        for title in rng.sample(words.SECTION_TITLES, rng.randint(3, 5)):
            parts.append(f"## {title}")
            parts.append(self.paragraph(condition, rng.randint(2, 4)))
            if rng.random() < 0.3:
                parts.append("\n".join(f"- {b}" for b in rng.sample(words.BULLETS, 3)))
            if rng.random() < 0.25:
                parts.append(f"[[product:{rng.choice(active)}]]")
            if linkable and rng.random() < 0.15:
                parts.append(f"See also [[article:{rng.choice(linkable)}]].")
        if rng.random() < 0.3:
            flags = "\n".join(f"- {f}" for f in rng.sample(words.RED_FLAGS, 3))
            parts.append(f":::warning\n{flags}\n:::")
        return "\n\n".join(parts) + "\n"

    def bench_body(self, embedded: list[str]) -> str:
        condition = words.CONDITIONS[0]
        p = self.paragraph
        bullets = "\n".join(f"- {b}" for b in words.BULLETS[:4])
        flags = "\n".join(f"- {f}" for f in words.RED_FLAGS[:4])
        return "\n\n".join((
            p(condition, 3),
            "## Symptoms", p(condition, 3), bullets,
            f":::warning\n{flags}\n:::",
            "## Causes", p(condition, 4),
            f"[[product:{embedded[0]}]]",
            "## Treatment", p(condition, 4),
            "### Hot and cold therapy", p(condition, 2),
            f"[[product:{embedded[1]}]]",
            "### Gentle stretching", p(condition, 3),
            f"[[product:{embedded[2]}]]",
            "## When to see a doctor", p(condition, 2),
            "## Takeaway", p(condition, 2),
        )) + "\n"  # fmt: skip
