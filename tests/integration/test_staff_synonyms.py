"""Back office: search synonyms are validated, audited, and change what search finds."""

from __future__ import annotations

import pytest

from shop.catalog.queries import list_products
from shop.search.models import SearchSynonym
from tests.conftest import csrf_token_for
from tests.factories import make_product, make_user
from tests.helpers import audits, count, log_in

NEW = "/staff/search/synonyms/new"


@pytest.fixture()
def staff(client, db):
    make_user("staff@example.com", role="staff")
    db.session.commit()
    log_in(client, "staff@example.com")
    return client


def post(client, url: str, **data):
    return client.post(url, data={"csrf_token": csrf_token_for(client), **data})


def names(q: str) -> list[str]:
    return [card.name for card in list_products(q=q).items]


def test_staff_add_a_group_and_search_uses_it(staff, db, client):
    make_product("turmeric", name="Turmeric Capsules")
    db.session.commit()
    assert client.get("/search?q=haldi").status_code == 200
    response = post(staff, NEW, words="Turmeric, Haldi ,हल्दी, haldi")
    assert response.status_code == 303
    group = db.session.query(SearchSynonym).one()
    assert group.words == "turmeric, haldi, हल्दी"  # lower case, trimmed, no repeats
    assert names("haldi") == ["Turmeric Capsules"]
    html = client.get("/search?q=haldi").get_data(as_text=True)
    assert "Turmeric Capsules" in html  # the cached page was made stale by the save
    (entry,) = audits(db, "search_synonym")
    assert entry.action == "create"
    assert staff.get("/staff/search/synonyms/").status_code == 200
    assert "turmeric, haldi" in staff.get("/staff/search/synonyms/?q=haldi").get_data(as_text=True)


@pytest.mark.parametrize(
    ("words", "message"),
    [
        ("", "Enter the words"),
        ("haldi", "at least two"),
        ("haldi, HALDI", "at least two"),
        ("haldi, !!!", "no letters or digits"),
        ("haldi, one two three four five", "longer than 4 words"),
        ("a, " * 300, "under 500 characters"),
        (", ".join(f"w{i}" for i in range(13)), "at most 12"),
    ],
)
def test_invalid_groups_are_refused_and_write_nothing(staff, db, words, message):
    response = post(staff, NEW, words=words)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(db, SearchSynonym) == 0
    assert audits(db, "search_synonym") == []


def test_a_phrase_belongs_to_one_group_only(staff, db):
    db.session.add(SearchSynonym(words="turmeric, haldi"))
    other = SearchSynonym(words="ginger, adrak")
    db.session.add(other)
    db.session.commit()
    response = post(staff, NEW, words="Haldi, curcuma")
    assert response.status_code == 422
    assert "“haldi” is already in “turmeric, haldi”" in response.get_data(as_text=True)
    response = post(staff, f"/staff/search/synonyms/{other.id}", words="ginger, turmeric")
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(SearchSynonym, other.id).words == "ginger, adrak"
    assert count(db, SearchSynonym) == 2


def test_editing_and_deleting_are_audited(staff, db):
    make_product("ginger", name="Ginger Chews")
    group = SearchSynonym(words="ginger, adrak")
    db.session.add(group)
    db.session.commit()
    response = post(staff, f"/staff/search/synonyms/{group.id}", words="ginger, adrak, अदरक")
    assert response.status_code == 303
    assert names("अदरक") == ["Ginger Chews"]
    unchanged = post(staff, f"/staff/search/synonyms/{group.id}", words="ginger, adrak, अदरक")
    assert unchanged.status_code == 303
    response = post(staff, f"/staff/search/synonyms/{group.id}/delete")
    assert response.status_code == 303
    assert count(db, SearchSynonym) == 0
    assert names("adrak") == []
    assert [e.action for e in audits(db, "search_synonym")] == ["update", "delete"]


def test_unknown_groups_are_404(staff):
    assert staff.get("/staff/search/synonyms/999").status_code == 404
    assert post(staff, "/staff/search/synonyms/999/delete").status_code == 404
    assert post(staff, "/staff/search/synonyms/99999999999", words="a b, c").status_code == 404


def test_customers_get_403(client, db):
    make_user("shopper@example.com")
    db.session.commit()
    log_in(client, "shopper@example.com")
    assert client.get("/staff/search/synonyms/").status_code == 403
    assert post(client, NEW, words="haldi, turmeric").status_code == 403
    assert count(db, SearchSynonym) == 0
