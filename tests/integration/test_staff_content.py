"""Back office: articles (editor, preview, embed checks, publishing) and doctors."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from shop.content.models import Article, Doctor
from shop.demo import seed_demo
from tests.factories import (
    make_article,
    make_condition,
    make_doctor,
    make_product,
    make_user,
)
from tests.helpers import audits, count, log_in, post


@pytest.fixture()
def staff(client, db):
    """The test client signed in as staff; `staff.token` is its CSRF token."""
    make_user("editor@example.com", role="staff")
    db.session.commit()
    client.token = log_in(client, "editor@example.com")
    return client


def article_fields(**overrides) -> dict:
    fields = {
        "slug": "back-pain-basics",
        "title": "Back Pain Basics",
        "summary": "What helps a sore back.",
        "author": "Remedy Shop editors",
        "condition_id": "",
        "reviewer_id": "",
        "last_reviewed": "2026-01-15",
        "body": "## Symptoms\n\nStiffness.\n",
        "action": "save",
    }
    fields.update(overrides)
    return fields


# --- access ------------------------------------------------------------------------------------

STAFF_URLS = ["/staff/articles/", "/staff/articles/new", "/staff/doctors/", "/staff/doctors/new"]


@pytest.mark.parametrize("url", STAFF_URLS)
def test_anonymous_visitors_are_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


@pytest.mark.parametrize("url", STAFF_URLS)
def test_customers_are_refused(client, db, url):
    make_user("shopper@example.com")
    db.session.commit()
    log_in(client, "shopper@example.com")
    assert client.get(url).status_code == 403


def test_a_form_without_its_csrf_token_is_refused(staff, db):
    response = staff.post("/staff/articles/new", data=article_fields())
    assert response.status_code == 400
    assert count(db, Article) == 0


# --- article list ------------------------------------------------------------------------------


def test_article_list_searches_filters_and_pages(staff, db):
    make_article("muscle-cramps", title="Muscle Cramps")
    make_article("leg-pain", title="Leg Pain", published=False)
    for n in range(50):
        make_article(f"filler-{n}", title=f"Filler {n:02d}")
    db.session.commit()

    html = staff.get("/staff/articles/").get_data(as_text=True)
    assert "Page 1 of 2 (52)" in html and html.count('data-status="') == 50
    second = staff.get("/staff/articles/?page=2").get_data(as_text=True)
    assert second.count('data-status="') == 2
    assert staff.get("/staff/articles/?page=3").status_code == 404
    assert staff.get("/staff/articles/?page=x").status_code == 400

    found = staff.get("/staff/articles/?q=cramps").get_data(as_text=True)
    assert "Muscle Cramps" in found and "Leg Pain" not in found and "Filler" not in found
    drafts = staff.get("/staff/articles/?status=draft").get_data(as_text=True)
    assert "Leg Pain" in drafts and "Muscle Cramps" not in drafts
    published = staff.get("/staff/articles/?status=published&q=pain").get_data(as_text=True)
    assert "Leg Pain" not in published
    assert staff.get("/staff/articles/?status=bogus").status_code == 400


# --- creating and editing ----------------------------------------------------------------------


def test_new_article_is_saved_as_a_draft_with_every_field_and_audited(staff, db):
    condition = make_condition("muscle-spasm", "Muscle spasm")
    doctor = make_doctor("dr-rao")
    other = make_article("muscle-cramps", title="Muscle Cramps")
    make_product("joint-pain-oil")
    db.session.commit()

    body = "## Treatment\n\nRest.\n\n[[product:joint-pain-oil]]\n\nSee [[article:muscle-cramps]].\n"
    response = post(
        staff,
        "/staff/articles/new",
        **article_fields(
            condition_id=str(condition.id),
            reviewer_id=str(doctor.id),
            related=str(other.id),
            body=body.replace("\n", "\r\n"),
            slug="  back-pain-basics ",
        ),
    )
    assert response.status_code == 303

    article = db.session.scalar(select(Article).where(Article.slug == "back-pain-basics"))
    assert article.title == "Back Pain Basics" and article.summary == "What helps a sore back."
    assert article.condition_id == condition.id and article.reviewer_id == doctor.id
    assert article.last_reviewed == date(2026, 1, 15)
    assert [a.slug for a in article.related] == ["muscle-cramps"]
    assert article.body == body  # browsers send CRLF; we store plain newlines
    assert article.published is False and article.published_at is None
    assert response.headers["Location"].endswith(f"/staff/articles/{article.id}")

    (entry,) = audits(db, "article")
    assert (entry.action, entry.object_id, entry.actor_email) == (
        "create",
        str(article.id),
        "editor@example.com",
    )
    assert entry.before is None
    assert entry.after["slug"] == "back-pain-basics" and entry.after["related"] == ["muscle-cramps"]

    page = staff.get(f"/staff/articles/{article.id}")
    assert page.status_code == 200
    assert "Back Pain Basics" in page.get_data(as_text=True)


def test_editing_an_article_records_before_and_after(staff, db):
    article = make_article("muscle-cramps", title="Muscle Cramps", published=False)
    db.session.commit()
    url = f"/staff/articles/{article.id}"
    response = post(staff, url, **article_fields(slug="muscle-cramps", title="Muscle Cramps 101"))
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Article, article.id).title == "Muscle Cramps 101"
    (entry,) = audits(db, "article")
    assert entry.action == "update"
    assert (entry.before["title"], entry.after["title"]) == ("Muscle Cramps", "Muscle Cramps 101")
    assert "title" in entry.changed_fields

    # The same values again change nothing and record nothing.
    again = post(staff, url, **article_fields(slug="muscle-cramps", title="Muscle Cramps 101"))
    assert again.status_code == 303
    assert len(audits(db, "article")) == 1


def test_saving_the_demo_article_unchanged_writes_nothing(staff, db):
    seed_demo(db.session)
    db.session.commit()
    article = db.session.scalar(select(Article).where(Article.slug == "muscle-spasm-in-back"))
    url = f"/staff/articles/{article.id}"
    assert staff.get(url).status_code == 200
    response = staff.post(
        url,
        data={
            "csrf_token": staff.token,
            "action": "save",
            "slug": article.slug,
            "title": article.title,
            "summary": article.summary,
            "author": article.author,
            "condition_id": str(article.condition_id),
            "reviewer_id": str(article.reviewer_id),
            "last_reviewed": article.last_reviewed.isoformat(),
            "related": [str(a.id) for a in article.related],
            "body": article.body.replace("\n", "\r\n"),  # as a browser sends a textarea
        },
    )
    assert response.status_code == 303
    assert "Nothing changed." in staff.get(url).get_data(as_text=True)
    assert audits(db, "article") == []


def test_unknown_article_ids_are_404(staff, db):
    assert staff.get("/staff/articles/999").status_code == 404
    assert post(staff, "/staff/articles/999", **article_fields()).status_code == 404
    assert post(staff, "/staff/articles/999/publish").status_code == 404
    assert post(staff, "/staff/articles/999/unpublish").status_code == 404


def _future() -> str:
    return (datetime.now(UTC).date() + timedelta(days=2)).isoformat()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"slug": "Back Pain"}, "lower-case letters, digits and single hyphens"),
        ({"slug": "back--pain"}, "single hyphens"),
        ({"slug": ""}, "Enter a slug."),
        ({"title": "   "}, "Enter a title."),
        ({"title": "x" * 251}, "250"),
        ({"last_reviewed": "2026-02-30"}, "Not a valid date"),
        ({"last_reviewed": "FUTURE"}, "cannot be in the future"),
        ({"condition_id": "9999"}, "Not a valid choice"),
        ({"reviewer_id": "abc"}, "Invalid Choice"),
        ({"related": "no-such-article"}, "No article has the slug: no-such-article."),
        ({"slug": "taken"}, "Another article already uses this slug."),
    ],
)
def test_bad_article_values_are_refused_and_nothing_is_written(staff, db, overrides, message):
    make_article("taken", title="Already here")
    db.session.commit()
    if overrides.get("last_reviewed") == "FUTURE":
        overrides = {"last_reviewed": _future()}
    response = post(staff, "/staff/articles/new", **article_fields(**overrides))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html and 'class="field-error"' in html
    assert count(db, Article) == 1 and audits(db, "article") == []


def test_nul_characters_are_refused_at_the_edge_and_write_nothing(staff, db):
    response = post(
        staff,
        "/staff/articles/new",
        **article_fields(title="Back\x00 Pain", body="Text\x00 here.\n"),
    )
    assert response.status_code == 400
    assert count(db, Article) == 0 and audits(db, "article") == []


def test_a_slug_taken_a_moment_before_saving_is_refused_by_the_database(staff, db, monkeypatch):
    from shop.staff import content

    make_article("back-pain-basics", title="Someone else's")
    db.session.commit()
    monkeypatch.setattr(content.service, "slug_taken", lambda *args: False)  # the check raced
    response = post(staff, "/staff/articles/new", **article_fields())
    assert response.status_code == 422
    assert "Another article already uses this slug." in response.get_data(as_text=True)
    assert count(db, Article) == 1 and audits(db, "article") == []


def test_an_article_cannot_be_its_own_related_article(staff, db):
    article = make_article("muscle-cramps", title="Muscle Cramps")
    db.session.commit()
    response = post(
        staff,
        f"/staff/articles/{article.id}",
        **article_fields(slug="muscle-cramps", title="Muscle Cramps", related=str(article.id)),
    )
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(Article, article.id).related == []


# --- embeds and the preview --------------------------------------------------------------------


def test_saving_a_body_with_unknown_embeds_is_refused_with_each_problem(staff, db):
    make_product("joint-pain-oil")
    db.session.commit()
    body = (
        "[[product:joint-pain-oil]]\n\n[[product:no-such-oil]]\n\n"
        "Read [[article:nowhere]] and [[recipe:soup]].\n"
    )
    response = post(staff, "/staff/articles/new", **article_fields(body=body))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Unknown product &#34;no-such-oil&#34;" in html
    assert "Unknown article &#34;nowhere&#34;" in html and "Unknown embed type" in html
    assert "joint-pain-oil&#34; in" not in html
    assert count(db, Article) == 0 and audits(db, "article") == []


def test_embeds_of_drafts_inactive_products_and_the_article_itself_are_accepted(staff, db):
    make_product("retired-balm", active=False)
    make_article("draft-piece", published=False)
    db.session.commit()
    body = (
        "[[product:retired-balm]]\n\nSee [[article:draft-piece]] and "
        "[[article:back-pain-basics]].\n"
    )
    response = post(staff, "/staff/articles/new", **article_fields(body=body))
    assert response.status_code == 303
    assert count(db, Article) == 2


def test_preview_shows_a_live_product_card_and_writes_nothing(staff, db):
    make_product("joint-pain-oil", name="Joint Pain Oil", mrp=39900, price=34900)
    db.session.commit()
    body = "## Treatment\n\nWarm the oil.\n\n[[product:joint-pain-oil]]\n\n[[product:nope]]\n"
    response = post(
        staff,
        "/staff/articles/new",
        **article_fields(body=body, action="preview", title="Oil for backs"),
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Preview — not saved" in html
    assert 'class="product-card product-card-embed"' in html and "Joint Pain Oil" in html
    assert "₹349" in html and "₹399" in html and "12% OFF" in html
    assert 'action="/cart/add"' in html  # the live card's add-to-cart form
    assert 'id="treatment"' in html  # headings get anchors as on the public page
    assert "Saving will be refused" in html and "nope" in html
    assert "Oil for backs" in html and "Warm the oil." in html  # the form keeps its values
    assert count(db, Article) == 0 and audits(db, "article") == []


def test_preview_of_an_existing_article_leaves_it_unchanged(staff, db):
    article = make_article("muscle-cramps", title="Muscle Cramps", body="Old body.")
    db.session.commit()
    response = post(
        staff,
        f"/staff/articles/{article.id}",
        **article_fields(
            slug="muscle-cramps", title="New title", body="New **body**.", action="preview"
        ),
    )
    assert response.status_code == 200
    assert "New <strong>body</strong>." in response.get_data(as_text=True)
    db.session.expire_all()
    saved = db.session.get(Article, article.id)
    assert (saved.title, saved.body) == ("Muscle Cramps", "Old body.")
    assert audits(db, "article") == []


def test_preview_escapes_script_from_the_author(staff, db):
    response = post(
        staff,
        "/staff/articles/new",
        **article_fields(
            body="Hi <script>alert(1)</script><img src=x onerror=alert(2)>", action="preview"
        ),
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "&lt;script&gt;alert(1)" in html  # the editor shows the text as typed
    preview = html.split('class="article-body"', 1)[1]
    assert "Hi" in preview and "<script" not in preview and "onerror" not in preview


# --- publishing --------------------------------------------------------------------------------


def test_publish_and_unpublish_change_the_storefront_and_are_audited(staff, db):
    article = make_article("back-pain-basics", title="Back Pain Basics", published=False)
    article.published_at = None
    db.session.commit()
    assert staff.get("/articles/back-pain-basics").status_code == 404

    response = post(staff, f"/staff/articles/{article.id}/publish")
    assert response.status_code == 303
    assert staff.get("/articles/back-pain-basics").status_code == 200
    db.session.expire_all()
    first = db.session.get(Article, article.id).published_at
    assert first is not None

    assert post(staff, f"/staff/articles/{article.id}/unpublish").status_code == 303
    assert staff.get("/articles/back-pain-basics").status_code == 404
    db.session.expire_all()
    assert db.session.get(Article, article.id).published_at == first  # kept

    assert post(staff, f"/staff/articles/{article.id}/publish").status_code == 303
    db.session.expire_all()
    assert db.session.get(Article, article.id).published_at == first  # set only the first time

    entries = audits(db, "article")
    assert [e.action for e in entries] == ["publish", "unpublish", "publish"]
    assert (entries[0].before["published"], entries[0].after["published"]) == (False, True)
    assert entries[0].before["published_at"] is None and entries[0].after["published_at"]
    assert (entries[1].before["published"], entries[1].after["published"]) == (True, False)


def test_publishing_twice_changes_nothing(staff, db):
    article = make_article("live-one", published=True)
    db.session.commit()
    response = post(staff, f"/staff/articles/{article.id}/publish")
    assert response.status_code == 303
    assert audits(db, "article") == []


def test_an_article_whose_embeds_no_longer_exist_is_not_published(staff, db):
    article = make_article("old-piece", published=False, body="[[product:gone-oil]]\n")
    db.session.commit()
    response = post(staff, f"/staff/articles/{article.id}/publish")
    assert response.status_code == 422
    assert "gone-oil" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Article, article.id).published is False
    assert audits(db, "article") == []
    assert staff.get("/articles/old-piece").status_code == 404


def test_publish_needs_a_post_with_a_token(staff, db):
    article = make_article("draft", published=False)
    db.session.commit()
    assert staff.get(f"/staff/articles/{article.id}/publish").status_code == 405
    assert staff.post(f"/staff/articles/{article.id}/publish").status_code == 400
    db.session.expire_all()
    assert db.session.get(Article, article.id).published is False


# --- doctors -----------------------------------------------------------------------------------


def doctor_fields(**overrides) -> dict:
    fields = {
        "slug": "dr-meera-rao",
        "name": "Dr. Meera Rao",
        "specialty": "Physiotherapy",
        "years_experience": "12",
        "bio": "Treats back pain.",
        "active": "y",
    }
    fields.update(overrides)
    return fields


def test_doctor_list_searches(staff, db):
    make_doctor("dr-one")
    rao = make_doctor("dr-rao")
    rao.name, rao.specialty = "Dr. Rao", "Orthopaedics"
    db.session.commit()
    html = staff.get("/staff/doctors/?q=rao").get_data(as_text=True)
    assert "Dr. Rao" in html and "dr-one" not in html
    assert "dr-one" in staff.get("/staff/doctors/").get_data(as_text=True)


def test_new_doctor_with_conditions_is_saved_audited_and_shown_on_the_shop(staff, db):
    spasm = make_condition("muscle-spasm", "Muscle spasm")
    cramps = make_condition("muscle-cramps", "Muscle cramps")
    db.session.commit()
    assert staff.get("/staff/doctors/new").status_code == 200
    response = staff.post(
        "/staff/doctors/new",
        data={
            "csrf_token": staff.token,
            **doctor_fields(),
            "conditions": [str(spasm.id), str(cramps.id)],
        },
    )
    assert response.status_code == 303
    doctor = db.session.scalar(select(Doctor))
    assert (doctor.slug, doctor.years_experience, doctor.active) == ("dr-meera-rao", 12, True)
    assert sorted(c.slug for c in doctor.conditions) == ["muscle-cramps", "muscle-spasm"]
    (entry,) = audits(db, "doctor")
    assert entry.action == "create" and entry.after["conditions"] == [
        "muscle-cramps",
        "muscle-spasm",
    ]
    assert "Dr. Meera Rao" in staff.get("/doctors/dr-meera-rao").get_data(as_text=True)


def test_editing_a_doctor_can_deactivate_them(staff, db):
    doctor = make_doctor("dr-rao", years=10)
    db.session.commit()
    url = f"/staff/doctors/{doctor.id}"
    assert staff.get(url).status_code == 200
    response = post(staff, url, **doctor_fields(slug="dr-rao", years_experience="11", active=""))
    assert response.status_code == 303
    db.session.expire_all()
    doctor = db.session.get(Doctor, doctor.id)
    assert (doctor.years_experience, doctor.active) == (11, False)
    (entry,) = audits(db, "doctor")
    assert entry.action == "update"
    assert (entry.before["active"], entry.after["active"]) == (True, False)
    assert staff.get("/doctors/dr-rao").status_code == 404
    assert staff.get("/staff/doctors/999").status_code == 404


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"years_experience": "71"}, "between 0 and 70"),
        ({"years_experience": "-1"}, "between 0 and 70"),
        ({"years_experience": "ten"}, "Not a valid integer"),
        ({"years_experience": ""}, "Enter the years of experience."),
        ({"name": ""}, "Enter the doctor&#39;s name."),
        ({"specialty": ""}, "Enter a specialty."),
        ({"slug": "Dr Rao"}, "lower-case letters"),
        ({"slug": "dr-taken"}, "Another doctor already uses this slug."),
        ({"conditions": "9999"}, "not a valid choice"),
    ],
)
def test_bad_doctor_values_are_refused_and_nothing_is_written(staff, db, overrides, message):
    make_doctor("dr-taken")
    db.session.commit()
    response = post(staff, "/staff/doctors/new", **doctor_fields(**overrides))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(db, Doctor) == 1 and audits(db, "doctor") == []
