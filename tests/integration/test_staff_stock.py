"""Stale stock never overwrites sold stock: the product form and the CSV (issue 17 #2).

Each test opens the form or exports the file, lets a shopper place a real order (which
holds stock through checkout and the payment sandbox), and then saves or imports what
staff saw. One rule for both: an unchanged value leaves the database alone; a changed
value applies only while the database still holds the value shown, else 409.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select

from shop.catalog.models import Product, Variant
from shop.delivery.service import seed_zones
from shop.errors import ShopError
from shop.staff.audit import AuditEntry
from shop.staff.products import stock as service
from tests.conftest import csrf_token_for
from tests.factories import make_product, make_user
from tests.helpers import ADDRESS, log_in


@pytest.fixture()
def staff(client, db):
    make_user("stock@example.com", role="staff")
    db.session.commit()
    log_in(client, "stock@example.com")
    return client


@pytest.fixture()
def product(db):
    product = make_product(
        "joint-oil",
        name="Joint Oil",
        variants=[
            {"sku": "JO-100", "label": "100 ml", "mrp": 39900, "price": 34900, "stock": 10},
            {"sku": "JO-200", "label": "200 ml", "mrp": 69900, "price": 59900, "stock": 4},
        ],
    )
    db.session.commit()
    return product


def stock(db, sku: str) -> int:
    db.session.expire_all()
    return db.session.scalar(select(Variant.stock).where(Variant.sku == sku))


def place_order(app, db, sku: str, quantity: int) -> None:
    """A guest orders through the shop; checkout holds the units (stock drops)."""
    seed_zones(db.session)  # checkout delivers only where a zone serves the pincode
    db.session.commit()
    shopper = app.test_client()
    token = csrf_token_for(shopper)
    variant_id = db.session.scalar(select(Variant.id).where(Variant.sku == sku))
    added = shopper.post(
        "/cart/add", data={"csrf_token": token, "variant_id": variant_id, "quantity": quantity}
    )
    assert added.status_code == 303
    placed = shopper.post(
        "/checkout",
        data={"csrf_token": token, "email": "guest@example.com", "acknowledge": "yes", **ADDRESS},
    )
    assert placed.status_code == 303, placed.get_data(as_text=True)


def opened_form(client, product_id: int) -> dict:
    """Every field of the edit page as the browser would post it back, unchanged."""
    html = client.get(f"/staff/products/{product_id}").get_data(as_text=True)
    form = html[html.index('<form method="post"') :]
    fields: dict = {}
    for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or 'type="file"' in tag:
            continue
        value = re.search(r'value="([^"]*)"', tag)
        if 'type="checkbox"' in tag:
            if "checked" in tag:
                fields.setdefault(name.group(1), []).append(value.group(1) if value else "y")
            continue
        fields[name.group(1)] = value.group(1) if value else ""
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        fields[name] = body.strip()
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option[^>]*selected[^>]*value="([^"]*)"', options) or re.search(
            r'<option[^>]*value="([^"]*)"[^>]*selected', options
        )
        if chosen:
            fields[name] = chosen.group(1)
    return fields


def save(client, product_id: int, fields: dict):
    return client.post(f"/staff/products/{product_id}", data=fields)


def test_the_form_carries_the_stock_it_showed(staff, db, product):
    fields = opened_form(staff, product.id)
    assert fields["variants-0-stock"] == fields["variants-0-stock_seen"] == "10"
    assert fields["variants-1-stock_seen"] == "4"


def test_saving_a_form_opened_before_an_order_keeps_the_sold_units_sold(
    app, staff, db, product, sandbox
):
    fields = opened_form(staff, product.id)
    place_order(app, db, "JO-100", 3)
    assert stock(db, "JO-100") == 7
    fields["name"] = "Joint Oil Classic"
    response = save(staff, product.id, fields)
    assert response.status_code == 303, response.get_data(as_text=True)
    assert stock(db, "JO-100") == 7  # not raised back to the 10 the form showed
    assert db.session.get(Product, product.id).name == "Joint Oil Classic"
    changed = db.session.scalars(select(AuditEntry.object_type)).all()
    assert changed == ["product"]  # no variant entry: no variant value was changed


def test_a_stock_edit_on_a_stale_value_is_409_with_the_current_value(
    app, staff, db, product, sandbox
):
    fields = opened_form(staff, product.id)
    place_order(app, db, "JO-100", 3)
    fields |= {"name": "Joint Oil Classic", "variants-0-stock": "25", "variants-1-price": "589"}
    response = save(staff, product.id, fields)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Stock of JO-100 is now 7, not the 10 you were shown" in page
    assert 'value="Joint Oil Classic"' in page and 'value="25"' in page  # typing kept
    assert 'name="variants-0-stock_seen" type="hidden" value="7"' in page
    # Nothing was written: not the stock, not the name, not the other row's price.
    assert stock(db, "JO-100") == 7
    assert db.session.get(Product, product.id).name == "Joint Oil"
    assert db.session.scalar(select(Variant.price).where(Variant.sku == "JO-200")) == 59900
    assert db.session.scalars(select(AuditEntry)).all() == []

    # Having seen the current value, saving again applies the deliberate 25.
    fields["variants-0-stock_seen"] = "7"
    assert save(staff, product.id, fields).status_code == 303
    assert stock(db, "JO-100") == 25
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.object_type == "variant"))
    [variant_entry] = [e for e in entry if e.before["sku"] == "JO-100"]
    assert (variant_entry.before["stock"], variant_entry.after["stock"]) == (7, 25)


def test_a_stock_edit_on_the_current_value_applies(staff, db, product):
    fields = opened_form(staff, product.id) | {"variants-1-stock": "40"}
    assert save(staff, product.id, fields).status_code == 303
    assert (stock(db, "JO-100"), stock(db, "JO-200")) == (10, 40)


def test_a_form_without_stock_seen_sets_stock_explicitly(staff, db, product):
    fields = {k: v for k, v in opened_form(staff, product.id).items() if "stock_seen" not in k}
    fields["variants-0-stock"] = "3"
    assert save(staff, product.id, fields).status_code == 303
    assert stock(db, "JO-100") == 3


@pytest.mark.parametrize(
    ("seen", "status"), [("x", 422), ("-", 422), ("1" * 20, 422), ("1.5", 422), ("\x00", 400)]
)
def test_a_malformed_stock_seen_is_refused(staff, db, product, seen, status):
    fields = opened_form(staff, product.id) | {"variants-0-stock": "12"}
    fields["variants-0-stock_seen"] = seen
    response = save(staff, product.id, fields)
    assert response.status_code == status  # 400: control characters refused at the edge
    assert stock(db, "JO-100") == 10


def test_the_write_itself_is_conditional(db, product):
    """An order committing between the check and the write still wins (the race)."""
    variant = db.session.scalar(select(Variant).where(Variant.sku == "JO-100"))
    with pytest.raises(ShopError) as refused:
        service.write_stock(variant, 30, seen=9)
    assert refused.value.status == 409 and "now 10" in refused.value.message
    db.session.rollback()
    assert stock(db, "JO-100") == 10


# --- the CSV ------------------------------------------------------------------------------


def export(client) -> list[list[str]]:
    response = client.get("/staff/products/export.csv")
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def upload(client, rows: list[list[str]]):
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return client.post(
        "/staff/products/import",
        data={
            "csrf_token": csrf_token_for(client),
            "file": (io.BytesIO(out.getvalue().encode()), "products.csv"),
        },
        content_type="multipart/form-data",
    )


def cell(rows, sku: str, column: str) -> str:
    return rows[[r[0] for r in rows].index(sku)][rows[0].index(column)]


def set_cell(rows, sku: str, column: str, value: str) -> None:
    rows[[r[0] for r in rows].index(sku)][rows[0].index(column)] = value


def test_the_export_carries_the_stock_at_export(staff, db, product):
    rows = export(staff)
    assert "stock_seen" in rows[0]
    assert cell(rows, "JO-100", "stock") == cell(rows, "JO-100", "stock_seen") == "10"


def test_reimporting_an_old_file_after_an_order_does_not_raise_stock(
    app, staff, db, product, sandbox
):
    rows = export(staff)
    place_order(app, db, "JO-100", 4)
    assert stock(db, "JO-100") == 6
    response = upload(staff, rows)
    assert response.status_code == 303
    assert stock(db, "JO-100") == 6
    assert db.session.scalars(select(AuditEntry)).all() == []


def test_an_old_file_with_other_edits_applies_them_and_leaves_stock(
    app, staff, db, product, sandbox
):
    rows = export(staff)
    place_order(app, db, "JO-100", 4)
    set_cell(rows, "JO-100", "price", "329")
    assert upload(staff, rows).status_code == 303
    db.session.expire_all()
    variant = db.session.scalar(select(Variant).where(Variant.sku == "JO-100"))
    assert (variant.price, variant.stock) == (32900, 6)


def test_a_stale_stock_edit_in_a_file_refuses_the_whole_file_naming_the_line(
    app, staff, db, product, sandbox
):
    rows = export(staff)
    place_order(app, db, "JO-100", 4)
    set_cell(rows, "JO-100", "stock", "50")
    set_cell(rows, "JO-200", "price", "549")  # a good line, refused with the file
    response = upload(staff, rows)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Line 2: Stock of JO-100 is now 6, not the 10 you were shown" in page
    assert stock(db, "JO-100") == 6
    assert db.session.scalar(select(Variant.price).where(Variant.sku == "JO-200")) == 59900
    assert db.session.scalars(select(AuditEntry)).all() == []


def test_a_file_stock_edit_on_the_current_value_applies(staff, db, product):
    rows = export(staff)
    set_cell(rows, "JO-200", "stock", "9")
    assert upload(staff, rows).status_code == 303
    assert (stock(db, "JO-100"), stock(db, "JO-200")) == (10, 9)


def test_a_file_without_stock_seen_sets_stock_explicitly(app, staff, db, product, sandbox):
    exported = export(staff)
    keep = [i for i, name in enumerate(exported[0]) if name != "stock_seen"]
    rows = [[row[i] for i in keep] for row in exported]  # a file without the column
    place_order(app, db, "JO-100", 4)
    set_cell(rows, "JO-100", "stock", "30")
    assert upload(staff, rows).status_code == 303
    assert (stock(db, "JO-100"), stock(db, "JO-200")) == (30, 4)


def test_a_row_with_an_empty_stock_seen_sets_stock_explicitly(staff, db, product):
    rows = export(staff)
    set_cell(rows, "JO-100", "stock", "2")
    set_cell(rows, "JO-100", "stock_seen", "")
    assert upload(staff, rows).status_code == 303
    assert stock(db, "JO-100") == 2


@pytest.mark.parametrize("seen", ["x", "-1x", "9" * 13, "2.5"])
def test_a_malformed_stock_seen_in_a_file_names_the_line(staff, db, product, seen):
    rows = export(staff)
    set_cell(rows, "JO-200", "stock_seen", seen)
    response = upload(staff, rows)
    assert response.status_code == 422
    assert "stock_seen" in response.get_data(as_text=True)
