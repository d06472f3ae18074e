"""merge_carts: a guest's cart joins the account's cart at login."""

from __future__ import annotations

from sqlalchemy import func, select

from shop.cart.models import Cart, CartLine
from shop.cart.service import merge_carts
from tests.factories import make_product, make_user


def cart_with(db, *lines, coupon=None, user_id=None) -> Cart:
    cart = Cart(coupon_code=coupon, user_id=user_id)
    for variant, quantity in lines:
        cart.lines.append(
            CartLine(variant=variant, quantity=quantity, price_seen=variant.price, ref="an-article")
        )
    db.session.add(cart)
    db.session.flush()
    return cart


def test_quantities_add_up_and_the_guest_cart_goes(db):
    a = make_product(stock=10).variants[0]
    b = make_product(stock=10).variants[0]
    guest = cart_with(db, (a, 2), (b, 1), coupon="WELCOME10")
    account = cart_with(db, (a, 3), user_id=make_user().id)
    notices = merge_carts(guest, account)
    db.session.commit()
    assert notices == []
    quantities = {line.variant_id: line.quantity for line in account.lines}
    assert quantities == {a.id: 5, b.id: 1}
    assert account.coupon_code == "WELCOME10"
    assert db.session.scalar(select(func.count()).select_from(Cart)) == 1
    assert all(line.ref == "an-article" for line in account.lines)


def test_merged_quantities_are_capped_by_stock_and_max_per_order(db):
    scarce = make_product(stock=4).variants[0]
    limited = make_product(stock=50, max_per_order=2).variants[0]
    guest = cart_with(db, (scarce, 3), (limited, 2))
    account = cart_with(db, (scarce, 3), (limited, 1), coupon="FLAT50", user_id=make_user().id)
    notices = merge_carts(guest, account)
    db.session.commit()
    quantities = {line.variant_id: line.quantity for line in account.lines}
    assert quantities == {scarce.id: 4, limited.id: 2}
    assert len(notices) == 2
    assert account.coupon_code == "FLAT50"  # the account's own coupon wins


def test_sold_out_and_inactive_guest_lines_are_dropped(db):
    sold_out = make_product(stock=0).variants[0]
    hidden = make_product(stock=5, active=False).variants[0]
    guest = cart_with(db, (sold_out, 1), (hidden, 1))
    account = cart_with(db, user_id=make_user().id)
    merge_carts(guest, account)
    db.session.commit()
    assert account.lines == []


def test_merging_a_cart_into_itself_changes_nothing(db):
    variant = make_product().variants[0]
    cart = cart_with(db, (variant, 2))
    assert merge_carts(cart, cart) == []
    db.session.commit()
    assert cart.lines[0].quantity == 2
