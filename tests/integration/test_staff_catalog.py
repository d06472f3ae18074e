"""Back office catalogue: products with variants and images, categories, conditions."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from shop.catalog.models import Category, Product, ProductImage, Variant
from shop.content.models import Condition
from shop.demo import seed_demo
from shop.discounts.models import Coupon
from shop.staff.audit import AuditEntry
from tests.conftest import csrf_token_for
from tests.factories import (
    make_article,
    make_category,
    make_condition,
    make_product,
    make_user,
)
from tests.helpers import log_in

# --- helpers ------------------------------------------------------------------------------


@pytest.fixture()
def staff(client, db):
    """A client signed in as staff."""
    make_user("staff@example.com", role="staff")
    db.session.commit()
    log_in(client, "staff@example.com")
    return client


def post(client, url: str, data: dict, **kwargs):
    return client.post(url, data={"csrf_token": csrf_token_for(client), **data}, **kwargs)


def form_data(product: Product) -> dict:
    """What the edit form posts when nothing is changed: every field and variant row."""
    data = {
        "slug": product.slug,
        "name": product.name,
        "brand": product.brand,
        "form": product.form,
        "category_id": str(product.category_id),
        "description": product.description,
        "ingredients": product.ingredients,
        "how_to_use": product.how_to_use,
        "warnings": product.warnings,
        "gst_rate": str(product.gst_rate),
        "max_per_order": str(product.max_per_order),
        "condition_ids": [str(c.id) for c in product.conditions],
    }
    if product.active:
        data["active"] = "y"
    for i, v in enumerate(product.variants):
        data |= {
            f"variants-{i}-id": str(v.id),
            f"variants-{i}-sku": v.sku,
            f"variants-{i}-label": v.label,
            f"variants-{i}-mrp": _rupees(v.mrp),
            f"variants-{i}-price": _rupees(v.price),
            f"variants-{i}-stock": str(v.stock),
        }
    n = len(product.variants)  # the empty "add a variant" row
    data |= {f"variants-{n}-{name}": "" for name in ("id", "sku", "label", "mrp", "price", "stock")}
    return data


def _rupees(paise: int) -> str:
    return str(paise // 100) if paise % 100 == 0 else f"{paise // 100}.{paise % 100:02d}"


def audit_entries(db) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def catalogue_state(db) -> list[tuple]:
    """Everything the catalogue screens can change, to prove a refused request wrote nothing."""
    products = db.session.execute(
        select(
            Product.id,
            Product.slug,
            Product.name,
            Product.active,
            Product.gst_rate,
            Product.max_per_order,
            Product.category_id,
            Product.updated_at,
        ).order_by(Product.id)
    ).all()
    variants = db.session.execute(
        select(
            Variant.id,
            Variant.product_id,
            Variant.sku,
            Variant.label,
            Variant.mrp,
            Variant.price,
            Variant.stock,
        ).order_by(Variant.id)
    ).all()
    images = db.session.execute(select(ProductImage.id, ProductImage.path)).all()
    categories = db.session.execute(select(Category.id, Category.slug, Category.name)).all()
    conditions = db.session.execute(select(Condition.id, Condition.slug, Condition.name)).all()
    return [*products, "|", *variants, "|", *images, "|", *categories, "|", *conditions]


def png_bytes(width: int = 40, height: int = 30, kind: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (31, 111, 92)).save(out, kind)
    return out.getvalue()


@pytest.fixture()
def uploads(app, tmp_path, monkeypatch) -> Path:
    """Point the instance folder (and so instance/uploads) at a temporary directory."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    return tmp_path / "uploads"


# --- who may use these screens ------------------------------------------------------------

STAFF_URLS = [
    ("GET", "/staff/products/"),
    ("GET", "/staff/products/new"),
    ("POST", "/staff/products/new"),
    ("GET", "/staff/products/1"),
    ("POST", "/staff/products/1"),
    ("POST", "/staff/products/1/images"),
    ("POST", "/staff/products/1/images/1/delete"),
    ("GET", "/staff/products/1/delete"),
    ("POST", "/staff/products/1/delete"),
    ("GET", "/staff/categories/"),
    ("POST", "/staff/categories/new"),
    ("POST", "/staff/categories/1"),
    ("POST", "/staff/categories/1/delete"),
    ("GET", "/staff/conditions/"),
    ("POST", "/staff/conditions/new"),
    ("POST", "/staff/conditions/1"),
    ("POST", "/staff/conditions/1/delete"),
]


def test_customers_get_403_and_anonymous_visitors_are_sent_to_sign_in(app, client, db):
    make_user("shopper@example.com")
    make_product()  # id 1: the guard must answer before any of these URLs touch it
    db.session.commit()
    before = catalogue_state(db)
    anonymous = app.test_client()
    for method, url in STAFF_URLS:
        response = anonymous.open(
            url, method=method, data={"csrf_token": csrf_token_for(anonymous)}
        )
        assert response.status_code == 302, (method, url)
        assert "/account/login?next=" in response.headers["Location"]
    log_in(client, "shopper@example.com")
    for method, url in STAFF_URLS:
        response = client.open(url, method=method, data={"csrf_token": csrf_token_for(client)})
        assert response.status_code == 403, (method, url)
    assert catalogue_state(db) == before


def test_unknown_ids_are_404(staff, db):
    product = make_product()
    db.session.commit()
    for url in (
        "/staff/products/999",
        "/staff/products/99999999999999999999999",
        "/staff/products/999/delete",
        "/staff/categories/999",
        "/staff/conditions/999",
    ):
        assert staff.get(url).status_code == 404, url
    assert post(staff, f"/staff/products/{product.id}/images/999/delete", {}).status_code == 404
    assert post(staff, "/staff/categories/999/delete", {}).status_code == 404


def test_the_menu_lists_the_catalogue_screens(staff, db):
    html = staff.get("/staff/").get_data(as_text=True)
    for href in (
        "/staff/products/",
        "/staff/categories/",
        "/staff/conditions/",
        "/staff/products/import",
    ):
        assert f'href="{href}"' in html


# --- product list -------------------------------------------------------------------------


def test_product_list_searches_by_name_slug_and_sku(staff, db):
    make_product(
        "joint-oil", name="Joint Oil", variants=[{"sku": "OIL-100", "mrp": 39900, "price": 34900}]
    )
    make_product(
        "cold-pack", name="Cold Pack", variants=[{"sku": "PACK-1", "mrp": 49900, "price": 44900}]
    )
    db.session.commit()
    assert "Cold Pack" in staff.get("/staff/products/").get_data(as_text=True)
    for q in ("joint", "JOINT-OIL", "oil-10"):
        html = staff.get(f"/staff/products/?q={q}").get_data(as_text=True)
        assert "Joint Oil" in html and "Cold Pack" not in html, q


def test_product_list_filters_by_category_and_status(staff, db):
    oils = make_category("oils", "Oils")
    make_product(name="Warm Oil", category=oils)
    make_product(name="Retired Oil", category=oils, active=False)
    make_product(name="Hot Pack")
    db.session.commit()
    html = staff.get(f"/staff/products/?category={oils.id}").get_data(as_text=True)
    assert "Warm Oil" in html and "Retired Oil" in html and "Hot Pack" not in html
    html = staff.get(f"/staff/products/?category={oils.id}&active=no").get_data(as_text=True)
    assert "Retired Oil" in html and "Warm Oil" not in html
    html = staff.get("/staff/products/?active=yes").get_data(as_text=True)
    assert "Retired Oil" not in html and "Hot Pack" in html


@pytest.mark.parametrize(
    "query, status",
    [
        ("active=maybe", 400),
        ("category=oils", 400),
        ("category=999", 404),
        ("page=0", 400),
        ("page=x", 400),
        ("page=5", 404),
    ],
)
def test_product_list_refuses_bad_parameters(staff, db, query, status):
    make_product()
    db.session.commit()
    assert staff.get(f"/staff/products/?{query}").status_code == status


def test_product_list_pages_through_the_staff_helper(staff, db):
    category = make_category()
    for n in range(51):
        make_product(f"item-{n:02d}", name=f"Item {n:02d}", category=category, image=False)
    db.session.commit()
    first = staff.get("/staff/products/").get_data(as_text=True)
    assert "Item 49" in first and "Item 50" not in first and "Page 1 of 2" in first
    second = staff.get("/staff/products/?page=2").get_data(as_text=True)
    assert "Item 50" in second and "Item 00" not in second


# --- creating and editing products ---------------------------------------------------------


def test_creating_a_product_with_two_variants(staff, db):
    category = make_category("ayurvedic-care", "Ayurvedic care")
    condition = make_condition("joint-pain", "Joint pain")
    db.session.commit()
    assert staff.get("/staff/products/new").status_code == 200
    response = post(
        staff,
        "/staff/products/new",
        {
            "slug": "knee-balm",
            "name": "Knee Balm",
            "brand": "Remedy Labs",
            "form": "Balm",
            "category_id": str(category.id),
            "description": "A warming balm.",
            "ingredients": "Camphor",
            "how_to_use": "Rub gently.",
            "warnings": "External use.",
            "gst_rate": "12",
            "max_per_order": "4",
            "active": "y",
            "condition_ids": [str(condition.id)],
            "variants-0-sku": "KB-25",
            "variants-0-label": "25 g",
            "variants-0-mrp": "149",
            "variants-0-price": "129.50",
            "variants-0-stock": "20",
            "variants-1-sku": "KB-50",
            "variants-1-label": "50 g",
            "variants-1-mrp": "₹1,249",
            "variants-1-price": "1249",
            "variants-1-stock": "0",
            "variants-2-sku": "",
            "variants-2-label": "",
            "variants-2-mrp": "",
            "variants-2-price": "",
            "variants-2-stock": "",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    product = db.session.scalar(select(Product).where(Product.slug == "knee-balm"))
    assert response.headers["Location"] == f"/staff/products/{product.id}"
    assert (product.name, product.form, product.max_per_order, product.active) == (
        "Knee Balm",
        "Balm",
        4,
        True,
    )
    assert [c.slug for c in product.conditions] == ["joint-pain"]
    assert [(v.sku, v.label, v.mrp, v.price, v.stock) for v in product.variants] == [
        ("KB-25", "25 g", 14900, 12950, 20),
        ("KB-50", "50 g", 124900, 124900, 0),
    ]
    entries = audit_entries(db)
    assert [(e.action, e.object_type) for e in entries] == [
        ("create", "product"),
        ("create", "variant"),
        ("create", "variant"),
    ]
    assert entries[0].actor_email == "staff@example.com"
    assert entries[0].after["slug"] == "knee-balm"
    assert entries[0].after["conditions"] == ["joint-pain"]
    assert entries[1].after["price"] == 12950
    page = staff.get(response.headers["Location"]).get_data(as_text=True)
    assert 'value="129.50"' in page and "Created Knee Balm" in page


def test_a_price_change_shows_on_the_storefront_with_the_right_percent_off(staff, client, db):
    seed_demo(db.session)
    db.session.commit()
    capsules = db.session.scalar(select(Product).where(Product.slug == "joint-capsule"))
    assert "10% OFF" in client.get("/products/joint-capsule").get_data(as_text=True)
    edit = staff.get(f"/staff/products/{capsules.id}").get_data(as_text=True)
    assert 'name="variants-0-price"' in edit and 'value="719"' in edit
    data = form_data(capsules)
    assert data["variants-0-mrp"] == "799"
    data["variants-0-price"] = "699"
    response = post(staff, f"/staff/products/{capsules.id}", data)
    assert response.status_code == 303, response.get_data(as_text=True)
    page = client.get("/products/joint-capsule").get_data(as_text=True)
    assert '<span class="price-now">₹699</span>' in page
    assert "12% OFF" in page and "₹799" in page
    [entry] = audit_entries(db)
    assert (entry.action, entry.object_type) == ("update", "variant")
    assert (entry.before["price"], entry.after["price"]) == (71900, 69900)
    assert entry.changed_fields == ["price"]


def test_saving_an_unchanged_product_writes_no_audit_entry(staff, db):
    product = make_product()
    db.session.commit()
    response = post(staff, f"/staff/products/{product.id}", form_data(product))
    assert response.status_code == 303
    assert audit_entries(db) == []


def test_editing_product_fields_category_and_conditions(staff, db):
    product = make_product("calm-tea", name="Calm Tea")
    other = make_category("teas", "Teas")
    sleep, stress = make_condition("sleep"), make_condition("stress")
    db.session.commit()
    data = form_data(product) | {
        "name": "Calm Night Tea",
        "slug": "calm-night-tea",
        "category_id": str(other.id),
        "condition_ids": [str(sleep.id), str(stress.id)],
        "gst_rate": "5",
        "warnings": "Not for children.",
    }
    del data["active"]  # an unticked box is not posted
    assert post(staff, f"/staff/products/{product.id}", data).status_code == 303
    db.session.refresh(product)
    assert (
        product.slug,
        product.name,
        product.category_id,
        product.gst_rate,
        product.active,
        product.warnings,
    ) == ("calm-night-tea", "Calm Night Tea", other.id, 5, False, "Not for children.")
    assert sorted(c.slug for c in product.conditions) == ["sleep", "stress"]
    [entry] = audit_entries(db)
    assert (entry.action, entry.object_type) == ("update", "product")
    assert set(entry.changed_fields) >= {
        "slug",
        "name",
        "category_id",
        "gst_rate",
        "active",
        "warnings",
        "conditions",
    }
    assert entry.before["active"] is True and entry.after["active"] is False


def test_adding_and_deleting_variants_in_one_save(staff, db):
    product = make_product(
        variants=[
            {"sku": "TEA-20", "label": "20 bags", "mrp": 20000, "price": 18000},
            {"sku": "TEA-50", "label": "50 bags", "mrp": 45000, "price": 40000},
        ]
    )
    db.session.commit()
    small_id = product.variants[0].id
    data = form_data(product)
    data["variants-0-delete"] = "y"  # drop 20 bags, and reuse its SKU for a new row
    data |= {
        "variants-2-sku": "TEA-20",
        "variants-2-label": "20 bags (new pack)",
        "variants-2-mrp": "210",
        "variants-2-price": "199",
        "variants-2-stock": "5",
    }
    response = post(staff, f"/staff/products/{product.id}", data)
    assert response.status_code == 303, response.get_data(as_text=True)
    db.session.refresh(product)
    assert [(v.sku, v.label, v.price) for v in product.variants] == [
        ("TEA-50", "50 bags", 40000),
        ("TEA-20", "20 bags (new pack)", 19900),
    ]
    assert db.session.get(Variant, small_id) is None
    assert [(e.action, e.object_type) for e in audit_entries(db)] == [
        ("delete", "variant"),
        ("create", "variant"),
    ]
    assert audit_entries(db)[0].before["sku"] == "TEA-20"


def test_two_variants_can_swap_skus(staff, db):
    product = make_product(
        variants=[
            {"sku": "A-1", "label": "Small", "mrp": 10000, "price": 9000},
            {"sku": "B-1", "label": "Large", "mrp": 20000, "price": 18000},
        ]
    )
    db.session.commit()
    data = form_data(product) | {"variants-0-sku": "B-1", "variants-1-sku": "A-1"}
    response = post(staff, f"/staff/products/{product.id}", data)
    assert response.status_code == 303, response.get_data(as_text=True)
    db.session.refresh(product)
    assert [(v.label, v.sku) for v in product.variants] == [("Small", "B-1"), ("Large", "A-1")]
    entries = audit_entries(db)
    assert [(e.before["sku"], e.after["sku"]) for e in entries] == [("A-1", "B-1"), ("B-1", "A-1")]


def test_a_new_row_may_take_the_sku_another_row_gives_up(staff, db):
    product = make_product(
        variants=[{"sku": "OLD-1", "label": "Small", "mrp": 10000, "price": 9000}]
    )
    db.session.commit()
    data = form_data(product) | {
        "variants-0-sku": "OLD-1-2024",
        "variants-1-sku": "OLD-1",
        "variants-1-label": "Refill",
        "variants-1-mrp": "50",
        "variants-1-price": "45",
        "variants-1-stock": "3",
    }
    response = post(staff, f"/staff/products/{product.id}", data)
    assert response.status_code == 303, response.get_data(as_text=True)
    db.session.refresh(product)
    assert [(v.sku, v.label) for v in product.variants] == [
        ("OLD-1-2024", "Small"),
        ("OLD-1", "Refill"),
    ]


BAD_PRODUCT_INPUT = [
    ({"slug": "Bad Slug"}, "slug", "Use lower-case letters"),
    ({"slug": "taken-slug"}, "slug", "Another product already uses this slug."),
    ({"name": "  "}, "name", "Enter the product&#39;s name."),
    ({"gst_rate": "7"}, "gst_rate", "Not a valid choice"),
    ({"max_per_order": "0"}, "max_per_order", "Allow from 1 to 999 per order."),
    ({"max_per_order": "many"}, "max_per_order", "Not a valid integer value"),
    ({"category_id": "999"}, "category_id", "Not a valid choice"),
    ({"variants-0-price": "899"}, "variants-0-price", "Price cannot be above the MRP."),
    (
        {"variants-0-mrp": "0", "variants-0-price": "0"},
        "variants-0-mrp",
        "MRP must be more than zero.",
    ),
    ({"variants-0-price": "0"}, "variants-0-price", "Price must be more than zero."),
    ({"variants-0-stock": "-1"}, "variants-0-stock", "Stock cannot be negative."),
    ({"variants-0-stock": "2.5"}, "variants-0-stock", "Stock must be a whole number"),
    ({"variants-0-price": "7,19.999"}, "variants-0-price", "Price must be an amount in rupees"),
    ({"variants-0-mrp": ""}, "variants-0-mrp", "Enter the MRP in rupees"),
    ({"variants-0-sku": ""}, "variants-0-sku", "Enter a SKU."),
    ({"variants-0-sku": "has space"}, "variants-0-sku", "Use letters, digits"),
    ({"variants-0-label": ""}, "variants-0-label", "Enter a label"),
    ({"variants-0-sku": "OTHER-1"}, "variants-0-sku", "This SKU is already used by other-product"),
    (
        {
            "variants-1-sku": "CAP-60",
            "variants-1-label": "Again",
            "variants-1-mrp": "100",
            "variants-1-price": "90",
            "variants-1-stock": "1",
        },
        "variants-1-sku",
        "Another row of this product uses this SKU.",
    ),
    ({"variants-0-delete": "y"}, None, "A product needs at least one variant."),
    ({"variants-0-id": "99999"}, None, "The variants table is out of date"),
]


@pytest.mark.parametrize(
    "change, field, message", BAD_PRODUCT_INPUT, ids=[case[2][:30] for case in BAD_PRODUCT_INPUT]
)
def test_invalid_product_input_is_shown_next_to_the_field_and_writes_nothing(
    staff, db, change, field, message
):
    make_product("taken-slug")
    make_product("other-product", variants=[{"sku": "OTHER-1", "mrp": 100, "price": 100}])
    product = make_product(
        "capsules",
        variants=[{"sku": "CAP-60", "label": "60 capsules", "mrp": 79900, "price": 71900}],
    )
    db.session.commit()
    before = catalogue_state(db)
    response = post(staff, f"/staff/products/{product.id}", form_data(product) | change)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    if field is None:
        assert message in html
    else:
        error = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', html)
        assert error and message in error.group(1), html
    assert catalogue_state(db) == before
    assert audit_entries(db) == []


def test_a_new_product_needs_a_variant_and_valid_values(staff, db):
    category = make_category()
    db.session.commit()
    response = post(
        staff,
        "/staff/products/new",
        {
            "slug": "lonely",
            "name": "Lonely",
            "category_id": str(category.id),
            "gst_rate": "12",
            "max_per_order": "3",
            "variants-0-sku": "",
            "variants-0-label": "",
            "variants-0-mrp": "",
            "variants-0-price": "",
            "variants-0-stock": "",
        },
    )
    assert response.status_code == 422
    assert "A product needs at least one variant." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Product.id))) == 0
    assert audit_entries(db) == []


# --- images -------------------------------------------------------------------------------


def test_uploading_and_removing_an_image(staff, db, uploads):
    product = make_product(image=False)
    db.session.commit()
    response = post(
        staff,
        f"/staff/products/{product.id}/images",
        {"image": (io.BytesIO(png_bytes(40, 30)), "photo.png"), "alt": "The jar"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    [image] = db.session.scalars(select(ProductImage)).all()
    assert (image.width, image.height, image.alt) == (40, 30, "The jar")
    assert re.fullmatch(r"uploads/[0-9a-f]{32}\.png", image.path)
    stored = uploads / image.path.removeprefix("uploads/")
    assert stored.read_bytes() == png_bytes(40, 30)
    served = staff.get("/" + image.path)
    assert served.status_code == 200 and served.mimetype == "image/png"
    page = staff.get(f"/staff/products/{product.id}").get_data(as_text=True)
    assert f'src="/{image.path}"' in page
    [entry] = audit_entries(db)
    assert (entry.action, entry.object_type, entry.after["path"]) == (
        "create",
        "product_image",
        image.path,
    )

    path = image.path
    response = post(staff, f"/staff/products/{product.id}/images/{image.id}/delete", {})
    assert response.status_code == 303
    assert db.session.scalars(select(ProductImage)).all() == []
    assert not stored.exists()
    entry = audit_entries(db)[-1]
    assert (entry.action, entry.object_type, entry.before["path"]) == (
        "delete",
        "product_image",
        path,
    )


def test_the_stored_type_follows_the_content_not_the_name(staff, db, uploads):
    product = make_product(image=False)
    db.session.commit()
    jpeg = png_bytes(20, 10, "JPEG")
    response = post(
        staff,
        f"/staff/products/{product.id}/images",
        {"image": (io.BytesIO(jpeg), "looks-like.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    image = db.session.scalar(select(ProductImage))
    assert image.path.endswith(".jpg") and image.alt == product.name


@pytest.mark.parametrize(
    "payload, filename, status, message",
    [
        (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "icon.png", 422, "not a PNG, JPEG"),
        (b"just some text", "notes.jpg", 422, "not a PNG, JPEG"),
        ("gif", "anim.gif", 422, "not a PNG, JPEG"),
        ("truncated", "cut.png", 422, "not a PNG, JPEG"),
        ("huge", "big.png", 413, "larger than 2 MB"),
        (None, None, 422, "Choose an image file"),
    ],
)
def test_non_images_and_oversized_uploads_are_refused(
    staff, db, uploads, payload, filename, status, message
):
    product = make_product(image=False)
    db.session.commit()
    if payload == "gif":
        payload = png_bytes(kind="GIF")
    elif payload == "truncated":
        payload = png_bytes(400, 400)[:-200]
    elif payload == "huge":
        payload = png_bytes(10, 10) + b"\0" * (2 * 1024 * 1024)
    data = {} if payload is None else {"image": (io.BytesIO(payload), filename)}
    response = post(
        staff, f"/staff/products/{product.id}/images", data, content_type="multipart/form-data"
    )
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert db.session.scalars(select(ProductImage)).all() == []
    assert not uploads.exists() or list(uploads.iterdir()) == []
    assert audit_entries(db) == []


def test_an_image_of_another_product_is_404(staff, db):
    first, second = make_product(), make_product()
    db.session.commit()
    image = first.images[0]
    response = post(staff, f"/staff/products/{second.id}/images/{image.id}/delete", {})
    assert response.status_code == 404
    assert db.session.get(ProductImage, image.id) is not None


# --- deleting products ----------------------------------------------------------------------


def test_deleting_a_product_after_confirming(staff, db):
    product = make_product("old-balm", name="Old Balm")
    product_id, variant_id = product.id, product.variants[0].id
    db.session.commit()
    page = staff.get(f"/staff/products/{product_id}/delete").get_data(as_text=True)
    assert "Delete Old Balm" in page and "deactivate" in page
    response = post(staff, f"/staff/products/{product_id}/delete", {})
    assert response.status_code == 303
    assert db.session.get(Product, product_id) is None
    assert db.session.get(Variant, variant_id) is None
    [entry] = audit_entries(db)
    assert (entry.action, entry.object_type, entry.before["slug"]) == (
        "delete",
        "product",
        "old-balm",
    )
    assert entry.before["variants"][0]["id"] == variant_id


def test_a_product_named_by_a_coupon_cannot_be_deleted(staff, db):
    product = make_product("special", name="Special")
    coupon = Coupon(code="SPECIAL5", kind="percent", value=5, products=[product])
    db.session.add(coupon)
    db.session.commit()
    response = post(staff, f"/staff/products/{product.id}/delete", {})
    assert response.status_code == 409
    assert "1 coupon" in response.get_data(as_text=True)
    assert db.session.get(Product, product.id) is not None
    assert audit_entries(db) == []


# --- categories and conditions --------------------------------------------------------------


def test_categories_list_create_edit_and_delete(staff, db):
    response = post(
        staff,
        "/staff/categories/new",
        {"slug": "oils", "name": "Oils", "description": "Massage oils.", "position": "2"},
    )
    assert response.status_code == 303
    category = db.session.scalar(select(Category).where(Category.slug == "oils"))
    assert (category.name, category.position) == ("Oils", 2)
    html = staff.get("/staff/categories/?q=oil").get_data(as_text=True)
    assert "Oils" in html and "nothing" in html
    assert staff.get(f"/staff/categories/{category.id}").status_code == 200
    response = post(
        staff,
        f"/staff/categories/{category.id}",
        {"slug": "oils", "name": "Ayurvedic oils", "description": "", "position": "2"},
    )
    assert response.status_code == 303
    db.session.refresh(category)
    assert category.name == "Ayurvedic oils"
    category_id = category.id
    response = post(staff, f"/staff/categories/{category_id}/delete", {})
    assert response.status_code == 303
    assert db.session.get(Category, category_id) is None
    entries = audit_entries(db)
    assert [(e.action, e.object_type) for e in entries] == [
        ("create", "category"),
        ("update", "category"),
        ("delete", "category"),
    ]
    assert (entries[1].before["name"], entries[1].after["name"]) == ("Oils", "Ayurvedic oils")


@pytest.mark.parametrize(
    "data, message",
    [
        ({"slug": "Oils!"}, "Use lower-case letters"),
        ({"slug": "-oils"}, "Use lower-case letters"),
        ({"slug": "taken"}, "Another category already uses this slug."),
        ({"name": ""}, "Enter a name."),
        ({"position": "-1"}, "Use a number from 0 to 10,000."),
    ],
)
def test_bad_category_values_are_refused(staff, db, data, message):
    make_category("taken")
    db.session.commit()
    before = catalogue_state(db)
    response = post(
        staff, "/staff/categories/new", {"slug": "oils", "name": "Oils", "position": "0"} | data
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert catalogue_state(db) == before and audit_entries(db) == []


def test_a_category_in_use_cannot_be_deleted(staff, db):
    category = make_category("in-use", "In use")
    make_product(category=category)
    db.session.commit()
    response = post(staff, f"/staff/categories/{category.id}/delete", {})
    assert response.status_code == 409
    assert "still used by 1 product" in response.get_data(as_text=True)
    assert db.session.get(Category, category.id) is not None
    assert audit_entries(db) == []


def test_conditions_list_create_edit_and_delete(staff, db):
    assert staff.get("/staff/conditions/new").status_code == 200
    response = post(
        staff,
        "/staff/conditions/new",
        {"slug": "back-pain", "name": "Back pain", "summary": "Pain in the back."},
    )
    assert response.status_code == 303
    condition = db.session.scalar(select(Condition).where(Condition.slug == "back-pain"))
    assert "Back pain" in staff.get("/staff/conditions/").get_data(as_text=True)
    response = post(
        staff,
        f"/staff/conditions/{condition.id}",
        {"slug": "lower-back-pain", "name": "Lower back pain", "summary": "Pain low in the back."},
    )
    assert response.status_code == 303
    db.session.refresh(condition)
    assert condition.slug == "lower-back-pain"
    condition_id = condition.id
    assert post(staff, f"/staff/conditions/{condition_id}/delete", {}).status_code == 303
    assert db.session.get(Condition, condition_id) is None
    assert [(e.action, e.object_type) for e in audit_entries(db)] == [
        ("create", "condition"),
        ("update", "condition"),
        ("delete", "condition"),
    ]


def test_bad_condition_values_are_refused(staff, db):
    condition = make_condition("cramps", "Cramps")
    make_condition("spasm", "Spasm")
    db.session.commit()
    before = catalogue_state(db)
    response = post(
        staff,
        f"/staff/conditions/{condition.id}",
        {"slug": "spasm", "name": "Cramps", "summary": ""},
    )
    assert response.status_code == 422
    assert "Another condition already uses this slug." in response.get_data(as_text=True)
    assert catalogue_state(db) == before and audit_entries(db) == []


def test_a_condition_with_articles_cannot_be_deleted(staff, db):
    condition = make_condition("sprain", "Sprain")
    make_article(condition=condition)
    make_product().conditions.append(condition)
    db.session.commit()
    response = post(staff, f"/staff/conditions/{condition.id}/delete", {})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "1 article" in html and "1 product" in html
    assert db.session.get(Condition, condition.id) is not None
    assert audit_entries(db) == []
