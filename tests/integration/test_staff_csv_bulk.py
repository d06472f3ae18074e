"""The CSV at catalogue scale: set-based import, one content bump, a streamed export."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select, update

from shop.cache import SiteVersion
from shop.catalog.models import Variant
from shop.errors import ShopError
from shop.staff.audit import AuditEntry
from shop.staff.products import csv_apply, csv_service
from tests.conftest import csrf_token_for
from tests.factories import make_category, make_product, make_user
from tests.helpers import log_in


@pytest.fixture()
def staff(client, db):
    make_user("staff@example.com", role="staff")
    db.session.commit()
    log_in(client, "staff@example.com")
    return client


def make_catalogue(db, products: int) -> None:
    """`products` products with two variants each."""
    category = make_category()
    for n in range(products):
        make_product(
            f"bulk-{n:03}",
            name=f"Bulk {n}",
            category=category,
            image=False,
            variants=[
                {"sku": f"B{n:03}-S", "label": "small", "mrp": 20000, "price": 18000, "stock": 5},
                {"sku": f"B{n:03}-L", "label": "large", "mrp": 40000, "price": 36000, "stock": 9},
            ],
        )
    db.session.commit()


def exported(client) -> list[list[str]]:
    return list(csv.reader(io.StringIO(client.get("/staff/products/export.csv").get_data(True))))


def upload(client, rows: list[list[str]]):
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return client.post(
        "/staff/products/import",
        data={
            "csrf_token": csrf_token_for(client),
            "file": (io.BytesIO(out.getvalue().encode()), "p.csv"),
        },
        content_type="multipart/form-data",
    )


def edit_every_row(rows: list[list[str]], count: int) -> list[list[str]]:
    """A copy whose first `count` data rows change price, stock and product name."""
    header, *data = rows
    edited = [list(row) for row in data]
    for row in edited[:count]:
        row[header.index("price")] = "150"
        row[header.index("stock")] = str(int(row[header.index("stock")]) + 1)
        row[header.index("product_name")] += " new"
    return [header, *edited]


def content_version(db) -> int:
    return db.session.scalar(select(SiteVersion.value).where(SiteVersion.name == "content")) or 0


def import_statements(staff, db, count_queries, rows) -> int:
    token = csrf_token_for(staff)  # outside the count
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    with count_queries() as counter:
        response = staff.post(
            "/staff/products/import",
            data={"csrf_token": token, "file": (io.BytesIO(out.getvalue().encode()), "p.csv")},
            content_type="multipart/form-data",
        )
    assert response.status_code == 303, response.get_data(as_text=True)
    return counter.count


def test_an_import_runs_the_same_statements_for_4_or_80_changed_rows(staff, db, count_queries):
    make_catalogue(db, 40)
    rows = exported(staff)
    few = import_statements(staff, db, count_queries, edit_every_row(rows, 4))
    rows = exported(staff)
    many = import_statements(staff, db, count_queries, edit_every_row(rows, 80))
    assert few == many
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "update")).all()
    # first import: 4 variants of 2 products; second: 80 variants of 40 products
    assert len(entries) == (4 + 2) + (80 + 40)


def test_one_import_bumps_the_content_version_once(staff, db):
    make_catalogue(db, 10)
    before = content_version(db)
    assert upload(staff, edit_every_row(exported(staff), 20)).status_code == 303
    assert content_version(db) == before + 1
    assert db.session.scalar(select(Variant.price).where(Variant.sku == "B009-L")) == 15000


def test_an_unchanged_import_does_not_bump_the_content_version(staff, db):
    make_catalogue(db, 3)
    before = content_version(db)
    assert upload(staff, exported(staff)).status_code == 303
    assert content_version(db) == before


def test_audit_entries_of_an_import_carry_before_after_and_the_staff_member(staff, db):
    make_catalogue(db, 2)
    assert upload(staff, edit_every_row(exported(staff), 2)).status_code == 303  # bulk-000
    small_id = db.session.scalar(select(Variant.id).where(Variant.sku == "B000-S"))
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "update")).all()
    assert [(e.object_type, e.summary) for e in entries] == [
        ("product", "CSV import changed bulk-000"),
        ("variant", "CSV import changed B000-S (line 2)"),
        ("variant", "CSV import changed B000-L (line 3)"),
    ]
    product, variant, _ = entries
    assert variant.object_id == str(small_id)
    assert (variant.before["price"], variant.after["price"]) == (18000, 15000)
    assert (variant.before["stock"], variant.after["stock"]) == (5, 6)
    assert variant.changed_fields == ["price", "stock"]
    assert product.changed_fields == ["name", "updated_at"]
    assert {e.actor_email for e in entries} == {"staff@example.com"}


def test_an_order_taking_stock_after_the_check_refuses_the_bulk_stock_write(app, db):
    """The conditional UPDATE catches a sale committed between reading and writing."""
    make_catalogue(db, 1)
    with app.test_request_context():
        found = csv_apply.load_current(["B000-S", "B000-L"])
        db.session.execute(update(Variant).where(Variant.sku == "B000-S").values(stock=2))
        with pytest.raises(ShopError) as refused:
            csv_apply.write_stock({"B000-S": (50, 5), "B000-L": (1, 9)}, found)
    assert refused.value.status == 409
    assert "Stock of B000-S is now 2, not the 5 you were shown" in refused.value.message
    assert "B000-L" not in refused.value.message


def test_the_sku_lookup_takes_any_number_of_skus_in_two_statements(app, db, count_queries):
    make_catalogue(db, 5)
    wanted = [f"B{n:03}-S" for n in range(5)] + [f"X{n}" for n in range(40_000)]
    with app.test_request_context(), count_queries() as counter:
        found = csv_apply.load_current(wanted)
    assert sorted(found) == [f"B{n:03}-S" for n in range(5)]
    assert counter.count == 2  # the variants, then their products


def test_the_export_streams_in_batches(staff, db, monkeypatch):
    monkeypatch.setattr(csv_service, "EXPORT_BATCH", 3)
    make_catalogue(db, 4)  # 8 variants + the header: 3 full pieces of 3 lines, then ""
    response = staff.get("/staff/products/export.csv", buffered=False)
    assert response.is_streamed
    pieces = list(response.response)
    assert [piece.decode().count("\n") for piece in pieces] == [3, 3, 3, 0]
    assert b"".join(pieces).decode().splitlines()[1].startswith("B000-S,bulk-000,Bulk 0,small,")
