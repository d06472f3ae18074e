"""Ask a doctor (SPEC §14): asking, triage, throttling, the doctors' inbox, moderation and
the public question pages."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from shop.cache import content_version
from shop.mail import OutboxMessage
from shop.questions.models import Question
from shop.staff.audit import AuditEntry
from tests.conftest import csrf_token_for
from tests.factories import make_article, make_condition, make_user
from tests.helpers import count, log_in
from tests.questions import ANSWER, QUESTION, make_doctor_user, make_question

ASKER = "asker@example.com"


@pytest.fixture()
def spasm(db):
    condition = make_condition("muscle-spasm", "Muscle spasm")
    db.session.commit()
    return condition


@pytest.fixture()
def doctors(db, spasm):
    """Two doctors with accounts: Dr. Mehta (10 years) and Dr. Rao (3 years)."""
    mehta, _ = make_doctor_user(
        "mehta@example.com", years=10, conditions=[spasm], name="Dr. Vikram Mehta"
    )
    rao, _ = make_doctor_user("rao@example.com", years=3, conditions=[spasm], name="Dr. Rao")
    db.session.commit()
    return {"mehta": mehta, "rao": rao}


def signed_in(app, email: str):
    client = app.test_client()
    client.token = log_in(client, email)
    return client


@pytest.fixture()
def mehta(app, doctors):
    return signed_in(app, "mehta@example.com")


@pytest.fixture()
def rao(app, doctors):
    return signed_in(app, "rao@example.com")


@pytest.fixture()
def staff(app, db):
    make_user("moderator@example.com", role="staff")
    db.session.commit()
    return signed_in(app, "moderator@example.com")


def ask(client, token: str | None = None, **fields):
    data = {
        "question": QUESTION,
        "condition": "muscle-spasm",
        "age": "30-44",
        "email": ASKER,
        "consent": "y",
        **fields,
    }
    data = {k: v for k, v in data.items() if v is not None}
    return client.post("/ask", data={"csrf_token": token or csrf_token_for(client), **data})


def questions(db) -> list[Question]:
    db.session.expire_all()
    return list(db.session.scalars(select(Question).order_by(Question.id)))


def mails(db, to: str) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.to == to)))


def answer(client, question_id: int, text: str = ANSWER, action: str = "save"):
    return client.post(
        f"/doctor/questions/{question_id}/answer",
        data={"csrf_token": client.token, "answer": text, "action": action},
    )


def publish(client, question_id: int, **fields):
    data = {
        "title": "Heat or ice for a back spasm?",
        "question": "My lower back goes into spasm after a long day at a desk. Heat or ice?",
        "answer": ANSWER,
        "action": "publish",
        **fields,
    }
    return client.post(
        f"/staff/questions/{question_id}/publish", data={"csrf_token": client.token, **data}
    )


def reject(client, question_id: int, reason: str = "This is not a health question."):
    return client.post(
        f"/staff/questions/{question_id}/reject",
        data={"csrf_token": client.token, "reason": reason},
    )


# --- asking --------------------------------------------------------------------------------


def test_the_ask_page_is_prefilled_and_says_when_to_expect_an_answer(client, spasm):
    html = client.get("/ask?condition=muscle-spasm").get_data(as_text=True)
    assert "Doctors usually answer within 24 hours" in html
    assert re.search(r'<option selected value="muscle-spasm">Muscle spasm</option>', html)
    assert 'name="email"' in html and 'name="consent"' in html and "call 112" in html
    # An unknown condition in the link is simply not pre-selected.
    assert client.get("/ask?condition=nope").status_code == 200


def test_a_guest_asks_and_is_told_when_to_expect_an_answer(client, db, spasm):
    before = content_version()
    response = ask(client)
    assert response.status_code == 303 and response.headers["Location"].endswith("/ask/sent")
    page = client.get("/ask/sent").get_data(as_text=True)
    assert "Your question is with our doctors" in page
    assert "Doctors usually answer within 24 hours" in page
    assert "emergency care now" not in page
    (question,) = questions(db)
    assert question.status == "open" and question.email == ASKER and question.user_id is None
    assert question.condition_id == spasm.id and question.age_band == "30-44"
    assert not question.emergency
    assert content_version() == before  # an open question changes no public page


def test_a_customer_asks_without_typing_an_e_mail(app, db, spasm):
    customer = make_user("shopper@example.com")
    db.session.commit()
    client = signed_in(app, "shopper@example.com")
    assert 'name="email"' not in client.get("/ask").get_data(as_text=True)
    assert ask(client, client.token, email=None).status_code == 303
    (question,) = questions(db)
    assert question.email == "shopper@example.com" and question.user_id == customer.id


@pytest.mark.parametrize(
    "text,sign",
    [
        ("Since an hour I have chest pain and sweating while sitting at home.", "chest pain"),
        ("My back spasm is bad and now I can't breathe properly at all.", "trouble breathing"),
        (
            "After lifting I have loss of bladder control and back pain, what to do?",
            "loss of bladder or bowel control",
        ),
        ("Lately I have thoughts of suicide because the pain never stops.", "self-harm"),
    ],
)
def test_an_emergency_sign_gets_call_112_at_once_and_is_flagged(client, db, spasm, text, sign):
    assert ask(client, question=text).status_code == 303
    page = client.get("/ask/sent").get_data(as_text=True)
    assert "Get emergency care now — call 112" in page
    assert 'role="alert"' in page and sign in page
    (question,) = questions(db)
    assert question.emergency and sign in question.emergency_signs
    if sign == "self-harm":
        assert "14416" in page


def test_a_refused_form_still_answers_an_emergency_at_once(client, db, spasm):
    response = ask(client, question="I can't breathe")  # too short to send
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Get emergency care now — call 112" in html and "trouble breathing" in html
    assert "20 to 2,000 characters" in html
    assert count(db, Question) == 0
    calm = ask(client, question="Back hurts.").get_data(as_text=True)
    assert "emergency care now" not in calm


def test_a_throttled_asker_with_an_emergency_is_still_told_to_call_112(client, db, spasm):
    token = csrf_token_for(client)
    for _ in range(5):
        assert ask(client, token).status_code == 303
    response = ask(client, token, question="Sudden chest pain and my left arm is numb now.")
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert "Get emergency care now — call 112" in html and "chest pain" in html
    assert "several questions in a short time" in html
    calm = ask(client, token).get_data(as_text=True)
    assert "several questions in a short time" in calm and "emergency care now" not in calm
    assert count(db, Question) == 5


def test_the_sent_page_without_a_question_goes_back_to_the_form(client, db):
    response = client.get("/ask/sent")
    assert response.status_code == 302 and response.headers["Location"].endswith("/ask")


@pytest.mark.parametrize(
    "fields,message",
    [
        ({"question": "Back hurts."}, "20 to 2,000 characters"),
        ({"question": "x" * 2001}, "20 to 2,000 characters"),
        ({"question": "   " + "a" * 5 + "   "}, "20 to 2,000 characters"),
        ({"condition": "no-such-condition"}, "Choose a condition from the list"),
        ({"age": "101-200"}, "Choose an age band"),
        ({"consent": None}, "Please agree"),
        ({"email": "not-an-email"}, "valid e-mail"),
        ({"email": None}, "Enter the e-mail address"),
    ],
)
def test_bad_questions_are_422_and_write_nothing(client, db, spasm, fields, message):
    response = ask(client, **fields)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(db, Question) == 0


@pytest.mark.parametrize("control", ["\x00", "\x1b"])
def test_control_characters_in_a_question_are_refused_at_the_edge(client, db, spasm, control):
    response = ask(client, question=f"My back hurts a lot{control} after sitting all day")
    assert response.status_code == 400
    assert "Control characters are not allowed" in response.get_data(as_text=True)
    assert count(db, Question) == 0


def test_line_breaks_count_once_as_in_the_browser(client, db, spasm):
    text = ("My back hurts.\n" * 200)[:2000]  # 2,000 characters as the browser counts them
    sent = text.replace("\n", "\r\n")  # … and submits them, each break as CR LF
    assert len(sent) > 2000
    assert ask(client, question=sent).status_code == 303
    assert "\r" not in questions(db)[0].body


def test_a_question_without_the_security_token_is_refused(client, db, spasm):
    response = client.post("/ask", data={"question": QUESTION, "email": ASKER, "consent": "y"})
    assert response.status_code == 400
    assert count(db, Question) == 0


def test_asking_is_throttled_per_e_mail(client, db, spasm):
    token = csrf_token_for(client)
    for _ in range(5):
        assert ask(client, token).status_code == 303
    response = ask(client, token)
    assert response.status_code == 429
    assert count(db, Question) == 5
    assert ask(client, token, email="someone-else@example.com").status_code == 303


def test_asking_is_throttled_per_ip(client, db, spasm):
    token = csrf_token_for(client)
    for i in range(20):  # failed attempts count too: this limit guards the form itself
        assert ask(client, token, email=f"reader{i}@example.com", consent=None).status_code == 422
    assert ask(client, token, email="fresh@example.com").status_code == 429
    assert count(db, Question) == 0


def test_every_article_and_condition_page_links_to_the_form(client, db, spasm):
    make_article("spasm-basics", condition=spasm)
    make_article("general-health")
    db.session.commit()
    assert 'href="/ask?condition=muscle-spasm"' in client.get("/articles/spasm-basics").text
    assert 'href="/ask"' in client.get("/articles/general-health").text
    assert 'href="/ask?condition=muscle-spasm"' in client.get("/conditions/muscle-spasm").text


# --- the doctors' inbox ------------------------------------------------------------------------


def test_only_doctors_reach_the_inbox(app, client, db, doctors):
    response = client.get("/doctor/")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    make_user("shopper@example.com")
    make_user("clerk@example.com", role="staff")
    db.session.commit()
    assert signed_in(app, "shopper@example.com").get("/doctor/").status_code == 403
    clerk = signed_in(app, "clerk@example.com")
    assert clerk.get("/doctor/").status_code == 403
    assert clerk.get("/doctor/questions/1").status_code == 403
    doctor = signed_in(app, "mehta@example.com")
    assert doctor.get("/doctor/").status_code == 200
    assert doctor.get("/staff/").status_code == 403
    assert doctor.get("/staff/questions/").status_code == 403


def test_the_inbox_lists_flagged_first_then_oldest_and_never_the_e_mail(mehta, db, spasm):
    from datetime import UTC, datetime

    other = make_condition("joint-pain", "Joint pain")
    old = make_question(
        "An old question about back spasms and heat packs.",
        condition=spasm,
        created_at=datetime(2026, 11, 1, tzinfo=UTC),
    )
    flagged = make_question(
        "A newer question with chest pain in it, about spasms.",
        condition=spasm,
        emergency=True,
        created_at=datetime(2026, 11, 3, tzinfo=UTC),
    )
    joint = make_question(
        "A question about knee joint pain on stairs.",
        condition=other,
        created_at=datetime(2026, 11, 2, tzinfo=UTC),
    )
    db.session.commit()
    html = mehta.get("/doctor/").get_data(as_text=True)
    order = [int(n) for n in re.findall(r'data-question="(\d+)"', html)]
    assert order == [flagged.id, old.id, joint.id]
    assert ASKER not in html and "@" not in html.split("<main", 1)[1].split("</main>")[0]
    only_joint = mehta.get("/doctor/?condition=joint-pain").get_data(as_text=True)
    assert re.findall(r'data-question="(\d+)"', only_joint) == [str(joint.id)]
    for bad in ("nope", "%00", "x" * 500, "Joint%20Pain"):
        assert mehta.get(f"/doctor/?condition={bad}").status_code == 400
    page = mehta.get(f"/doctor/questions/{flagged.id}").get_data(as_text=True)
    assert "Emergency sign" in page and ASKER not in page


def test_html_in_a_question_is_shown_as_text_everywhere(client, mehta, staff, db, spasm):
    body = "<script>alert('x')</script> <b>My back</b> hurts after sitting all day."
    assert ask(client, question=body).status_code == 303
    (question,) = questions(db)
    for page in (
        mehta.get("/doctor/").get_data(as_text=True),
        mehta.get(f"/doctor/questions/{question.id}").get_data(as_text=True),
        staff.get("/staff/questions/?status=open").get_data(as_text=True),
        staff.get(f"/staff/questions/{question.id}").get_data(as_text=True),
    ):
        assert "<script>alert" not in page and "<b>My back" not in page
        assert "&lt;script&gt;" in page


def test_a_doctor_answers_and_a_second_doctor_gets_409(mehta, rao, db, spasm):
    question = make_question(condition=spasm)
    db.session.commit()
    preview = answer(
        mehta, question.id, "**Rest** and heat; see a doctor if it persists.", "preview"
    )
    assert preview.status_code == 200 and "<strong>Rest</strong>" in preview.text
    assert questions(db)[0].status == "open"

    response = answer(mehta, question.id)
    assert response.status_code == 303
    (saved,) = questions(db)
    assert saved.status == "answered" and saved.answer == ANSWER
    assert saved.doctor_id == mehta_doctor_id(db)

    late = answer(rao, question.id, "A different answer from a different doctor, too late.")
    assert late.status_code == 409
    assert "Another doctor has already answered" in late.text
    assert questions(db)[0].answer == ANSWER

    again = answer(mehta, question.id, "A better wording of my own answer, before staff look.")
    assert again.status_code == 303
    assert questions(db)[0].answer.startswith("A better wording")


def mehta_doctor_id(db) -> int:
    from tests.questions import user_by_email

    return user_by_email("mehta@example.com").doctor_id


@pytest.mark.parametrize("status", ["published", "rejected"])
def test_a_closed_question_takes_no_answer(mehta, db, doctors, spasm, status):
    question = make_question(condition=spasm, status=status, doctor=doctors["rao"])
    db.session.commit()
    response = answer(mehta, question.id, "Trying to answer a question that is closed now.")
    assert response.status_code == 409
    assert questions(db)[0].answer == ANSWER


def test_bad_answers_are_422_or_404_and_write_nothing(mehta, db, spasm):
    question = make_question(condition=spasm)
    db.session.commit()
    assert answer(mehta, question.id, "Too short").status_code == 422
    # a control character is refused at the request edge, before the form sees it
    assert answer(mehta, question.id, "A long enough answer\x00 with a NUL").status_code == 400
    assert answer(mehta, question.id, "x" * 10_001).status_code == 422
    assert answer(mehta, 999_999).status_code == 404
    assert answer(mehta, 2**40).status_code == 404
    assert mehta.get("/doctor/questions/2147483648").status_code == 404
    assert questions(db)[0].status == "open" and questions(db)[0].answer == ""


# --- moderation -----------------------------------------------------------------------------


def test_staff_publish_with_edited_wording_and_the_asker_gets_the_link(
    client, staff, db, doctors, spasm
):
    question = make_question(
        "I am Priya from Pune (98200 00000). My lower back spasms after work. Heat or ice?",
        condition=spasm,
        status="answered",
        doctor=doctors["mehta"],
    )
    db.session.commit()
    listing = staff.get("/staff/questions/").get_data(as_text=True)
    assert f'data-question="{question.id}"' in listing
    detail = staff.get(f"/staff/questions/{question.id}").get_data(as_text=True)
    assert ASKER in detail and "Publish and e-mail the asker" in detail

    before = content_version()
    response = publish(staff, question.id)
    assert response.status_code == 303
    db.session.expire_all()
    assert content_version() > before
    (saved,) = questions(db)
    assert saved.status == "published" and saved.slug == "heat-or-ice-for-a-back-spasm"
    url = f"/questions/{saved.id}-heat-or-ice-for-a-back-spasm"
    (mail,) = mails(db, ASKER)
    assert "http://shop.test" + url in mail.body

    (entry,) = db.session.scalars(select(AuditEntry).where(AuditEntry.object_type == "question"))
    assert entry.action == "publish" and entry.actor_email == "moderator@example.com"
    assert entry.before["status"] == "answered" and entry.after["status"] == "published"

    page = client.get(url).get_data(as_text=True)
    assert "Heat or ice for a back spasm?" in page and "a cold pack" in page
    assert "Answered by" in page and "Dr. Vikram Mehta" in page
    assert "10 years of experience" in page
    for private in ("Priya", "Pune", "98200", ASKER):
        assert private not in page
    condition_page = client.get("/conditions/muscle-spasm").get_data(as_text=True)
    assert url in condition_page and "Answered by Dr. Vikram Mehta · 10 years of experience" in (
        condition_page
    )
    doctor_page = client.get(f"/doctors/{doctors['mehta'].slug}").get_data(as_text=True)
    assert url in doctor_page

    # Editing the published wording is audited, and the asker is not mailed twice.
    response = publish(staff, question.id, title="Heat or ice for a lower back spasm?")
    assert response.status_code == 303
    assert questions(db)[0].slug == "heat-or-ice-for-a-lower-back-spasm"
    assert len(mails(db, ASKER)) == 1
    actions = [
        e.action
        for e in db.session.scalars(
            select(AuditEntry).where(AuditEntry.object_type == "question").order_by(AuditEntry.id)
        )
    ]
    assert actions == ["publish", "update"]
    unchanged = publish(staff, question.id, title="Heat or ice for a lower back spasm?")
    assert unchanged.status_code == 303
    assert count(db, AuditEntry) == 2  # saving the same wording records nothing
    moved = client.get(url)
    assert moved.status_code == 301
    assert moved.headers["Location"].endswith(
        f"/questions/{saved.id}-heat-or-ice-for-a-lower-back-spasm"
    )


def test_staff_preview_writes_nothing(staff, db, doctors, spasm):
    question = make_question(condition=spasm, status="answered", doctor=doctors["mehta"])
    db.session.commit()
    response = publish(
        staff, question.id, answer="## Heat\n\n**Gentle** heat helps most.", action="preview"
    )
    assert response.status_code == 200 and "<strong>Gentle</strong>" in response.text
    assert questions(db)[0].status == "answered"
    assert count(db, AuditEntry) == 0


@pytest.mark.parametrize(
    "fields",
    [
        {"title": "Short"},
        {"question": "Too short"},
        {"answer": "Too short"},
        {"answer": "A long enough answer but with \x00 inside it."},
        {"title": ""},
    ],
)
def test_bad_publish_values_are_422_and_write_nothing(staff, db, doctors, spasm, fields):
    question = make_question(condition=spasm, status="answered", doctor=doctors["mehta"])
    db.session.commit()
    refused_at_the_edge = "\x00" in "".join(fields.values())
    status = 400 if refused_at_the_edge else 422
    assert publish(staff, question.id, **fields).status_code == status
    assert questions(db)[0].status == "answered"
    assert count(db, AuditEntry) == 0 and count(db, OutboxMessage) == 0


def test_an_unanswered_question_cannot_be_published(staff, db, spasm):
    question = make_question(condition=spasm)
    db.session.commit()
    response = publish(staff, question.id)
    assert response.status_code == 409
    assert questions(db)[0].status == "open" and count(db, AuditEntry) == 0
    assert publish(staff, 123456).status_code == 404


def test_staff_reject_with_a_reason_which_is_audited_and_mailed(client, staff, db, doctors, spasm):
    question = make_question(condition=spasm, status="answered", doctor=doctors["mehta"])
    db.session.commit()
    assert reject(staff, question.id, "no").status_code == 422
    assert questions(db)[0].status == "answered"
    response = reject(staff, question.id, "This asks for a diagnosis we cannot give here.")
    assert response.status_code == 303
    (saved,) = questions(db)
    assert saved.status == "rejected"
    assert saved.rejection_reason == "This asks for a diagnosis we cannot give here."
    (entry,) = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "reject"))
    assert entry.object_id == str(question.id)
    (mail,) = mails(db, ASKER)
    assert "a diagnosis we cannot give here" in mail.body
    assert reject(staff, question.id).status_code == 409
    assert client.get(f"/questions/{question.id}-anything").status_code == 404


def test_rejecting_a_published_question_takes_it_off_the_site(client, staff, db, doctors, spasm):
    question = make_question(condition=spasm, status="published", doctor=doctors["mehta"])
    db.session.commit()
    url = f"/questions/{question.id}-{question.slug}"
    assert client.get(url).status_code == 200
    assert url in client.get("/sitemap.xml").text
    assert reject(staff, question.id, "The asker asked us to remove it.").status_code == 303
    assert client.get(url).status_code == 404
    assert url not in client.get("/sitemap.xml").text
    assert url not in client.get("/conditions/muscle-spasm").text


def test_customers_and_doctors_cannot_moderate(app, mehta, db, doctors, spasm):
    question = make_question(condition=spasm, status="answered", doctor=doctors["mehta"])
    make_user("shopper@example.com")
    db.session.commit()
    mehta_result = publish(mehta, question.id)
    assert mehta_result.status_code == 403
    shopper = signed_in(app, "shopper@example.com")
    assert publish(shopper, question.id).status_code == 403
    assert reject(shopper, question.id).status_code == 403
    assert questions(db)[0].status == "answered"


# --- public pages ---------------------------------------------------------------------------


def test_the_question_page_redirects_to_its_slug_and_hides_the_unpublished(
    client, db, doctors, spasm
):
    published = make_question(condition=spasm, status="published", doctor=doctors["mehta"])
    answered = make_question(condition=spasm, status="answered", doctor=doctors["mehta"])
    db.session.commit()
    canonical = f"/questions/{published.id}-{published.slug}"
    for wrong in (f"/questions/{published.id}-wrong-slug", f"/questions/{published.id}"):
        response = client.get(wrong)
        assert response.status_code == 301 and response.headers["Location"].endswith(canonical)
    assert client.get(canonical).status_code == 200
    assert client.get(f"/questions/{answered.id}-{answered.slug or 'x'}").status_code == 404
    assert client.get(f"/questions/{answered.id}").status_code == 404
    assert client.get("/questions/99999999999-big").status_code == 404
    assert client.get("/questions/abc").status_code == 404


def test_json_ld_is_a_qapage_escaped_inside_its_script(client, db, doctors, spasm):
    title = "Is </script><script>alert(1)</script> & <b>bold</b> safe for backs?"
    question = make_question(
        "Is </script> & <b> a problem in a question about my back pain?",
        condition=spasm,
        status="published",
        doctor=doctors["mehta"],
        title=title,
    )
    db.session.commit()
    html = client.get(f"/questions/{question.id}-{question.slug}").get_data(as_text=True)
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert len(blocks) == 1
    raw = blocks[0]
    assert "<" not in raw and ">" not in raw and "&" not in raw
    data = json.loads(raw)
    assert data["@type"] == "QAPage"
    main = data["mainEntity"]
    assert main["@type"] == "Question" and main["name"] == title and main["answerCount"] == 1
    assert main["acceptedAnswer"]["author"]["name"] == "Dr. Vikram Mehta"
    assert "cold pack" in main["acceptedAnswer"]["text"]
    assert "<script>alert(1)" not in html
    assert ASKER not in html


def test_an_answer_is_sanitised_like_an_article(client, db, doctors, spasm):
    question = make_question(condition=spasm, status="published", doctor=doctors["mehta"])
    question.public_answer = (
        "## Heat\n\n<script>alert(1)</script><img src=x onerror=alert(2)>"
        "[click](javascript:alert(3)) and **rest**.\n"
    )
    db.session.commit()
    html = client.get(f"/questions/{question.id}-{question.slug}").get_data(as_text=True)
    body = html.split('class="qa-answer"', 1)[1]
    assert "<script>alert(1)" not in body and "onerror" not in body
    assert "javascript:" not in body and "<strong>rest</strong>" in body


def test_published_questions_are_in_the_sitemap(client, db, doctors, spasm):
    published = make_question(condition=spasm, status="published", doctor=doctors["mehta"])
    hidden = make_question(condition=spasm, status="answered", doctor=doctors["rao"])
    db.session.commit()
    sitemap = client.get("/sitemap.xml").get_data(as_text=True)
    assert f"http://shop.test/questions/{published.id}-{published.slug}" in sitemap
    assert f"/questions/{hidden.id}" not in sitemap
    robots = client.get("/robots.txt").get_data(as_text=True)
    assert "Disallow: /doctor/" in robots and "Disallow: /questions" not in robots


def test_condition_page_query_count_does_not_grow_with_questions(
    client, db, doctors, spasm, count_queries
):
    make_question(condition=spasm, status="published", doctor=doctors["mehta"])
    db.session.commit()
    with count_queries() as one:
        assert client.get("/conditions/muscle-spasm").status_code == 200
    for doctor in ("mehta", "rao", "rao", "mehta"):
        make_question(condition=spasm, status="published", doctor=doctors[doctor])
    db.session.commit()
    with count_queries() as five:
        html = client.get("/conditions/muscle-spasm").get_data(as_text=True)
    assert html.count("Answered by") == 5
    assert five.count == one.count


def test_doctor_page_query_count_does_not_grow_with_answers(
    client, db, doctors, spasm, count_queries
):
    slug = doctors["mehta"].slug
    make_question(condition=spasm, status="published", doctor=doctors["mehta"])
    db.session.commit()
    with count_queries() as one:
        assert client.get(f"/doctors/{slug}").status_code == 200
    for _ in range(4):
        make_question(condition=spasm, status="published", doctor=doctors["mehta"])
    db.session.commit()
    with count_queries() as five:
        html = client.get(f"/doctors/{slug}").get_data(as_text=True)
    assert html.count("10 years of experience") >= 5
    assert five.count == one.count


def test_cached_pages_show_a_question_as_soon_as_it_is_published(
    app, client, staff, db, doctors, spasm, monkeypatch
):
    monkeypatch.setitem(app.config, "PAGE_CACHE_SECONDS", 60)
    app.extensions["page_cache"].clear()
    question = make_question(condition=spasm, status="answered", doctor=doctors["mehta"])
    db.session.commit()
    assert "Heat or ice" not in client.get("/conditions/muscle-spasm").text
    assert ask(client).status_code == 303  # a new open question leaves cached pages alone
    assert publish(staff, question.id).status_code == 303
    html = client.get("/conditions/muscle-spasm").get_data(as_text=True)
    assert "Heat or ice for a back spasm?" in html
    page = client.get(f"/questions/{question.id}-heat-or-ice-for-a-back-spasm")
    assert page.status_code == 200 and "\x00" not in page.text
    app.extensions["page_cache"].clear()


def test_doctors_answering_at_the_same_moment_get_one_winner(app, db, spasm):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    emails = [f"doctor{i}@example.com" for i in range(4)]
    for email in emails:
        make_doctor_user(email, conditions=[spasm])
    question = make_question(condition=spasm)
    db.session.commit()
    question_id = question.id
    clients = [signed_in(app, email) for email in emails]
    start = threading.Barrier(len(clients))

    def answer_now(client):
        start.wait()
        return answer(client, question_id, f"An answer written by {client.token[:6]}, in full.")

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        statuses = sorted(pool.map(answer_now, clients), key=lambda r: r.status_code)
    assert [r.status_code for r in statuses] == [303, 409, 409, 409]
    (saved,) = questions(db)
    assert saved.status == "answered" and saved.doctor_id is not None
