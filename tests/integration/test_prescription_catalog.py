"""The prescription flag and purchase limits in the catalogue (SPEC §15): staff form,
product page, cards, cart, demo data and the pharmacist role."""

from __future__ import annotations

from sqlalchemy import select

from shop.accounts.models import User
from shop.catalog.models import Product
from shop.demo import seed_demo
from tests.conftest import csrf_token_for
from tests.factories import make_product, make_user
from tests.helpers import audits, log_in
from tests.integration.test_staff_catalog import form_data


def test_staff_set_the_flag_and_a_limit_audited_and_half_a_limit_is_refused(client, db):
    make_user("staff@example.com", role="staff")
    product = make_product("relaxant")
    db.session.commit()
    log_in(client, "staff@example.com")
    url = f"/staff/products/{product.id}"
    half = form_data(product) | {"limit_quantity": "2", "csrf_token": csrf_token_for(client)}
    refused = client.post(url, data=half)
    assert refused.status_code == 422
    assert "both the units and the days" in refused.get_data(as_text=True)
    data = form_data(product) | {
        "prescription_required": "y",
        "limit_quantity": "2",
        "limit_days": "30",
        "csrf_token": csrf_token_for(client),
    }
    assert client.post(url, data=data).status_code == 303
    db.session.expire_all()
    product = db.session.get(Product, product.id)
    assert (product.prescription_required, product.purchase_limit) == (True, (2, 30))
    (entry,) = audits(db, "product")
    assert entry.after["prescription_required"] is True and entry.after["limit_days"] == 30


def test_the_product_page_cards_and_cart_say_prescription_required(client, db):
    product = make_product("relaxant", name="Relaxant")
    product.prescription_required = True
    product.limit_quantity, product.limit_days = 1, 7
    db.session.commit()
    page = client.get("/products/relaxant").get_data(as_text=True)
    assert "Prescription required" in page and "Limit 1 per customer every 7 days" in page
    listing = client.get("/products/").get_data(as_text=True)
    assert "data-rx-badge" in listing
    token = csrf_token_for(client)
    variant_id = product.variants[0].id
    client.post("/cart/add", data={"csrf_token": token, "variant_id": variant_id, "quantity": 1})
    cart = client.get("/cart").get_data(as_text=True)
    assert "data-rx-notice" in cart and "Limit 1 per customer every 7 days" in cart
    review = client.get("/checkout").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in review and 'name="prescription"' in review


def test_demo_has_a_fictitious_rx_product_a_limited_pain_reliever_and_a_pharmacist(
    db, runner, monkeypatch
):
    monkeypatch.setenv("SHOP_DEMO_STAFF_PASSWORD", "a demo password for tests")
    output = runner.invoke(args=["seed-demo"]).output
    assert "Demo pharmacist login: pharmacist@example.com / a demo password for tests" in output
    db.session.expire_all()
    rx = db.session.scalar(select(Product).where(Product.slug == "spasmorelax-d-tablets"))
    assert rx.prescription_required and "fictitious" in rx.name
    assert [c.slug for c in rx.conditions] == ["muscle-spasm"]
    pain = db.session.scalar(select(Product).where(Product.slug == "paracetamol-500-tablets"))
    assert pain.purchase_limit == (2, 30) and not pain.prescription_required
    user = db.session.scalar(select(User).where(User.email == "pharmacist@example.com"))
    assert user.role == "pharmacist" and user.is_pharmacist and not user.is_staff
    again = runner.invoke(args=["seed-demo"]).output
    assert "Demo pharmacist login" not in again


def test_create_user_makes_a_pharmacist(db, runner):
    result = runner.invoke(
        args=["create-user", "rx@example.com", "--role", "pharmacist", "--password-stdin"],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User.role).where(User.email == "rx@example.com")) == (
        "pharmacist"
    )


def test_seed_demo_keeps_its_products_in_the_demo_sitemap(db):
    seed_demo(db.session)
    db.session.commit()
    assert db.session.scalar(select(Product).where(Product.slug == "spasmorelax-d-tablets"))


def test_the_database_refuses_half_a_limit(db):
    import pytest
    from sqlalchemy import update
    from sqlalchemy.exc import IntegrityError

    product = make_product("relaxant")
    db.session.commit()
    with pytest.raises(IntegrityError):
        db.session.execute(update(Product).where(Product.id == product.id).values(limit_quantity=2))
        db.session.flush()
    db.session.rollback()


def test_review_days_must_stay_inside_the_card_authorisation(tmp_path):
    import pytest

    from shop.config import ConfigError, check_config, load_config

    assert load_config({}, str(tmp_path))["SHOP_RX_REVIEW_DAYS"] == 5
    for days in ("0", "7"):
        config = load_config({"SHOP_RX_REVIEW_DAYS": days}, str(tmp_path))
        with pytest.raises(ConfigError, match="SHOP_RX_REVIEW_DAYS"):
            check_config(config, debug=True, testing=True)
