"""Delivery (SPEC §11): the pincode check, addresses at checkout and in the address book,
the order's snapshot and its Stripe `shipping`, shipping with a courier, and the e-mails."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from shop.checkout.models import Order
from shop.delivery.models import Address, DeliveryZone, OrderDelivery
from shop.demo import seed_demo
from shop.mail import OutboxMessage
from shop.payments.gateway import gateway
from shop.staff.audit import AuditEntry
from tests.conftest import csrf_token_for
from tests.factories import make_user
from tests.helpers import ADDRESS, log_in
from tests.integration.test_checkout import (
    GUEST,
    fill_cart,
    pay,
    place,
    session_id_of,
    stock,
    the_order,
)


@pytest.fixture()
def demo(db):
    seed_demo(db.session)
    db.session.commit()


def rows(db, model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def session_creates(sandbox) -> list[dict]:
    return [
        r
        for r in sandbox.requests()
        if r["method"] == "POST" and r["path"] == "/v1/checkout/sessions"
    ]


def customer(app, db, email="asha@example.com"):
    make_user(email)
    db.session.commit()
    client = app.test_client()
    log_in(client, email)
    return client


def add_address(client, **changes):
    data = {"csrf_token": csrf_token_for(client), **ADDRESS, **changes}
    return client.post("/account/addresses", data=data)


# --- the pincode check ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pincode", "message"),
    [
        ("560001", "Delivery in 1–3 days"),
        ("110001", "Delivery in 1–3 days"),
        ("400001", "Delivery in 1–3 days"),
        ("302001", "Delivery in 3–7 days"),
        ("744101", "We do not deliver to 744101 yet"),
    ],
)
def test_the_pincode_check_answers_in_html_and_json(client, demo, pincode, message):
    page = client.get(f"/delivery/check?pincode={pincode}")
    assert page.status_code == 200 and message in page.get_data(as_text=True)
    answer = client.get(
        f"/delivery/check?pincode={pincode}", headers={"Accept": "application/json"}
    )
    assert answer.status_code == 200 and answer.json["message"].startswith(message)
    assert answer.json["serviceable"] == (pincode != "744101")


@pytest.mark.parametrize("pincode", ["012345", "56000A", "5600", "5600011", "<script>"])
def test_a_malformed_pincode_check_is_422(client, demo, pincode):
    page = client.get("/delivery/check", query_string={"pincode": pincode})
    assert page.status_code == 422 and "6 digits" in page.get_data(as_text=True)
    assert "<script>" not in page.get_data(as_text=True)
    answer = client.get(
        "/delivery/check", query_string={"pincode": pincode}, headers={"Accept": "application/json"}
    )
    assert answer.status_code == 422 and "6 digits" in answer.json["message"]


def test_without_a_pincode_the_check_is_a_form(client, demo):
    page = client.get("/delivery/check")
    assert page.status_code == 200 and 'name="pincode"' in page.get_data(as_text=True)


def test_product_page_and_cart_have_a_plain_get_pincode_form(client, db, demo):
    fill_cart(client, db)
    for url in ("/products/joint-capsule", "/cart"):
        html = client.get(url).get_data(as_text=True)
        assert re.search(
            r'<form method="get" action="/delivery/check"[^>]*data-pincode-check', html
        )
        assert "js/delivery.js" in html


def test_the_cached_product_page_keeps_its_pincode_form(app, client, demo, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_CACHE_SECONDS", 60)
    first = client.get("/products/joint-capsule").get_data(as_text=True)
    second = client.get("/products/joint-capsule").get_data(as_text=True)
    assert 'action="/delivery/check"' in first and 'action="/delivery/check"' in second


# --- checkout ---------------------------------------------------------------------------------


def test_checkout_keeps_the_address_and_sends_it_to_stripe(client, db, demo, sandbox):
    fill_cart(client, db)
    response = place(client)
    assert response.status_code == 303
    order = the_order(db)
    delivery = order.delivery
    assert (delivery.name, delivery.phone, delivery.pincode, delivery.state) == (
        "Asha Rao",
        "+919845012345",
        "560001",
        "29",
    )
    assert (delivery.state_label, delivery.days_min, delivery.days_max) == ("Karnataka", 1, 3)

    (created,) = session_creates(sandbox)
    assert created["params"]["payment_intent_data"]["shipping"] == {
        "name": "Asha Rao",
        "phone": "+919845012345",
        "address": {
            "line1": "12 MG Road",
            "line2": "Near the metro",
            "city": "Bengaluru",
            "state": "Karnataka",
            "postal_code": "560001",
            "country": "IN",
        },
    }
    pay(client, sandbox, session_id_of(response))
    # the PaymentIntent Stripe made for the session carries the same shipping
    intent = gateway().client.v1.payment_intents.retrieve(the_order(db).stripe_payment_intent)
    assert intent.shipping.name == "Asha Rao" and intent.shipping.address.postal_code == "560001"
    page = client.get(f"/account/orders/{order.number}?key=x")
    assert page.status_code == 404  # a wrong key shows nothing
    html = client.get(re.sub(r"^http://shop\.test", "", _status_link(db, order.number))).get_data(
        as_text=True
    )
    assert "12 MG Road" in html and "Karnataka 560001" in html and "+919845012345" in html
    assert 'data-step="paid"' in html


def _status_link(db, number: str) -> str:
    db.session.expire_all()
    mail = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.subject.contains(number))
    ).first()
    return re.search(r"(http://shop\.test/account/orders/\S+)", mail.body).group(1)


def _assert_nothing_written(db, sandbox, before_stock):
    assert rows(db, Order) == 0 and rows(db, OrderDelivery) == 0 and rows(db, Address) == 0
    assert stock(db, "joint-capsule") == before_stock
    assert session_creates(sandbox) == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "Enter the name"),
        ("name", "x" * 101, "100 characters"),
        ("phone", "", "Enter a mobile number"),
        ("phone", "12345", "10-digit Indian mobile"),
        ("phone", "+1 415 555 0100", "10-digit Indian mobile"),
        ("line1", "", "Enter the house"),
        ("line1", "x" * 201, "200 characters"),
        ("line2", "x" * 201, "200 characters"),
        ("city", "", "Enter the city"),
        ("state", "", "Choose the state"),
        ("state", "99", "from the list"),
        ("pincode", "", "Enter the 6-digit PIN"),
        ("pincode", "012345", "6 digits and does not start with 0"),
        ("pincode", "56000A", "6 digits and does not start with 0"),
    ],
)
def test_bad_delivery_details_are_422_beside_the_field_and_write_nothing(
    client, db, demo, sandbox, field, value, message
):
    fill_cart(client, db)
    before = stock(db, "joint-capsule")
    response = place(client, **{field: value})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    error = re.search(rf'<p class="field-error" id="delivery-{field}-error">([^<]*)</p>', html)
    assert error and message in error.group(1)
    # everything typed is kept
    kept = {k: v for k, v in ADDRESS.items() if k not in (field, "state")}
    for name, typed in kept.items():
        assert f'name="{name}" value="{typed}"' in html
    assert 'value="reader' not in html
    _assert_nothing_written(db, sandbox, before)


def test_an_unserved_pincode_is_refused_before_any_hold(client, db, demo, sandbox):
    fill_cart(client, db)
    before = stock(db, "joint-capsule")
    response = place(client, pincode="744101", state="35")
    assert response.status_code == 422
    assert "We do not deliver to 744101 yet" in response.get_data(as_text=True)
    _assert_nothing_written(db, sandbox, before)


def test_unicode_and_rtl_names_are_kept_and_escaped(client, db, demo, sandbox):
    fill_cart(client, db)
    name = "محمد <b>علي</b> ಆಶಾ"
    refused = place(client, name=name, pincode="012345")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "<b>علي</b>" not in html
    assert "محمد &lt;b&gt;علي&lt;/b&gt; ಆಶಾ" in html
    assert place(client, name=name).status_code == 303
    order = the_order(db)
    assert order.delivery.name == name
    page = client.get(re.sub(r"^http://shop\.test", "", _pending_link(client, order)))
    assert page.status_code == 200


def _pending_link(client, order) -> str:
    from shop.checkout.service import status_key

    return f"/account/orders/{order.number}?key={status_key(order)}"


def test_a_new_address_on_resubmit_places_a_new_order(client, db, demo, sandbox):
    fill_cart(client, db)
    first = place(client)
    second = place(client, pincode="400001", state="27", city="Mumbai")
    assert first.status_code == second.status_code == 303
    assert session_id_of(first) != session_id_of(second)
    db.session.expire_all()
    orders = db.session.scalars(select(Order).order_by(Order.id)).all()
    assert [o.state for o in orders] == ["cancelled", "pending_payment"]
    assert orders[-1].delivery.pincode == "400001"


def test_the_same_address_on_resubmit_reuses_the_order(client, db, demo, sandbox):
    fill_cart(client, db)
    assert session_id_of(place(client)) == session_id_of(place(client))
    assert rows(db, Order) == 1


def test_the_review_lists_the_states_with_gst_codes(client, db, demo):
    fill_cart(client, db)
    html = client.get("/checkout").get_data(as_text=True)
    assert '<option value="29">Karnataka</option>' in html
    assert '<option value="07">Delhi</option>' in html


# --- signed-in customers: saved addresses ------------------------------------------------------


def test_a_saved_address_is_chosen_by_id(app, db, demo, sandbox):
    asha = customer(app, db)
    assert add_address(asha, name="Asha at home").status_code == 303
    saved = db.session.scalar(select(Address))
    fill_cart(asha, db)
    html = asha.get("/checkout").get_data(as_text=True)
    assert f'name="address_id" value="{saved.id}" checked' in html
    data = {"csrf_token": csrf_token_for(asha), "acknowledge": "yes", "address_id": saved.id}
    assert asha.post("/checkout", data=data).status_code == 303
    assert the_order(db).delivery.name == "Asha at home"


def test_someone_elses_address_id_is_404_and_writes_nothing(app, db, demo, sandbox):
    other = customer(app, db, "other@example.com")
    add_address(other, name="Not Asha")
    theirs = db.session.scalar(select(Address))
    asha = customer(app, db)
    fill_cart(asha, db)
    before = stock(db, "joint-capsule")
    for address_id in (theirs.id, 999999, 2**40, "abc"):
        data = {"csrf_token": csrf_token_for(asha), "acknowledge": "yes", "address_id": address_id}
        response = asha.post("/checkout", data=data)
        assert response.status_code == 404, address_id
        assert "Not Asha" not in response.get_data(as_text=True)
    assert rows(db, Order) == 0 and stock(db, "joint-capsule") == before
    assert session_creates(sandbox) == []


def test_a_guest_cannot_use_an_address_id(client, app, db, demo, sandbox):
    other = customer(app, db, "other@example.com")
    add_address(other)
    theirs = db.session.scalar(select(Address))
    fill_cart(client, db)
    response = place(client, address_id=theirs.id)
    assert response.status_code == 404 and rows(db, Order) == 0


def test_a_new_address_at_checkout_joins_the_address_book_once(app, db, demo, sandbox):
    asha = customer(app, db)
    fill_cart(asha, db)
    data = {"csrf_token": csrf_token_for(asha), "acknowledge": "yes", **ADDRESS}
    assert asha.post("/checkout", data=data).status_code == 303
    assert asha.post("/checkout", data=data).status_code == 303
    assert rows(db, Address) == 1
    assert db.session.scalar(select(Address)).is_default


def test_the_order_keeps_its_snapshot_when_the_address_book_changes(app, db, demo, sandbox):
    asha = customer(app, db)
    add_address(asha)
    saved = db.session.scalar(select(Address))
    fill_cart(asha, db)
    data = {"csrf_token": csrf_token_for(asha), "acknowledge": "yes", "address_id": saved.id}
    response = asha.post("/checkout", data=data)
    pay(asha, sandbox, session_id_of(response))
    order = the_order(db)

    changed = {**ADDRESS, "line1": "99 New Street", "pincode": "110001", "state": "07"}
    edit = asha.post(
        f"/account/addresses/{saved.id}", data={"csrf_token": csrf_token_for(asha), **changed}
    )
    assert edit.status_code == 303
    db.session.expire_all()
    assert db.session.get(Address, saved.id).line1 == "99 New Street"
    assert (order.delivery.line1, order.delivery.pincode) == ("12 MG Road", "560001")
    asha.post(f"/account/addresses/{saved.id}/delete", data={"csrf_token": csrf_token_for(asha)})
    assert rows(db, Address) == 0
    html = asha.get(f"/account/orders/{order.number}").get_data(as_text=True)
    assert "12 MG Road" in html and "99 New Street" not in html


# --- the address book --------------------------------------------------------------------------


def test_the_address_book_needs_a_sign_in(client, demo):
    response = client.get("/account/addresses")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_add_edit_default_and_delete(app, db, demo):
    asha = customer(app, db)
    assert add_address(asha, name="Home").status_code == 303
    assert add_address(asha, name="Office", pincode="400001", state="27").status_code == 303
    home, office = db.session.scalars(select(Address).order_by(Address.id)).all()
    assert home.is_default and not office.is_default
    html = asha.get("/account/addresses").get_data(as_text=True)
    assert "Home" in html and "Office" in html and "Maharashtra 400001" in html

    token = csrf_token_for(asha)
    assert (
        asha.post(f"/account/addresses/{office.id}/default", data={"csrf_token": token}).status_code
        == 303
    )
    db.session.expire_all()
    assert db.session.get(Address, office.id).is_default
    assert not db.session.get(Address, home.id).is_default

    form = asha.get(f"/account/addresses/{home.id}/edit").get_data(as_text=True)
    assert 'value="Home"' in form and '<option value="29" selected>' in form
    assert (
        asha.post(f"/account/addresses/{office.id}/delete", data={"csrf_token": token}).status_code
        == 303
    )
    db.session.expire_all()
    assert db.session.get(Address, home.id).is_default  # the remaining one takes over


def test_a_bad_address_in_the_book_is_422_and_writes_nothing(app, db, demo):
    asha = customer(app, db)
    response = add_address(asha, phone="12345", name="ಆಶಾ <i>x</i>")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "10-digit Indian mobile" in html
    assert 'value="ಆಶಾ &lt;i&gt;x&lt;/i&gt;"' in html
    assert rows(db, Address) == 0
    add_address(asha)
    mine = db.session.scalar(select(Address))
    bad = asha.post(
        f"/account/addresses/{mine.id}",
        data={"csrf_token": csrf_token_for(asha), **ADDRESS, "pincode": "012345"},
    )
    assert bad.status_code == 422
    db.session.expire_all()
    assert db.session.get(Address, mine.id).pincode == "560001"


def test_others_addresses_are_404_everywhere(app, db, demo):
    other = customer(app, db, "other@example.com")
    add_address(other, name="Theirs")
    theirs = db.session.scalar(select(Address))
    asha = customer(app, db)
    token = csrf_token_for(asha)
    assert asha.get(f"/account/addresses/{theirs.id}/edit").status_code == 404
    for url in (
        f"/account/addresses/{theirs.id}",
        f"/account/addresses/{theirs.id}/delete",
        f"/account/addresses/{theirs.id}/default",
    ):
        assert asha.post(url, data={"csrf_token": token, **ADDRESS}).status_code == 404
    assert asha.get("/account/addresses/99999999999/edit").status_code == 404
    db.session.expire_all()
    assert db.session.get(Address, theirs.id).name == "Theirs"
    assert "Theirs" not in asha.get("/account/addresses").get_data(as_text=True)


# --- staff: shipping, e-mails, packing slip ------------------------------------------------------


@pytest.fixture()
def staff(app, db, demo):
    make_user("ship-staff@example.com", role="staff")
    db.session.commit()
    client = app.test_client()
    log_in(client, "ship-staff@example.com")
    return client


def paid_order(app, db, sandbox) -> Order:
    shopper = app.test_client()
    fill_cart(shopper, db)
    pay(shopper, sandbox, session_id_of(place(shopper)))
    return the_order(db)


def ship(staff, order, **data):
    return staff.post(
        f"/staff/orders/{order.number}/ship", data={"csrf_token": csrf_token_for(staff), **data}
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Choose the courier"),
        ({"carrier": "delhivery"}, "Enter the tracking"),
        ({"tracking_number": "DL123456"}, "Choose the courier"),
        ({"carrier": "pigeon", "tracking_number": "DL123456"}, "Not a valid choice"),
        ({"carrier": "delhivery", "tracking_number": "x"}, "4 to 40 letters"),
        ({"carrier": "delhivery", "tracking_number": "DL 12<3456"}, "4 to 40 letters"),
        ({"carrier": "delhivery", "tracking_number": "D" * 41}, "4 to 40 letters"),
    ],
)
def test_shipping_needs_a_listed_carrier_and_a_tracking_number(
    app, db, staff, sandbox, data, message
):
    order = paid_order(app, db, sandbox)
    mails = rows(db, OutboxMessage)
    response = ship(staff, order, **data)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    db.session.expire_all()
    assert the_order(db).state == "paid" and the_order(db).delivery.tracking_number is None
    assert rows(db, OutboxMessage) == mails
    assert db.session.scalars(select(AuditEntry)).all() == []


def test_ship_and_deliver_email_the_customer_with_the_tracking_link(app, db, staff, sandbox):
    order = paid_order(app, db, sandbox)
    staff_page = staff.get(f"/staff/orders/{order.number}").get_data(as_text=True)
    assert "12 MG Road" in staff_page and "data-packing-slip" in staff_page
    assert ship(staff, order, carrier="delhivery", tracking_number="DL998877").status_code == 303
    order = the_order(db)
    assert order.state == "shipped"
    assert (order.delivery.carrier, order.delivery.tracking_number) == ("delhivery", "DL998877")
    assert order.delivery.shipped_at is not None
    shipped = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.subject.contains("on its way"))
    ).one()
    assert shipped.to == GUEST
    assert "https://www.delhivery.com/track/package/DL998877" in shipped.body
    assert "12 MG Road" in shipped.body and "Delhivery" in shipped.body
    (audit,) = db.session.scalars(select(AuditEntry)).all()
    assert audit.after["tracking_number"] == "DL998877"

    customer_page = staff.get(_status_link(db, order.number).replace("http://shop.test", ""))
    html = customer_page.get_data(as_text=True)
    assert 'href="https://www.delhivery.com/track/package/DL998877"' in html
    assert 'data-step="shipped"' in html

    token = csrf_token_for(staff)
    assert (
        staff.post(f"/staff/orders/{order.number}/deliver", data={"csrf_token": token}).status_code
        == 303
    )
    delivered = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.subject.contains("was delivered"))
    ).one()
    assert delivered.to == GUEST and order.number in delivered.body
    assert the_order(db).delivery.delivered_at is not None


def test_the_packing_slip_prints_the_address_and_lines(app, db, staff, sandbox):
    order = paid_order(app, db, sandbox)
    response = staff.get(f"/staff/orders/{order.number}/packing-slip")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "12 MG Road" in html and "Karnataka 560001" in html and "Joint" in html
    assert "css/packing-slip.css" in html and "₹" not in html
    assert staff.get("/staff/orders/RS-NONE-NONE-NONE/packing-slip").status_code == 404
    assert staff.get("/staff/orders/" + "R" * 300 + "/packing-slip").status_code == 404


def test_customers_cannot_see_packing_slips(app, db, demo, sandbox):
    order = paid_order(app, db, sandbox)
    asha = customer(app, db)
    assert asha.get(f"/staff/orders/{order.number}/packing-slip").status_code == 403


def test_an_order_without_an_address_still_displays_and_ships(app, db, staff, sandbox):
    order = paid_order(app, db, sandbox)
    db.session.delete(order.delivery)  # as orders placed before this feature
    db.session.commit()
    assert staff.get(f"/staff/orders/{order.number}").status_code == 200
    slip = staff.get(f"/staff/orders/{order.number}/packing-slip").get_data(as_text=True)
    assert "data-no-address" in slip
    assert ship(staff, order, carrier="bluedart", tracking_number="BD123456").status_code == 303
    page = staff.get(_status_link(db, order.number).replace("http://shop.test", ""))
    assert page.status_code == 200 and "before we asked for a delivery address" in page.get_data(
        as_text=True
    )


# --- staff: zones --------------------------------------------------------------------------------


def zone(db, prefix):
    db.session.expire_all()
    return db.session.scalar(select(DeliveryZone).where(DeliveryZone.prefix == prefix))


def test_staff_add_edit_and_delete_zones_audited(db, staff, client):
    token = csrf_token_for(staff)
    added = staff.post(
        "/staff/delivery-zones/",
        data={
            "csrf_token": token,
            "prefix": "5601",
            "serviceable": "yes",
            "days_min": "1",
            "days_max": "1",
            "note": "Central Bengaluru",
        },
    )
    assert added.status_code == 303
    answer = client.get("/delivery/check?pincode=560100", headers={"Accept": "application/json"})
    assert answer.json["message"] == "Delivery in 1 day."
    z = zone(db, "5601")
    changed = staff.post(
        f"/staff/delivery-zones/{z.id}",
        data={"csrf_token": token, "prefix": "5601", "days_min": "", "days_max": "", "note": ""},
    )
    assert changed.status_code == 303 and zone(db, "5601").serviceable is False
    answer = client.get("/delivery/check?pincode=560100", headers={"Accept": "application/json"})
    assert answer.json["serviceable"] is False
    assert (
        staff.post(f"/staff/delivery-zones/{z.id}/delete", data={"csrf_token": token}).status_code
        == 303
    )
    assert zone(db, "5601") is None
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.object_type == "delivery_zone").order_by(AuditEntry.id)
    ).all()
    assert [(e.action, e.object_id) for e in entries] == [
        ("create", "5601"),
        ("update", "5601"),
        ("delete", "5601"),
    ]
    assert entries[1].before["serviceable"] is True and entries[1].after["serviceable"] is False


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"prefix": "056", "days_min": "1", "days_max": "2"}, "prefix"),
        ({"prefix": "", "days_min": "1", "days_max": "2"}, "prefix"),
        ({"prefix": "56", "days_min": "3", "days_max": "2"}, "days_max"),
        ({"prefix": "56", "days_min": "x", "days_max": "2"}, "days_min"),
        ({"prefix": "560", "days_min": "1", "days_max": "2"}, "prefix"),  # already a zone
        ({"prefix": "56", "days_min": "1", "days_max": "2", "note": "n" * 121}, "note"),
    ],
)
def test_bad_zones_are_refused_and_write_nothing(db, staff, data, field):
    zones = rows(db, DeliveryZone)
    response = staff.post(
        "/staff/delivery-zones/",
        data={"csrf_token": csrf_token_for(staff), "serviceable": "yes", **data},
    )
    assert response.status_code in (409, 422)
    assert f'id="zone-{field}-error"' in response.get_data(as_text=True)
    assert rows(db, DeliveryZone) == zones
    assert db.session.scalars(select(AuditEntry)).all() == []


def test_the_zone_pages_answer_404_for_unknown_zones(staff):
    assert staff.get("/staff/delivery-zones/999999").status_code == 404
    assert staff.get("/staff/delivery-zones/99999999999").status_code == 404


def test_seed_demo_zones_are_idempotent_and_as_specified(db, demo):
    prefixes = {z.prefix: z for z in db.session.scalars(select(DeliveryZone))}
    for metro in ("110", "400", "500", "560", "600", "700"):
        assert (prefixes[metro].days_min, prefixes[metro].days_max) == (1, 3)
    assert prefixes["744"].serviceable is False
    assert (prefixes["3"].days_min, prefixes["3"].days_max) == (3, 7)
    seed_demo(db.session)
    db.session.commit()
    assert rows(db, DeliveryZone) == len(prefixes)
