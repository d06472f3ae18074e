"""Demo accounts for the four demo doctors and three answered, published questions.

Written in the project's own words, medically careful, clearly demo. Like the rest of
`seed-demo`, these only add what is missing (doctor accounts by e-mail, questions by
their wording) and never touch rows that exist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.content.models import Condition, Doctor

# Doctor profile slug → the e-mail of its demo account.
DOCTOR_ACCOUNTS: dict[str, str] = {
    "dr-ananya-rao": "ananya.rao@example.com",
    "dr-vikram-mehta": "vikram.mehta@example.com",
    "dr-farah-qureshi": "farah.qureshi@example.com",
    "dr-rohan-iyer": "rohan.iyer@example.com",
}

_NOT_A_SUBSTITUTE = (
    "\n\n*This answer is general information for a demo shop and not a substitute for "
    "seeing a doctor who can examine you.*"
)


@dataclass(frozen=True)
class DemoQuestion:
    condition: str
    doctor: str
    title: str
    body: str
    answer: str
    age_band: str | None
    asked: datetime


_BASE = datetime(2026, 10, 6, 9, 30, tzinfo=UTC)

QUESTIONS: tuple[DemoQuestion, ...] = (
    DemoQuestion(
        condition="muscle-spasm",
        doctor="dr-vikram-mehta",
        title="Heat or ice for a back spasm after a long day at the desk?",
        body=(
            "I work at a laptop most of the day and by evening the muscles in my lower back "
            "tighten up and sometimes go into a painful spasm. Should I use a hot water bag "
            "or an ice pack, and for how long?"
        ),
        answer=(
            "Both can help; what matters is timing.\n\n"
            "- **In the first day or two of a fresh spasm**, a cold pack wrapped in a thin "
            "towel for 15–20 minutes, three or four times a day, can calm the pain.\n"
            "- **After that, or for the everyday stiffness you describe**, gentle heat for "
            "15–20 minutes relaxes the muscle. Never put ice or a hot pack straight on the "
            "skin, and never fall asleep on a heating pad.\n\n"
            "Because yours comes back every evening, the chair and the screen deserve a look "
            "too: the screen at eye level, feet flat, a small cushion behind the lower back, "
            "and a short walk or stretch every 30–45 minutes.\n\n"
            "See a doctor soon if the pain lasts beyond two weeks, wakes you at night, or "
            "spreads down a leg. Go to an emergency department at once if you lose bladder or "
            "bowel control, feel numb around the groin, or notice weakness in a leg."
            + _NOT_A_SUBSTITUTE
        ),
        age_band="30-44",
        asked=_BASE,
    ),
    DemoQuestion(
        condition="muscle-spasm",
        doctor="dr-farah-qureshi",
        title="Night-time calf cramps: is it low potassium or too little water?",
        body=(
            "Two or three nights a week a cramp in my calf wakes me up. I play cricket at the "
            "weekend. Could it be that I am not drinking enough water, or do I need a "
            "potassium or calcium supplement?"
        ),
        answer=(
            "Night cramps in the calf are common, and in active people tiredness of the muscle "
            "is the usual reason, more often than a missing mineral.\n\n"
            "Things that often help:\n\n"
            "1. Drink steadily through the day, more on playing days and in hot weather.\n"
            "2. Stretch the calves for a minute before bed: stand facing a wall, one leg back, "
            "heel down.\n"
            "3. During a cramp, pull your toes towards you and walk it off.\n\n"
            "Please do not start potassium or calcium tablets on your own: too much potassium "
            "can be dangerous, especially with kidney problems or some blood-pressure "
            "medicines. If the cramps continue, a doctor can check a simple blood test and "
            "the medicines you take.\n\n"
            "See a doctor promptly if a calf is swollen, warm or red, or if the pain does not "
            "go away between cramps, as these can be signs of a clot." + _NOT_A_SUBSTITUTE
        ),
        age_band="18-29",
        asked=_BASE + timedelta(days=3, hours=2),
    ),
    DemoQuestion(
        condition="muscle-spasm",
        doctor="dr-ananya-rao",
        title="Is child's pose safe while my lower back is in spasm?",
        body=(
            "My lower back went into spasm yesterday while lifting a bucket. A friend says "
            "yoga stretches like child's pose will loosen it. Is it safe to stretch now, or "
            "should I rest completely?"
        ),
        answer=(
            "Complete bed rest is no longer advised for most back spasms: gentle movement "
            "usually helps you recover sooner. But stretching should never force its way "
            "through sharp pain.\n\n"
            "For the first day or two, keep walking around the house for a few minutes every "
            "hour and use a cold pack. Once the worst has settled, child's pose (Balasana) "
            "can be a kind stretch: kneel, sit back towards your heels and rest your arms and "
            "forehead forward, breathing slowly for 20–30 seconds. Go only as far as feels "
            "comfortable, and **stop at once if the pain sharpens or runs down a leg**.\n\n"
            "Lift with bent knees and the load close to your body while you heal.\n\n"
            "See a doctor if you are not clearly better within a week or two. Get emergency "
            "care at once for loss of bladder or bowel control, numbness around the groin, or "
            "weakness in your legs." + _NOT_A_SUBSTITUTE
        ),
        age_band="45-59",
        asked=_BASE + timedelta(days=8, hours=5),
    ),
)


def seed_doctor_accounts(new_password: Callable[[], str]) -> list[tuple[str, str]]:
    """Create a doctor account for each demo doctor that has none; return their logins."""
    from shop.accounts.models import User
    from shop.accounts.service import create_user, find_user
    from shop.extensions import db

    doctors = {
        d.slug: d
        for d in db.session.scalars(select(Doctor).where(Doctor.slug.in_(DOCTOR_ACCOUNTS)))
    }
    linked = set(db.session.scalars(select(User.doctor_id).where(User.doctor_id.is_not(None))))
    logins: list[tuple[str, str]] = []
    for slug, email in DOCTOR_ACCOUNTS.items():
        doctor = doctors.get(slug)
        if doctor is None or doctor.id in linked or find_user(email) is not None:
            continue
        password = new_password()
        create_user(email, password, role="doctor", doctor_id=doctor.id)
        logins.append((email, password))
    return logins


def seed_questions(session: Session) -> int:
    """Add the demo questions that are missing, answered and published; return how many."""
    from shop.questions.models import Question, QuestionStatus
    from shop.questions.service import slugify

    existing = set(
        session.scalars(select(Question.body).where(Question.body.in_([q.body for q in QUESTIONS])))
    )
    conditions = {c.slug: c for c in session.scalars(select(Condition))}
    doctors = {d.slug: d for d in session.scalars(select(Doctor))}
    created = 0
    for item in QUESTIONS:
        doctor = doctors.get(item.doctor)
        if item.body in existing or doctor is None:
            continue
        answered = item.asked + timedelta(hours=20)
        session.add(
            Question(
                status=QuestionStatus.PUBLISHED.value,
                body=item.body,
                condition=conditions.get(item.condition),
                age_band=item.age_band,
                email=None,
                emergency=False,
                emergency_signs="",
                created_at=item.asked,
                doctor=doctor,
                answer=item.answer,
                answered_at=answered,
                title=item.title,
                slug=slugify(item.title),
                public_body=item.body,
                public_answer=item.answer,
                published_at=answered + timedelta(hours=2),
                moderated_at=answered + timedelta(hours=2),
            )
        )
        created += 1
    session.flush()
    return created
