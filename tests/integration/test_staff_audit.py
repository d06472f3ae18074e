"""The audit log: every kind of staff write is recorded and can be browsed and filtered."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from shop.accounts.models import User
from shop.database import utcnow
from shop.staff.audit import AuditEntry
from tests.conftest import csrf_token_for
from tests.factories import make_user
from tests.integration.test_staff_orders import (  # noqa: F401 - fixtures used by name
    demo,
    fetch,
    login,
    paid_order,
    refund_form,
)

ADMIN = "audit-admin@example.com"


@pytest.fixture()
def admin(app, db, demo):  # noqa: F811 - the demo fixture imported above
    make_user(ADMIN, role="admin")
    db.session.commit()
    client = app.test_client()
    login(client, ADMIN)
    return client


def listed(client, query: str = "") -> list[tuple[str, str]]:
    """(action, object type) of each row on the audit page, top to bottom."""
    response = client.get("/staff/audit/" + query)
    assert response.status_code == 200, query
    return re.findall(
        r'data-action="([^"]+)" data-object-type="([^"]+)"', response.get_data(as_text=True)
    )


@pytest.fixture()
def history(app, admin, db, sandbox):
    """One of each kind of write: ship, deliver, refund, clear review, change role."""
    token = csrf_token_for(admin)
    shipped = paid_order(app, db, sandbox, email="one@example.com")
    admin.post(
        f"/staff/orders/{shipped.number}/ship",
        data={"csrf_token": token, "carrier": "delhivery", "tracking_number": "DL1234567"},
    )
    admin.post(f"/staff/orders/{shipped.number}/deliver", data={"csrf_token": token})
    refunded = paid_order(app, db, sandbox, email="two@example.com")
    refunded.needs_review = True
    db.session.commit()
    admin.post(
        f"/staff/orders/{refunded.number}/refund",
        data={**refund_form(admin, refunded), "amount": "100", "reason": "Late"},
    )
    admin.post(
        f"/staff/orders/{refunded.number}/clear-review",
        data={"csrf_token": token, "review_note": "Checked with the courier"},
    )
    make_user("newhire@example.com")
    db.session.commit()
    newhire = db.session.scalar(select(User).where(User.email == "newhire@example.com"))
    admin.post(f"/staff/users/{newhire.id}/role", data={"csrf_token": token, "role": "staff"})
    db.session.expire_all()
    return {"shipped": shipped.number, "refunded": refunded.number, "newhire": newhire.id}


def test_each_kind_of_write_is_audited_with_before_and_after(history, db):
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    summary = [(e.action, e.object_type, e.object_id, e.actor_email) for e in entries]
    assert summary == [
        ("ship", "order", history["shipped"], ADMIN),
        ("deliver", "order", history["shipped"], ADMIN),
        ("refund", "order", history["refunded"], ADMIN),
        ("clear_review", "order", history["refunded"], ADMIN),
        ("change_role", "user", str(history["newhire"]), ADMIN),
    ]
    ship, deliver, refund, review, role = entries
    assert (ship.before["state"], ship.after["state"]) == ("paid", "shipped")
    assert (deliver.before["state"], deliver.after["state"]) == ("shipped", "delivered")
    assert (refund.before["amount_refunded"], refund.after["amount_refunded"]) == (0, 10000)
    assert refund.after["state"] == "partially_refunded"
    assert (review.before["needs_review"], review.after["needs_review"]) == (True, False)
    assert (role.before, role.after) == ({"role": "customer"}, {"role": "staff"})
    assert all(e.actor_id is not None and e.created_at is not None for e in entries)


def test_the_audit_page_lists_newest_first_with_the_changed_values(history, admin):
    assert listed(admin) == [
        ("change_role", "user"),
        ("clear_review", "order"),
        ("refund", "order"),
        ("deliver", "order"),
        ("ship", "order"),
    ]
    html = admin.get("/staff/audit/").get_data(as_text=True)
    assert (
        '<code>role</code>: <span class="diff-before">customer</span> → '
        '<span class="diff-after">staff</span>'
    ) in html
    assert (
        '<code>state</code>: <span class="diff-before">paid</span> → '
        '<span class="diff-after">shipped</span>'
    ) in html
    assert (
        '<code>amount_refunded</code>: <span class="diff-before">₹0</span> → '
        '<span class="diff-after">₹100</span>'
    ) in html  # stored in paise, shown in rupees
    assert "Checked with the courier" in html and ADMIN in html
    assert f'href="/staff/orders/{history["refunded"]}"' in html
    assert f'href="/staff/users/{history["newhire"]}"' in html


def test_the_audit_page_filters_by_object_action_actor_and_object(history, admin, app, db):
    assert listed(admin, "?object_type=user") == [("change_role", "user")]
    assert listed(admin, "?action=refund") == [("refund", "order")]
    assert listed(admin, "?object_type=order&action=ship") == [("ship", "order")]
    assert len(listed(admin, "?q=AUDIT-ADMIN@")) == 5
    assert listed(admin, "?q=someone-else") == []
    assert listed(admin, f"?object_type=order&object_id={history['shipped']}") == [
        ("deliver", "order"),
        ("ship", "order"),
    ]
    assert listed(admin, "?action=never_happened") == []

    for bad in (
        "?object_type=" + "x" * 41,
        "?action=drop table",
        "?object_id=" + "1" * 81,
        "?page=0",
        "?q=" + "q" * 201,
    ):
        assert admin.get("/staff/audit/" + bad).status_code == 400, bad
    assert admin.get("/staff/audit/?page=2").status_code == 404


def test_the_audit_page_pages_through_many_entries(admin, db):
    start = utcnow() - timedelta(days=1)
    for n in range(55):
        db.session.add(
            AuditEntry(
                actor_email="bulk@example.com",
                action="update",
                object_type="product",
                object_id=str(n),
                summary=f"#{n}",
                before={"price": n},
                after={"price": n + 1},
                created_at=start + timedelta(minutes=n),
            )
        )
    db.session.commit()
    first = admin.get("/staff/audit/?object_type=product").get_data(as_text=True)
    assert first.count('data-action="update"') == 50
    assert "#54" in first and "Page 1 of 2 (55)" in first
    assert 'href="/staff/audit/?page=2&amp;q=&amp;object_type=product' in first
    second = admin.get("/staff/audit/?object_type=product&page=2").get_data(as_text=True)
    assert second.count('data-action="update"') == 5 and "#0<" in second


def test_an_entry_page_shows_every_field_before_and_after(history, admin, db):
    refund = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "refund"))
    html = admin.get(f"/staff/audit/{refund.id}").get_data(as_text=True)
    assert 'data-field="needs_review"' in html  # unchanged fields are listed too
    assert re.search(r'<tr data-field="state" class="audit-changed">', html)
    assert "partially_refunded" in html and "Late" in html
    assert admin.get("/staff/audit/999999").status_code == 404


def test_staff_may_read_the_audit_log_customers_may_not(app, db, history):
    make_user("reader@example.com", role="staff")
    make_user("shopper2@example.com")
    db.session.commit()
    reader = app.test_client()
    login(reader, "reader@example.com")
    html = reader.get("/staff/audit/").get_data(as_text=True)
    assert "change_role" in html
    assert f'href="/staff/users/{history["newhire"]}"' not in html  # no link to a 403 page
    customer = app.test_client()
    login(customer, "shopper2@example.com")
    assert customer.get("/staff/audit/").status_code == 403


def test_a_refused_write_leaves_no_audit_entry(admin, app, db, sandbox):
    order = paid_order(app, db, sandbox)
    response = admin.post(
        f"/staff/orders/{order.number}/deliver", data={"csrf_token": csrf_token_for(admin)}
    )
    assert response.status_code == 409
    assert fetch(db, number=order.number).state == "paid"
    assert listed(admin) == []


def _entry(db, object_type: str, before: dict | None, after: dict | None) -> AuditEntry:
    entry = AuditEntry(
        actor_email="money@example.com",
        action="update",
        object_type=object_type,
        object_id="1",
        before=before,
        after=after,
    )
    db.session.add(entry)
    db.session.commit()
    return entry


@pytest.mark.parametrize(
    ("object_type", "before", "after", "shown"),
    [
        (
            "variant",
            {"price": 71900, "stock": 5},
            {"price": 34950, "stock": 4},
            ["₹719", "₹349.50"],
        ),
        ("variant", {"mrp": 123456700}, {"mrp": 123456800}, ["₹12,34,567", "₹12,34,568"]),
        (
            "shipping_rate",
            {"fee": 4900, "free_from": None},
            {"fee": 0, "free_from": 49900},
            ["₹49", "₹0", "₹499", "null"],
        ),
        (
            "coupon",
            {"kind": "fixed", "value": 5000},
            {"kind": "percent", "value": 15},
            ["₹50", ">15<"],
        ),
        (
            "sale",
            {"kind": "percent", "value": 10},
            {"kind": "fixed", "value": 2550},
            [">10<", "₹25.50"],
        ),
        (
            "coupon",
            {"min_subtotal": 0, "max_discount": 20000},
            {"min_subtotal": 99900, "max_discount": None},
            ["₹0", "₹999", "₹200"],
        ),
    ],
)
def test_money_in_the_audit_log_is_shown_in_rupees(admin, db, object_type, before, after, shown):
    entry = _entry(db, object_type, before, after)
    for page in (f"/staff/audit/{entry.id}", f"/staff/audit/?object_type={object_type}"):
        html = admin.get(page).get_data(as_text=True)
        for text in shown:
            assert text in html, (page, text)
    detail = admin.get(f"/staff/audit/{entry.id}").get_data(as_text=True)
    for values in (before, after):
        for key, value in values.items():
            if isinstance(value, int) and value >= 1000:  # no raw paise left anywhere
                assert f">{value}<" not in detail, key


def test_counts_and_percentages_stay_plain_numbers(admin, db):
    entry = _entry(db, "variant", {"stock": 12000, "position": 1}, {"stock": 11000, "position": 2})
    html = admin.get(f"/staff/audit/{entry.id}").get_data(as_text=True)
    assert ">12000<" in html and ">11000<" in html and "₹" not in html.split("<main")[-1]
