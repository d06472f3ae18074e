"""The money paths stay cheap: fixed query counts, no writes on a plain cart view (issue 14)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, select

from shop.cart.models import CartLine
from shop.catalog.models import Variant
from shop.discounts.models import Sale
from tests.conftest import csrf_token_for
from tests.factories import make_product, make_user
from tests.helpers import log_in

WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE)\b", re.I)


def _variants(db, count: int) -> list[int]:
    ids = [make_product(f"fast-{i}", stock=50).variants[0].id for i in range(count)]
    db.session.commit()
    return ids


def _add(client, token: str, variant_id: int, quantity: int = 1):
    return client.post(
        "/cart/add",
        data={"csrf_token": token, "variant_id": str(variant_id), "quantity": str(quantity)},
    )


class _Commits:
    """Counts COMMITs on the engine (the query counter sees statements only)."""

    def __init__(self, engine) -> None:
        self.engine, self.count = engine, 0

    def __enter__(self):
        event.listen(self.engine, "commit", self._seen)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(self.engine, "commit", self._seen)

    def _seen(self, conn) -> None:
        self.count += 1


@pytest.fixture(params=["guest", "signed-in"])
def shopper(request, client, db):
    """A client and its CSRF token, as a guest or signed in."""
    if request.param == "signed-in":
        make_user("fast@example.com")
        db.session.commit()
        return client, log_in(client, "fast@example.com")
    return client, csrf_token_for(client)


def _cart_with(client, token, variant_ids) -> None:
    for variant_id in variant_ids:
        assert _add(client, token, variant_id).status_code == 303
    client.get("/cart")  # shows the prices once, so later views have nothing to record


def _statements(count_queries, call):
    with count_queries() as counter:
        response = call()
    return response, counter.statements


def test_cart_page_and_review_run_the_same_queries_for_1_and_20_lines(shopper, db, count_queries):
    client, token = shopper
    variants = _variants(db, 20)
    _cart_with(client, token, variants[:1])
    page_one = _statements(count_queries, lambda: client.get("/cart"))[1]
    review_one = _statements(count_queries, lambda: client.get("/checkout"))[1]
    _cart_with(client, token, variants[1:])
    response, page_twenty = _statements(count_queries, lambda: client.get("/cart"))
    assert response.get_data(as_text=True).count('data-line-id="') == 20
    assert sum(1 for s in page_twenty if "site_versions" in s) == 1  # inside the cart query
    response, review_twenty = _statements(count_queries, lambda: client.get("/checkout"))
    assert response.status_code == 200
    # (the user, when signed in), then the cart with its lines and the content version
    assert len(page_twenty) == len(page_one) <= 2
    assert len(review_twenty) == len(review_one)


def test_adding_runs_the_same_queries_into_a_cart_of_1_or_20_lines(shopper, db, count_queries):
    client, token = shopper
    variants = _variants(db, 22)
    _cart_with(client, token, variants[:1])
    response, small = _statements(count_queries, lambda: _add(client, token, variants[1]))
    assert response.status_code == 303
    _cart_with(client, token, variants[2:21])
    response, large = _statements(count_queries, lambda: _add(client, token, variants[21]))
    assert response.status_code == 303
    # (the user, when signed in), the variant with the cart's id and count and the
    # content version, then the upsert
    assert len(large) == len(small) <= 3
    # the cart is never loaded and priced: no statement reads its lines' prices
    reads = [s for s in large if s.lstrip().upper().startswith("SELECT")]
    assert not [s for s in reads if "cart_lines.price_seen" in s]
    assert sum(1 for s in large if WRITE.match(s)) == 1  # one upsert, nothing else
    assert sum(1 for s in large if "site_versions" in s) == 1  # read along with the variant


def test_viewing_an_unchanged_cart_writes_nothing_and_sends_no_cookie(client, db, count_queries):
    token = csrf_token_for(client)
    _cart_with(client, token, _variants(db, 3))
    with _Commits(db.engine) as commits:
        response, statements = _statements(count_queries, lambda: client.get("/cart"))
    assert response.status_code == 200
    assert not [s for s in statements if WRITE.match(s)]
    assert commits.count == 0
    assert "Set-Cookie" not in response.headers


def test_a_price_change_is_announced_once_then_the_view_writes_nothing(client, db, count_queries):
    token = csrf_token_for(client)
    (variant_id,) = _variants(db, 1)
    _cart_with(client, token, [variant_id])
    sale = Sale(name="Flash", kind="percent", value=20)
    db.session.add(sale)
    sale.products.append(db.session.get(Variant, variant_id).product)
    db.session.commit()
    with _Commits(db.engine) as commits:
        first = client.get("/cart").get_data(as_text=True)
    assert "The price dropped" in first and commits.count == 1
    db.session.expire_all()
    line = db.session.scalars(select(CartLine)).one()
    assert line.price_seen == 57500  # ₹719 less 20% = ₹575.20, down to the rupee
    with _Commits(db.engine) as commits:
        again = client.get("/cart").get_data(as_text=True)
    assert "The price dropped" not in again and commits.count == 0


def test_a_new_sale_reprices_the_cart_at_once(client, db):
    """Pricing rules are cached per content version: a sale shows on the very next view."""
    token = csrf_token_for(client)
    (variant_id,) = _variants(db, 1)
    _cart_with(client, token, [variant_id])
    assert 'data-total="subtotal">₹719<' in client.get("/cart").get_data(as_text=True)
    sale = Sale(name="Half", kind="percent", value=50)
    sale.products.append(db.session.get(Variant, variant_id).product)
    db.session.add(sale)
    db.session.commit()
    # ₹359.50, down to the rupee (SHOP_SALE_ROUNDING)
    assert 'data-total="subtotal">₹359<' in client.get("/cart").get_data(as_text=True)
    sale.active = False
    db.session.commit()
    assert 'data-total="subtotal">₹719<' in client.get("/cart").get_data(as_text=True)


def test_adding_right_after_a_sale_starts_remembers_the_sale_price(client, db):
    """Adding reads the content version with the variant: a new sale counts at once."""
    token = csrf_token_for(client)
    first, second = _variants(db, 2)
    _cart_with(client, token, [first])  # the pricing rules are now cached, without a sale
    sale = Sale(name="Half", kind="percent", value=50)
    sale.products.append(db.session.get(Variant, second).product)
    db.session.add(sale)
    db.session.commit()
    assert _add(client, token, second).status_code == 303
    db.session.expire_all()
    line = db.session.scalars(select(CartLine).where(CartLine.variant_id == second)).one()
    # ₹719 less 50% is ₹359.50, rounded down to the rupee; not the ₹719 cached before the sale
    assert line.price_seen == 35900
    page = client.get("/cart").get_data(as_text=True)
    assert "The price dropped" not in page and "The price went up" not in page


def _tokens(html: str) -> set[str]:
    meta = re.findall(r'<meta name="csrf-token" content="([^"]+)"', html)
    fields = re.findall(r'name="csrf_token" value="([^"]+)"', html)
    return set(meta) | set(fields)


def test_the_cart_layout_is_shared_but_its_personal_parts_are_each_visitors(app, db):
    """The layout comes from the page cache (shop.layout); the header's count, the
    flashed message, the CSRF tokens and the lines are each visitor's own."""
    first, second = app.test_client(), app.test_client()
    one, two = _variants(db, 2)
    first_token, second_token = csrf_token_for(first), csrf_token_for(second)
    assert first_token != second_token
    _add(first, first_token, one, quantity=2)
    _add(second, second_token, two)

    pages = {}
    for name, client, token in (("first", first, first_token), ("second", second, second_token)):
        html = client.get("/cart").get_data(as_text=True)
        pages[name] = html
        assert _tokens(html) == {token}
        assert ("Added 2 ×" if name == "first" else "Added 1 ×") in html
    assert re.search(r"data-cart-count>2<", pages["first"])
    assert re.search(r"data-cart-count>1<", pages["second"])
    assert "fast-0" in pages["first"] and "fast-1" not in pages["first"]
    assert "fast-1" in pages["second"] and "fast-0" not in pages["second"]
    again = first.get("/cart").get_data(as_text=True)
    assert "Added 2 ×" not in again  # a flashed message shows once
    assert again.count("<footer") == 1 and again.count("<main") == 1
