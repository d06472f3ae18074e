"""Staff user screens: admins grant and revoke roles; everyone else is kept out."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from shop.accounts.models import User
from shop.staff.audit import AuditEntry
from tests.conftest import csrf_token_for
from tests.factories import DEFAULT_PASSWORD, make_user
from tests.helpers import log_in as login

ADMIN = "boss@example.com"


def user(db, email: str) -> User:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def role_changes(db) -> list[AuditEntry]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "change_role").order_by(AuditEntry.id)
        )
    )


@pytest.fixture()
def admin(app, db):
    make_user(ADMIN, role="admin")
    db.session.commit()
    client = app.test_client()
    login(client, ADMIN)
    return client


def set_role(client, target: User, role: str):
    return client.post(
        f"/staff/users/{target.id}/role", data={"csrf_token": csrf_token_for(client), "role": role}
    )


def test_admin_grants_staff_and_the_users_old_session_ends(app, admin, db):
    make_user("helper@example.com")
    db.session.commit()
    helper = app.test_client()
    login(helper, "helper@example.com")
    assert helper.get("/staff/").status_code == 403
    version = user(db, "helper@example.com").session_version

    response = set_role(admin, user(db, "helper@example.com"), "staff")
    assert response.status_code == 303
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "helper@example.com is now staff" in page and 'data-role="staff"' in page

    promoted = user(db, "helper@example.com")
    assert promoted.role == "staff" and promoted.session_version == version + 1
    # the cookie the helper had is worth nothing now: signed out, sent to sign in
    assert helper.get("/account/orders").status_code == 302
    assert helper.get("/staff/").status_code == 302
    login(helper, "helper@example.com")
    assert helper.get("/staff/orders/").status_code == 200

    (entry,) = role_changes(db)
    assert (entry.object_type, entry.object_id) == ("user", str(promoted.id))
    assert entry.before == {"role": "customer"} and entry.after == {"role": "staff"}
    assert entry.actor_email == ADMIN and "customer → staff" in entry.summary


def test_admin_revokes_staff_and_makes_admins(app, admin, db):
    make_user("former@example.com", role="staff")
    make_user("deputy@example.com", role="staff")
    db.session.commit()
    former = app.test_client()
    login(former, "former@example.com")
    assert former.get("/staff/orders/").status_code == 200

    assert set_role(admin, user(db, "former@example.com"), "customer").status_code == 303
    assert user(db, "former@example.com").role == "customer"
    assert former.get("/staff/orders/").status_code == 302  # signed out
    login(former, "former@example.com")
    assert former.get("/staff/orders/").status_code == 403

    assert set_role(admin, user(db, "deputy@example.com"), "admin").status_code == 303
    assert user(db, "deputy@example.com").role == "admin"
    assert [(e.before["role"], e.after["role"]) for e in role_changes(db)] == [
        ("staff", "customer"),
        ("staff", "admin"),
    ]


def test_setting_the_same_role_writes_nothing(admin, db):
    make_user("same@example.com", role="staff")
    db.session.commit()
    target = user(db, "same@example.com")
    version = target.session_version
    response = set_role(admin, target, "staff")
    assert response.status_code == 303
    assert "already staff" in admin.get(response.headers["Location"]).get_data(as_text=True)
    assert user(db, "same@example.com").session_version == version
    assert role_changes(db) == []


def test_an_admin_cannot_demote_themselves(admin, db):
    me = user(db, ADMIN)
    for role in ("staff", "customer"):
        response = set_role(admin, me, role)
        assert response.status_code == 409
        assert "cannot change your own role" in response.get_data(as_text=True)
    me = user(db, ADMIN)
    assert me.role == "admin" and me.session_version == 1
    assert role_changes(db) == []
    assert admin.get("/staff/users/").status_code == 200  # still signed in, still admin


def test_bad_role_values_are_422_and_unknown_users_404(admin, db):
    make_user("plain@example.com")
    db.session.commit()
    target = user(db, "plain@example.com")
    for role in ("owner", "", "ADMIN"):
        response = set_role(admin, target, role)
        assert response.status_code == 422, role
        assert "Choose customer, staff, admin, doctor or pharmacist" in response.get_data(
            as_text=True
        )
    assert user(db, "plain@example.com").role == "customer"
    assert set_role(admin, User(id=99999), "staff").status_code == 404
    assert admin.get("/staff/users/99999").status_code == 404
    assert (
        admin.post(f"/staff/users/{target.id}/role", data={"role": "staff"}).status_code == 400
    )  # no CSRF token
    assert role_changes(db) == []


def test_staff_without_admin_get_403(app, db):
    make_user("staffer@example.com", role="staff")
    make_user("victim@example.com")
    db.session.commit()
    staffer = app.test_client()
    login(staffer, "staffer@example.com")
    target = user(db, "victim@example.com")
    assert staffer.get("/staff/users/").status_code == 403
    assert staffer.get(f"/staff/users/{target.id}").status_code == 403
    assert set_role(staffer, target, "staff").status_code == 403
    assert set_role(staffer, user(db, "staffer@example.com"), "admin").status_code == 403
    assert user(db, "victim@example.com").role == "customer"
    assert user(db, "staffer@example.com").role == "staff"
    assert role_changes(db) == []


def test_user_list_searches_email_and_filters_role(admin, db):
    make_user("alice@example.com")
    make_user("bob@shop.example", role="staff")
    make_user("carol@example.com", role="staff")
    db.session.commit()

    def listed(query: str) -> list[str]:
        response = admin.get("/staff/users/" + query)
        assert response.status_code == 200, query
        return re.findall(r'data-user="([^"]+)"', response.get_data(as_text=True))

    assert listed("") == ["alice@example.com", "bob@shop.example", ADMIN, "carol@example.com"]
    assert listed("?role=staff") == ["bob@shop.example", "carol@example.com"]
    assert listed("?role=admin") == [ADMIN]
    assert listed("?q=SHOP.example") == ["bob@shop.example"]
    assert listed("?q=example.com&role=customer") == ["alice@example.com"]
    for bad in ("?role=owner", "?page=-1", "?q=" + "x" * 201):
        assert admin.get("/staff/users/" + bad).status_code == 400, bad
    assert admin.get("/staff/users/?page=2").status_code == 404


def test_user_page_shows_the_role_history(admin, db):
    make_user("history@example.com")
    db.session.commit()
    target = user(db, "history@example.com")
    set_role(admin, target, "staff")
    set_role(admin, target, "customer")
    html = admin.get(f"/staff/users/{target.id}").get_data(as_text=True)
    assert html.count(f"{ADMIN} ·") == 2
    assert 'data-role="customer"' in html
    own = admin.get(f"/staff/users/{user(db, ADMIN).id}").get_data(as_text=True)
    assert "another admin has to change its role" in own


def test_the_users_menu_item_shows_to_admins_only(app, db):
    from tests.conftest import csrf_token_for
    from tests.factories import make_user

    make_user("plain-staff@example.com", role="staff")
    make_user("boss@example.com", role="admin")
    db.session.commit()
    seen = {}
    for email in ("plain-staff@example.com", "boss@example.com"):
        client = app.test_client()
        client.post(
            "/account/login",
            data={
                "csrf_token": csrf_token_for(client),
                "email": email,
                "password": DEFAULT_PASSWORD,
            },
        )
        seen[email] = 'href="/staff/users/"' in client.get("/staff/").get_data(as_text=True)
    assert seen == {"plain-staff@example.com": False, "boss@example.com": True}
