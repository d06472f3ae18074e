"""In Chromium: a reader asks on the article, a doctor answers, staff publish, and the
answer shows on the question and condition pages while the asker's e-mail has the link."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from shop.accounts.service import create_user
from shop.demo import seed_demo
from shop.mail import OutboxMessage
from shop.questions.models import Question
from tests.factories import DEFAULT_PASSWORD, make_user

pytestmark = pytest.mark.browser

READER = "reader@example.com"
QUESTION_TEXT = (
    "My lower back tightens into a spasm every evening after cricket practice. "
    "Should I stretch it out or rest it?"
)


@pytest.fixture()
def demo_shop(db, live_server):
    seed_demo(db.session)
    from shop.content.models import Doctor

    doctor = db.session.scalar(select(Doctor).where(Doctor.slug == "dr-vikram-mehta"))
    create_user("doctor@example.com", DEFAULT_PASSWORD, role="doctor", doctor_id=doctor.id)
    make_user("moderator@example.com", role="staff")
    db.session.commit()
    return live_server


def sign_in(page, base: str, email: str, target: str) -> None:
    page.goto(base + "/account/login?next=" + target)
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**" + target)


def test_reader_asks_doctor_answers_staff_publish(browser, page, demo_shop, db):
    # The reader, on the article, asks about the article's condition.
    page.goto(demo_shop + "/articles/muscle-spasm-in-back")
    page.get_by_role("link", name="Ask a doctor").click()
    page.wait_for_url("**/ask?condition=muscle-spasm")
    assert page.get_by_label("About").input_value() == "muscle-spasm"
    assert "usually answer within 24 hours" in page.locator("main").inner_text()
    page.get_by_label("Your question").fill(QUESTION_TEXT)
    page.get_by_label("Age (optional)").select_option("18-29")
    page.get_by_label("Your e-mail (never published)").fill(READER)
    page.get_by_label(re.compile("may be published without my name")).check()
    page.get_by_role("button", name="Send my question").click()
    page.wait_for_url("**/ask/sent")
    assert page.get_by_role("heading", name="Your question is with our doctors").is_visible()

    # The doctor answers from the inbox, without ever seeing the reader's e-mail.
    doctor = browser.new_context().new_page()
    try:
        sign_in(doctor, demo_shop, "doctor@example.com", "/doctor/")
        assert READER not in doctor.content()
        doctor.get_by_role("link", name=re.compile(r"Answer question #\d+")).first.click()
        assert "after cricket practice" in doctor.locator("[data-question-body]").inner_text()
        doctor.get_by_label("Your answer (Markdown)").fill(
            "Keep moving gently and use **heat** after the first day; stretch only as far as "
            "is comfortable. See a doctor if it lasts more than two weeks."
        )
        doctor.get_by_role("button", name="Send my answer").click()
        doctor.wait_for_url("**/doctor/")
        assert READER not in doctor.content()
    finally:
        doctor.context.close()

    # Staff publish it, removing nothing personal because there is nothing.
    staff = browser.new_context().new_page()
    try:
        sign_in(staff, demo_shop, "moderator@example.com", "/staff/questions/")
        staff.locator("[data-list=questions] a").first.click()
        staff.get_by_label("Public title").fill("Stretch or rest a back spasm after cricket?")
        staff.get_by_role("button", name="Publish and e-mail the asker").click()
        staff.locator(".flash-success").filter(has_text="is published").wait_for()
    finally:
        staff.context.close()

    db.session.expire_all()
    question = db.session.scalars(select(Question)).one()
    url = f"/questions/{question.id}-stretch-or-rest-a-back-spasm-after-cricket"
    mail = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to == READER)).one()
    assert "http://shop.test" + url in mail.body

    page.goto(demo_shop + "/conditions/muscle-spasm")
    page.get_by_role("link", name="Stretch or rest a back spasm after cricket?").click()
    page.wait_for_url("**" + url)
    main = page.locator("main").inner_text()
    assert "Answered by Dr. Vikram Mehta · 10 years of experience" in main
    assert "after cricket practice" in main and READER not in page.content()
    assert page.locator(".qa-answer strong").inner_text() == "heat"
