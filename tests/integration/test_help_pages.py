"""Help and legal pages (Consumer Protection (E-Commerce) Rules, 2020; issue 16): contact,
grievance officer, returns and refunds, shipping, privacy and terms — public, linked
from the footer of every page, edited by staff (validated, audited)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from shop.cache import clear_process_caches
from shop.demo.help_pages import seed_help_pages
from shop.help.models import HelpPage
from shop.help.pages import PAGES
from tests.factories import make_user
from tests.helpers import audits, count, log_in, post

SLUGS = [page.slug for page in PAGES]


@pytest.fixture()
def pages(db):
    seed_help_pages(db.session)
    db.session.commit()


@pytest.fixture()
def staff(client, db):
    make_user("editor@example.com", role="staff")
    db.session.commit()
    client.token = log_in(client, "editor@example.com")
    return client


def _fields(**overrides) -> dict:
    fields = {
        "title": "Grievance officer",
        "summary": "Who handles complaints.",
        "body": "We answer within 48 hours.\n",
        "contact_name": "Asha Menon",
        "contact_role": "Grievance officer",
        "contact_email": "Asha@Example.com",
        "contact_phone": "+91 80 4000 9999",
        "contact_address": "1 Test Street\nBengaluru 560001",
    }
    fields.update(overrides)
    return fields


@pytest.mark.parametrize("slug", SLUGS)
def test_every_page_is_public_and_linked_from_the_footer(client, pages, slug):
    response = client.get(f"/help/{slug}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    footer = html[html.index('<footer class="site-footer">') :]
    for other in SLUGS:
        assert f'href="/help/{other}"' in footer
    assert "<h1>" in html


def test_the_grievance_officer_is_named_with_contact_details_and_deadlines(client, pages):
    html = client.get("/help/grievance-officer").get_data(as_text=True)
    assert re.search(r'data-contact="name">Meera Nair<', html)
    assert 'href="mailto:grievance@remedyshop.example"' in html
    assert 'data-contact="phone"' in html
    assert "within 48 hours" in html and "within one month" in html
    contact = client.get("/help/contact").get_data(as_text=True)
    assert 'data-contact="email"' in contact and "Remedy Shop Demo Pvt. Ltd." in contact


def test_unknown_or_unwritten_pages_are_404(client, db):
    assert client.get("/help/cookies").status_code == 404
    assert client.get("/help/terms").status_code == 404  # in the set, not written yet
    assert client.get("/help/").status_code == 200


def test_seeding_twice_adds_nothing(db, pages):
    assert seed_help_pages(db.session) == 0
    assert count(db, HelpPage) == len(SLUGS)


def test_help_page_runs_a_fixed_number_of_queries(client, pages, count_queries):
    clear_process_caches(client.application)
    with count_queries() as counter:
        assert client.get("/help/privacy").status_code == 200
    assert counter.count <= 3


def test_staff_edit_a_page_and_the_change_is_audited_and_live(staff, db, pages):
    assert staff.get("/staff/help-pages/").status_code == 200
    assert staff.get("/staff/help-pages/grievance-officer").status_code == 200
    response = post(staff, "/staff/help-pages/grievance-officer", **_fields())
    assert response.status_code == 303
    page = db.session.scalar(select(HelpPage).where(HelpPage.slug == "grievance-officer"))
    assert page.contact_name == "Asha Menon"
    assert page.contact_email == "asha@example.com"  # the one e-mail rule
    (entry,) = audits(db, "help_page")
    assert entry.action == "update" and "contact_name" in entry.after
    html = staff.get("/help/grievance-officer").get_data(as_text=True)
    assert "Asha Menon" in html and "We answer within 48 hours." in html
    # saving it again unchanged writes no second audit entry
    post(staff, "/staff/help-pages/grievance-officer", **_fields())
    assert len(audits(db, "help_page")) == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": ""}, "Enter a title."),
        ({"body": "  "}, "Enter the page&#39;s text."),
        ({"contact_name": ""}, "Name the person customers can write to."),
        ({"contact_email": ""}, "Give an e-mail address for complaints."),
        ({"contact_email": "not-an-address"}, "valid e-mail"),
        ({"contact_phone": ""}, "Give a phone number for complaints."),
        ({"contact_phone": "call me"}, "Write a phone number"),
        ({"title": "x" * 201}, "Field cannot be longer than 200 characters."),
    ],
)
def test_bad_values_are_422_and_write_nothing(staff, db, pages, overrides, message):
    before = db.session.scalar(select(HelpPage.contact_name).where(HelpPage.slug == "contact"))
    response = post(staff, "/staff/help-pages/contact", **_fields(**overrides))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    after = db.session.scalar(select(HelpPage.contact_name).where(HelpPage.slug == "contact"))
    assert after == before
    assert audits(db, "help_page") == []


def test_a_page_without_a_contact_may_leave_it_empty(staff, db, pages):
    response = post(
        staff,
        "/staff/help-pages/shipping",
        **_fields(title="Shipping", contact_name="", contact_email="", contact_phone=""),
    )
    assert response.status_code == 303


def test_staff_write_a_missing_page_and_it_is_created(staff, db):
    assert staff.get("/staff/help-pages/terms").status_code == 200
    response = post(
        staff,
        "/staff/help-pages/terms",
        **_fields(title="Terms of use", contact_name="", contact_email="", contact_phone=""),
    )
    assert response.status_code == 303
    (entry,) = audits(db, "help_page")
    assert entry.action == "create"
    assert staff.get("/help/terms").status_code == 200
    assert staff.get("/staff/help-pages/cookies").status_code == 404


def test_customers_cannot_edit_help_pages(client, db, pages):
    make_user("shopper@example.com")
    db.session.commit()
    log_in(client, "shopper@example.com")
    assert client.get("/staff/help-pages/").status_code == 403
    response = client.post("/staff/help-pages/contact", data=_fields())
    assert response.status_code in (400, 403)
