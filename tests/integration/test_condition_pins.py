"""Staff pin products to the top of a condition page, in their order; audited, checked."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from shop.catalog import queries
from shop.catalog.models import product_conditions
from shop.staff.audit import AuditEntry
from tests.factories import make_condition, make_product, make_user
from tests.helpers import log_in, post


def _names(html: str) -> list[str]:
    return re.findall(r'class="product-card-name">([^<]+)<', html)


def _positions(db) -> dict[int, int | None]:
    db.session.expire_all()
    rows = db.session.execute(
        select(product_conditions.c.product_id, product_conditions.c.pin_position)
    )
    return dict(rows.all())


def _pin_audits(db) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "pin")))


@pytest.fixture()
def staff(client, db):
    make_user("editor@example.com", role="staff")
    db.session.commit()
    client.token = log_in(client, "editor@example.com")
    return client


@pytest.fixture()
def spasm(db):
    """Five products; a bigger discount for a higher number, so 4 leads unpinned."""
    condition = make_condition("muscle-spasm", "Muscle spasm")
    for i in range(5):
        condition.products.append(
            make_product(f"p{i}", name=f"Remedy {i}", mrp=10000, price=9000 - 500 * i)
        )
    make_product("elsewhere", name="Other Remedy")
    db.session.commit()
    return condition


def test_pinned_products_come_first_in_the_order_staff_chose(staff, db, spasm):
    url = "/conditions/muscle-spasm"
    assert _names(staff.get(url).get_data(as_text=True))[:2] == ["Remedy 4", "Remedy 3"]
    response = post(staff, f"/staff/conditions/{spasm.id}/pins", products="p1\np0")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/staff/conditions/{spasm.id}"
    shown = _names(staff.get(url).get_data(as_text=True))  # the cached page went stale
    assert shown == ["Remedy 1", "Remedy 0", "Remedy 4", "Remedy 3", "Remedy 2"]

    (entry,) = _pin_audits(db)
    assert entry.object_type == "condition" and entry.object_id == str(spasm.id)
    assert (entry.before, entry.after) == ({"pinned": []}, {"pinned": ["p1", "p0"]})
    assert entry.actor_email == "editor@example.com"
    form = staff.get(f"/staff/conditions/{spasm.id}").get_data(as_text=True)
    assert "p1\np0</textarea>" in form


def test_pins_stay_within_the_bounded_selection(staff, db, spasm, monkeypatch):
    monkeypatch.setattr(queries, "CONDITION_PRODUCTS", 2)
    post(staff, f"/staff/conditions/{spasm.id}/pins", products="p0, p2")
    cards = queries.condition_products(spasm.id, limit=2)
    assert [c.slug for c in cards] == ["p0", "p2", "p4"]  # limit + 1: the "see all" probe


def test_repinning_replaces_and_an_empty_list_removes_the_pins(staff, db, spasm):
    post(staff, f"/staff/conditions/{spasm.id}/pins", products="p1 p0")
    post(staff, f"/staff/conditions/{spasm.id}/pins", products="p2")
    assert sorted(p for p in _positions(db).values() if p) == [1]
    response = post(staff, f"/staff/conditions/{spasm.id}/pins", products="")
    assert response.status_code == 303
    assert all(p is None for p in _positions(db).values())
    assert [e.summary for e in _pin_audits(db)][-1] == "Removed the pins of muscle-spasm"
    assert len(_pin_audits(db)) == 3
    post(staff, f"/staff/conditions/{spasm.id}/pins", products="")  # no change: no entry
    assert len(_pin_audits(db)) == 3


@pytest.mark.parametrize(
    ("products", "message"),
    [
        ("p1\nnope", "No product has the slug nope."),
        ("p1\nelsewhere", "Not linked to this condition: elsewhere."),
        ("p1\np2\np1", "Each product once: p1 appear more than once."),
        ("\n".join(f"p{i}" for i in range(13)), "Pin at most 12 products; 13 were given."),
    ],
)
def test_bad_pins_are_refused_with_nothing_written(staff, db, spasm, products, message):
    response = post(staff, f"/staff/conditions/{spasm.id}/pins", products=products)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert all(p is None for p in _positions(db).values())
    assert _pin_audits(db) == []


def test_only_staff_pin_products(client, db, spasm):
    response = client.post(f"/staff/conditions/{spasm.id}/pins", data={"products": "p1"})
    assert response.status_code in (302, 303, 400)
    assert all(p is None for p in _positions(db).values())


def test_pinning_on_an_unknown_condition_is_404(staff, db):
    assert post(staff, "/staff/conditions/999/pins", products="p1").status_code == 404


def test_unlinking_a_pinned_product_drops_its_pin(staff, db, spasm):
    post(staff, f"/staff/conditions/{spasm.id}/pins", products="p3")
    spasm.products.remove(next(p for p in spasm.products if p.slug == "p3"))
    db.session.commit()
    assert "Remedy 3" not in _names(staff.get("/conditions/muscle-spasm").get_data(as_text=True))


def _sell(product, quantity: int, *, paid: bool = True):
    """An order of `quantity` units of `product`'s first variant, paid or not."""
    from datetime import UTC, datetime

    from shop.checkout.models import Order, OrderLine

    variant = product.variants[0]
    order = Order(
        email="buyer@example.com",
        customer_key="buyer@example.com",
        currency="INR",
        mrp_total=variant.mrp * quantity,
        subtotal=variant.price * quantity,
        total=variant.price * quantity,
        hold_expires_at=datetime.now(UTC),
        paid_at=datetime.now(UTC) if paid else None,
    )
    order.lines.append(
        OrderLine(
            variant_id=variant.id,
            product_slug=product.slug,
            product_name=product.name,
            variant_label=variant.label,
            sku=variant.sku,
            mrp=variant.mrp,
            list_price=variant.price,
            unit_price=variant.price,
            quantity=quantity,
            subtotal=variant.price * quantity,
            total=variant.price * quantity,
            gst_rate=12,
            tax=0,
        )
    )
    return order


def test_after_the_pins_come_the_best_sellers_then_the_best_discounts(staff, db, spasm):
    from shop.catalog.models import Product

    products = {p.slug: p for p in db.session.scalars(select(Product))}
    db.session.add(_sell(products["p0"], 2))
    db.session.add(_sell(products["p1"], 5))
    db.session.add(_sell(products["p2"], 9, paid=False))  # unpaid: not a sale
    db.session.add(_sell(products["elsewhere"], 50))  # another condition's product
    db.session.commit()
    assert [c.slug for c in queries.condition_products(spasm.id)] == ["p1", "p0", "p4", "p3", "p2"]
    post(staff, f"/staff/conditions/{spasm.id}/pins", products="p3")
    assert [c.slug for c in queries.condition_products(spasm.id)] == ["p3", "p1", "p0", "p4", "p2"]
    products["p1"].active = False
    db.session.commit()
    assert [c.slug for c in queries.condition_products(spasm.id, limit=2)] == ["p3", "p0", "p4"]
