"""Product cards read as Core rows (`shop.catalog.cards`): what each card shows."""

from __future__ import annotations

from datetime import timedelta

from shop.catalog.cards import cards_by_ids, cards_by_slug
from shop.catalog.models import ProductImage
from shop.database import utcnow
from shop.discounts.models import Sale
from tests.factories import make_product


def _variants(*stocks: int) -> list[dict]:
    return [
        {"mrp": 10000 * (i + 1), "price": 9000 * (i + 1), "stock": stock, "label": f"v{i}"}
        for i, stock in enumerate(stocks)
    ]


def test_a_card_shows_the_first_variant_in_stock_else_the_first(app, db):
    first_sold_out = make_product("a", variants=_variants(0, 5, 7))
    all_sold_out = make_product("b", variants=_variants(0, 0))
    db.session.commit()
    with app.test_request_context("/"):
        a, b = cards_by_ids([first_sold_out.id, all_sold_out.id])
    assert (a.variant_label, a.mrp, a.price, a.percent_off, a.in_stock) == (
        "v1",
        20000,
        18000,
        10,
        True,
    )
    assert (b.variant_label, b.in_stock) == ("v0", False)
    assert b.variant_id == all_sold_out.variants[0].id


def test_a_card_shows_the_image_in_the_first_position(app, db):
    product = make_product("pictured", image=False)
    product.images.append(ProductImage(path="b.png", alt="second", width=1, height=1, position=2))
    product.images.append(ProductImage(path="a.png", alt="first", width=3, height=4, position=1))
    make_product("bare", image=False)
    db.session.commit()
    with app.test_request_context("/"):
        cards = cards_by_slug(["pictured", "bare"])
    image = cards["pictured"].image
    assert (image.path, image.alt, image.width, image.height) == ("a.png", "first", 3, 4)
    assert cards["bare"].image is None


def test_cards_keep_the_order_asked_and_leave_out_inactive_and_unknown_products(app, db):
    one, two = make_product("one"), make_product("two")
    hidden = make_product("hidden", active=False)
    db.session.commit()
    with app.test_request_context("/"):
        ordered = cards_by_ids([two.id, 999_999, hidden.id, one.id])
        none = cards_by_ids([])
        by_slug = cards_by_slug(["one", "hidden", "nope"])
    assert [card.slug for card in ordered] == ["two", "one"]
    assert none == []
    assert list(by_slug) == ["one"]


def test_a_running_sale_prices_the_card_and_a_new_sale_shows_at_once(app, db):
    product = make_product("on-sale", mrp=80000, price=80000)
    db.session.commit()
    with app.test_request_context("/"):
        (before,) = cards_by_ids([product.id])
    sale = Sale(name="Winter", kind="percent", value=25, ends_at=utcnow() + timedelta(days=2))
    sale.products.append(product)
    db.session.add(sale)
    db.session.commit()  # bumps the content version: the cached rules are not used
    with app.test_request_context("/"):
        (after,) = cards_by_ids([product.id])
    assert (before.price, before.on_sale) == (80000, False)
    assert (after.price, after.percent_off, after.on_sale) == (60000, 25, True)
    assert after.sale_ends_at == sale.ends_at
