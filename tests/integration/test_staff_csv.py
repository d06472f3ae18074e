"""Products and prices as CSV: export, import all-or-nothing, errors by line."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from shop.catalog.models import Product, Variant
from shop.staff.audit import AuditEntry
from shop.staff.products.csv_views import MAX_CSV_BYTES
from tests.conftest import csrf_token_for
from tests.factories import make_product, make_user
from tests.helpers import log_in

HEADER = "sku,product_slug,product_name,variant_label,mrp,price,stock,active"


@pytest.fixture()
def staff(client, db):
    make_user("staff@example.com", role="staff")
    db.session.commit()
    log_in(client, "staff@example.com")
    return client


@pytest.fixture()
def catalogue(db):
    """Two products, three variants, one price with paise, one product inactive."""
    make_product(
        "joint-oil",
        name="Joint Oil",
        variants=[
            {"sku": "JO-100", "label": "100 ml", "mrp": 39900, "price": 34900, "stock": 120},
        ],
    )
    make_product(
        "muscle-rub",
        name="Muscle Rub, Extra Warm",
        active=False,
        variants=[
            {"sku": "MR-25", "label": "25 g", "mrp": 14500, "price": 12950, "stock": 0},
            {"sku": "MR-50", "label": "50 g", "mrp": 24500, "price": 24500, "stock": 7},
        ],
    )
    db.session.commit()


def upload(client, body: bytes | str, filename: str = "products.csv"):
    if isinstance(body, str):
        body = body.encode()
    return client.post(
        "/staff/products/import",
        data={
            "csrf_token": csrf_token_for(client),
            "file": (io.BytesIO(body), filename),
        },
        content_type="multipart/form-data",
    )


def state(db) -> list[tuple]:
    rows = db.session.execute(
        select(
            Variant.sku,
            Variant.label,
            Variant.mrp,
            Variant.price,
            Variant.stock,
            Product.slug,
            Product.name,
            Product.active,
            Product.updated_at,
        )
        .join(Variant.product)
        .order_by(Variant.sku)
    )
    return [tuple(row) for row in rows]


def audit_entries(db) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


# --- export -------------------------------------------------------------------------------


def test_export_writes_one_row_per_variant_in_rupees(staff, catalogue):
    response = staff.get("/staff/products/export.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="products-')
    lines = response.get_data(as_text=True).splitlines()
    assert lines == [
        HEADER + ",hsn,stock_seen,prescription_required,limit_quantity,limit_days",
        "JO-100,joint-oil,Joint Oil,100 ml,399,349,120,true,3004,120,false,,",
        'MR-25,muscle-rub,"Muscle Rub, Extra Warm",25 g,145,129.50,0,false,3004,0,false,,',
        'MR-50,muscle-rub,"Muscle Rub, Extra Warm",50 g,245,245,7,false,3004,7,false,,',
    ]


def test_the_import_page_shows_the_upload_form(staff, db):
    html = staff.get("/staff/products/import").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html and 'name="file"' in html


# --- round trip ---------------------------------------------------------------------------


def test_an_unchanged_round_trip_changes_nothing_and_writes_no_audit(staff, db, catalogue):
    exported = staff.get("/staff/products/export.csv").get_data()
    before = state(db)
    response = upload(staff, exported)
    assert response.status_code == 303
    assert response.headers["Location"] == "/staff/products/import"
    assert "Nothing to change: all 3 rows match" in staff.get("/staff/products/import").get_data(
        as_text=True
    )
    assert state(db) == before
    assert audit_entries(db) == []


def test_an_edited_file_updates_only_the_rows_that_differ(staff, db, catalogue):
    rows = list(
        csv.reader(io.StringIO(staff.get("/staff/products/export.csv").get_data(as_text=True)))
    )
    rows[1][5] = "329"  # JO-100 price ₹349 → ₹329
    rows[1][6] = "100"
    rows[2][7] = rows[3][7] = "true"  # re-activate the muscle rub (both of its rows)
    rows[3][3] = "50 g tub"
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    response = upload(staff, out.getvalue())
    assert response.status_code == 303, response.get_data(as_text=True)
    oil = db.session.scalar(select(Variant).where(Variant.sku == "JO-100"))
    assert (oil.price, oil.stock, oil.mrp) == (32900, 100, 39900)
    tub = db.session.scalar(select(Variant).where(Variant.sku == "MR-50"))
    assert tub.label == "50 g tub" and tub.product.active is True
    assert db.session.scalar(select(Variant.price).where(Variant.sku == "MR-25")) == 12950
    entries = audit_entries(db)
    assert [(e.action, e.object_type) for e in entries] == [
        ("update", "variant"),
        ("update", "product"),
        ("update", "variant"),
        ("import", "catalogue"),
    ]
    assert (entries[0].before["price"], entries[0].after["price"]) == (34900, 32900)
    assert entries[1].changed_fields == ["active", "updated_at"]
    assert entries[3].after["variants"] == ["JO-100", "MR-50"]
    assert entries[3].after["products"] == ["muscle-rub"]
    assert entries[3].actor_email == "staff@example.com"


def test_columns_may_come_in_any_order_with_a_bom_and_crlf(staff, db, catalogue):
    body = (
        "\ufeffSKU,Price,MRP,Stock,Active,Product_Slug,Product_Name,Variant_Label\r\n"
        "JO-100,₹300,399.00,120,TRUE,joint-oil,Joint Oil,100 ml\r\n"
    )
    response = upload(staff, body.encode("utf-8"))
    assert response.status_code == 303, response.get_data(as_text=True)
    assert db.session.scalar(select(Variant.price).where(Variant.sku == "JO-100")) == 30000
    assert len(audit_entries(db)) == 2  # the variant and the import


# --- refused files ------------------------------------------------------------------------


def test_a_file_with_bad_lines_is_refused_whole_naming_each_line(staff, db, catalogue):
    body = "\n".join(
        [
            HEADER,
            "JO-100,joint-oil,Joint Oil,100 ml,399,300,120,true",  # 2: fine, yet not applied
            'MR-25,muscle-rub,"Muscle Rub, Extra Warm",25 g,145,150,0,false',  # 3: price > MRP
            'MR-50,muscle-rub,"Muscle Rub, Extra Warm",50 g,245,245,-3,false',  # 4: stock < 0
            "XX-1,joint-oil,Joint Oil,1 l,999,899,5,true",  # 5: unknown SKU
            "JO-100,joint-oil,Joint Oil,100 ml,399,349,120,true",  # 6: SKU again
            'MR-25,muscle-rub,"Muscle Rub, Extra Warm",25 g,abc,100,0,false',  # 7: bad number
            'MR-50,muscle-rub,"Muscle Rub, Extra Warm",50 g,245,245,7,maybe',  # 8: bad active
            "JO-100,muscle-rub,Joint Oil,100 ml,399,349,120,true",  # 9: wrong product
            "MR-25,muscle-rub,too,few",  # 10: short line
        ]
    )
    before = state(db)
    response = upload(staff, body)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Nothing was imported" in html
    expected = {
        3: "price: Price cannot be above the MRP.",
        4: "stock: Stock cannot be negative.",
        5: "sku: there is no variant &#39;XX-1&#39;",
        6: "sku: JO-100 is already on line 2.",
        7: "mrp: MRP must be an amount in rupees",
        8: "active: write true or false, not &#39;maybe&#39;.",
        9: "product_slug: JO-100 belongs to joint-oil, not &#39;muscle-rub&#39;.",
        10: "expected 8 values, found 4.",
    }
    for line, message in expected.items():
        assert f'<li data-line="{line}">Line {line}: {message}' in html, (line, html)
    assert 'data-line="2"' not in html
    assert state(db) == before
    assert audit_entries(db) == []


def test_line_numbers_count_the_lines_of_a_quoted_value(staff, db, catalogue):
    body = (
        HEADER + "\n"
        'JO-100,joint-oil,"Joint Oil\nwith a second line",100 ml,399,349,120,true\n'
        "MR-25,muscle-rub,x,25 g,145,999,0,false\n"
    )
    response = upload(staff, body)
    assert response.status_code == 422
    assert '<li data-line="4">Line 4: price: Price cannot be above the MRP.' in response.get_data(
        as_text=True
    )


def test_rows_of_one_product_must_agree_on_its_name_and_status(staff, db, catalogue):
    body = "\n".join(
        [
            HEADER,
            "MR-25,muscle-rub,Muscle Rub,25 g,145,129.50,0,false",
            "MR-50,muscle-rub,Muscle Rub Renamed,50 g,245,245,7,true",
        ]
    )
    response = upload(staff, body)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Line 3: product_name: differs from line 2" in html
    assert "Line 3: active: differs from line 2" in html
    assert audit_entries(db) == []


@pytest.mark.parametrize(
    "body, message",
    [
        (
            "sku,product_slug,name,mrp,price\nJO-100,joint-oil,Joint Oil,399,349\n",
            "missing product_name, variant_label, stock, active",
        ),
        (HEADER + ",colour\n", "unknown &#39;colour&#39;"),
        (HEADER.replace("active", "sku") + "\n", "repeated sku"),
        (HEADER.replace(",", ";") + "\n", "The first line must name the columns"),
        ("", "The file is empty"),
        ("\n\n", "The file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "not UTF-8 text"),
        (b"sku\x00,x", "not CSV text"),
        (HEADER + '\nJO-100,"joint-oil"x,a,b,1,1,1,true\n', "cannot be read as CSV"),
    ],
)
def test_unreadable_files_and_wrong_headers_are_400(staff, db, catalogue, body, message):
    before = state(db)
    response = upload(staff, body)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert state(db) == before and audit_entries(db) == []


def test_a_missing_file_is_400(staff, db):
    response = staff.post(
        "/staff/products/import",
        data={"csrf_token": csrf_token_for(staff)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "Choose a CSV file" in response.get_data(as_text=True)


def test_a_file_too_large_is_413(staff, db, catalogue):
    body = (
        HEADER
        + "\n"
        + "JO-100,joint-oil,Joint Oil,100 ml,399,349,120,true\n" * (MAX_CSV_BYTES // 50)
    )
    before = state(db)
    response = upload(staff, body)
    assert response.status_code == 413
    assert f"larger than {MAX_CSV_BYTES // 2**20} MB" in response.get_data(as_text=True)
    assert state(db) == before and audit_entries(db) == []


def test_the_csv_urls_are_for_staff_only(app, client, db):
    make_user("shopper@example.com")
    db.session.commit()
    anonymous = app.test_client()
    assert anonymous.get("/staff/products/export.csv").status_code == 302
    assert upload(anonymous, HEADER).status_code == 302
    log_in(client, "shopper@example.com")
    assert client.get("/staff/products/export.csv").status_code == 403
    assert upload(client, HEADER).status_code == 403


def test_text_that_looks_like_a_formula_is_exported_inert_and_round_trips(staff, db):
    product = make_product(
        "formula",
        name='=HYPERLINK("http://x")',
        variants=[{"label": "+1 pack", "mrp": 1000, "price": 900}],
    )
    db.session.commit()
    exported = staff.get("/staff/products/export.csv").get_data(as_text=True)
    row = next(r for r in csv.DictReader(io.StringIO(exported)) if r["product_slug"] == "formula")
    assert row["product_name"] == '\'=HYPERLINK("http://x")'
    assert row["variant_label"] == "'+1 pack"
    before = state(db)
    response = upload(staff, exported)
    assert response.status_code in (200, 303)
    assert state(db) == before
    db.session.expire_all()
    assert db.session.get(Product, product.id).name == '=HYPERLINK("http://x")'
    assert audit_entries(db) == []


# --- prescription and purchase-limit columns (SPEC §15) ------------------------------------


def test_the_import_sets_prescription_and_limit_and_refuses_half_a_limit(staff, catalogue, db):
    header = HEADER + ",prescription_required,limit_quantity,limit_days"
    good = header + "\nJO-100,joint-oil,Joint Oil,100 ml,399,349,120,true,true,2,30\n"
    assert upload(staff, good).status_code == 303
    db.session.expire_all()
    oil = db.session.scalar(select(Product).where(Product.slug == "joint-oil"))
    assert (oil.prescription_required, oil.limit_quantity, oil.limit_days) == (True, 2, 30)
    half = header + "\nJO-100,joint-oil,Joint Oil,100 ml,399,349,120,true,false,2,\n"
    refused = upload(staff, half)
    assert refused.status_code == 422
    assert "give both" in refused.get_data(as_text=True)
    db.session.expire_all()
    oil = db.session.scalar(select(Product).where(Product.slug == "joint-oil"))
    assert (oil.prescription_required, oil.limit_days) == (True, 30)
