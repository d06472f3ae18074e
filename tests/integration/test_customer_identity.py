"""One person, one customer key (issue 17 #10): coupons limited per customer count the
inbox, whether the shopper is signed in or a guest, however the address is spelled; and
guessing coupon codes is throttled."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from shop.accounts.emails import customer_key, parse_email
from shop.catalog.models import Product
from shop.checkout.models import Order
from shop.demo import seed_demo
from shop.discounts.models import CouponRedemption
from shop.errors import ShopError
from tests.conftest import csrf_token_for
from tests.factories import make_user
from tests.helpers import ADDRESS, log_in

GUEST = "guest@example.com"


@pytest.fixture()
def demo(db):
    seed_demo(db.session)
    db.session.commit()


def fill_cart(client, db, coupon=None):
    """Two joint capsules in the cart (and a coupon applied) through the forms."""
    product = db.session.scalar(select(Product).where(Product.slug == "joint-capsule"))
    token = csrf_token_for(client)
    data = {"csrf_token": token, "quantity": "2", "variant_id": product.variants[0].id}
    assert client.post("/cart/add", data=data).status_code == 303
    if coupon:
        applied = client.post("/cart/coupon", data={"csrf_token": token, "code": coupon})
        assert applied.status_code == 303


def place(client, email=GUEST):
    data = {"csrf_token": csrf_token_for(client), "email": email, "acknowledge": "yes", **ADDRESS}
    return client.post("/checkout", data=data)


# --- the key ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "key"),
    [
        ("Reader@Example.com", "email:reader@example.com"),
        ("reader+coupons@example.com", "email:reader@example.com"),
        ("re.ad.er@example.com", "email:re.ad.er@example.com"),  # dots matter elsewhere
        ("Re.Ad.Er+x+y@GMail.com", "email:reader@gmail.com"),
        ("reader@googlemail.com", "email:reader@gmail.com"),
    ],
)
def test_customer_key_ignores_case_tags_and_gmail_dots(email, key):
    assert customer_key(email) == key


local_parts = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=20)


@given(local=local_parts, tag=st.text(alphabet="abc123-_", max_size=10), data=st.data())
def test_every_spelling_of_a_gmail_inbox_is_one_customer(local, tag, data):
    dotted = "".join(
        ch + ("." if data.draw(st.booleans()) and i < len(local) - 1 else "")
        for i, ch in enumerate(local)
    )
    cased = "".join(ch.upper() if data.draw(st.booleans()) else ch for ch in dotted)
    domain = data.draw(st.sampled_from(["gmail.com", "GMail.com", "googlemail.com"]))
    spelled = f"{cased}{'+' + tag if tag else ''}@{domain}"
    assert customer_key(spelled) == customer_key(f"{local}@gmail.com")


@pytest.mark.parametrize(
    "raw", ["", "plain", "a@b", "a@@b.com", "a b@c.com", "a@b.com\n", "x" * 250 + "@e.com"]
)
def test_one_validator_refuses_what_is_not_an_address(raw):
    if raw.endswith("\n"):  # surrounding white space is trimmed, as a browser would
        assert parse_email(raw) == raw.strip()
        return
    with pytest.raises(ShopError) as refused:
        parse_email(raw)
    assert refused.value.status == 422


def test_one_validator_normalises_case():
    assert parse_email("  Reader@Example.COM ") == "reader@example.com"


# --- a once-per-customer coupon ---------------------------------------------------------------


def orders(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Order))


@pytest.mark.parametrize(
    "guest_email",
    [
        "reader.name@gmail.com",
        "READER.NAME@gmail.com",
        "reader.name+deals@gmail.com",
        "readername@googlemail.com",
        "r.e.a.d.e.r.n.a.m.e@gmail.com",
    ],
)
def test_a_coupon_used_signed_in_is_refused_to_the_same_inbox_as_a_guest(
    app, client, db, demo, sandbox, guest_email
):
    make_user("reader.name@gmail.com")
    db.session.commit()
    log_in(client, "reader.name@gmail.com")
    fill_cart(client, db, coupon="WELCOME10")
    assert place(client).status_code == 303

    guest = app.test_client()
    fill_cart(guest, db, coupon="WELCOME10")  # unknown at the cart: checked at checkout
    refused = place(guest, email=guest_email)
    assert refused.status_code in (409, 422)
    assert "already used" in refused.get_data(as_text=True)
    assert orders(db) == 1
    keys = db.session.scalars(select(CouponRedemption.customer_key)).all()
    assert keys == ["email:readername@gmail.com"]


def test_a_coupon_used_as_a_guest_is_refused_once_signed_in(app, client, db, demo, sandbox):
    fill_cart(client, db, coupon="WELCOME10")
    assert place(client, email="Shopper+first@example.com").status_code == 303
    make_user("shopper@example.com")
    db.session.commit()
    member = app.test_client()
    log_in(member, "shopper@example.com")
    fill_cart(member, db)
    token = csrf_token_for(member)
    refused = member.post("/cart/coupon", data={"csrf_token": token, "code": "WELCOME10"})
    assert refused.status_code == 422
    assert "already used" in refused.get_data(as_text=True)


def test_another_person_may_still_use_it(app, client, db, demo, sandbox):
    fill_cart(client, db, coupon="WELCOME10")
    assert place(client, email="first@gmail.com").status_code == 303
    other = app.test_client()
    fill_cart(other, db, coupon="WELCOME10")
    assert place(other, email="first.second@gmail.com").status_code == 303
    assert orders(db) == 2


# --- guessing codes ---------------------------------------------------------------------------


def test_coupon_guessing_is_throttled_with_a_clear_429(client, db, demo):
    fill_cart(client, db)
    token = csrf_token_for(client)
    statuses = [
        client.post("/cart/coupon", data={"csrf_token": token, "code": f"GUESS{i}"}).status_code
        for i in range(10)
    ]
    assert statuses == [422] * 10
    blocked = client.post("/cart/coupon", data={"csrf_token": token, "code": "WELCOME10"})
    assert blocked.status_code == 429
    assert "Too many coupon codes tried" in blocked.get_data(as_text=True)
    assert "Retry-After" in blocked.headers
    as_json = client.post(
        "/cart/coupon",
        data={"csrf_token": token, "code": "WELCOME10"},
        headers={"Accept": "application/json"},
    )
    assert as_json.status_code == 429
    assert "Too many coupon codes tried" in as_json.get_json()["message"]


def test_codes_that_work_do_not_count(client, db, demo):
    fill_cart(client, db)
    token = csrf_token_for(client)
    for _ in range(12):
        applied = client.post("/cart/coupon", data={"csrf_token": token, "code": "WELCOME10"})
        assert applied.status_code == 303
        client.post("/cart/coupon/remove", data={"csrf_token": token})


# --- keys stored before ------------------------------------------------------------------------


def test_the_migration_rewrites_the_keys_already_stored(app, db):
    """Uses recorded as `user:<id>` or with a `+tag` keep counting after the upgrade."""
    from alembic.script import ScriptDirectory
    from flask_migrate import downgrade, upgrade

    from shop.discounts.models import Coupon

    user = make_user("Reader.Name@gmail.com")
    coupon = Coupon(code="ONCE", kind="fixed", value=100, per_customer_limit=1)
    db.session.add(coupon)
    db.session.flush()
    for key in [f"user:{user.id}", "email:reader.name+x@googlemail.com", "email:o@example.com"]:
        db.session.add(CouponRedemption(coupon_id=coupon.id, customer_key=key))
    db.session.commit()
    migrations = app.extensions["migrate"].directory
    script = ScriptDirectory(migrations).get_revision("customer_keys")
    downgrade(directory=migrations, revision=script.down_revision)
    upgrade(directory=migrations)
    db.session.expire_all()
    keys = db.session.scalars(select(CouponRedemption.customer_key).order_by("id")).all()
    assert keys == ["email:readername@gmail.com"] * 2 + ["email:o@example.com"]
