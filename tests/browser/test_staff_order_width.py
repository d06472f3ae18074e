"""In Chromium: the staff order page fits a 1280 px wide screen without sideways scrolling."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from shop.checkout.models import Order
from shop.demo import seed_demo
from tests.conftest import csrf_token_for
from tests.factories import DEFAULT_PASSWORD, make_user
from tests.helpers import ADDRESS
from tests.integration.test_checkout import variant

pytestmark = pytest.mark.browser

SLUGS = ["joint-capsule", "muscle-relief-balm", "ashwagandha-tablets", "cooling-pain-relief-spray"]
LONG_ADDRESS = {
    **ADDRESS,
    "name": "Anantharamakrishnan Venkatasubramanian Iyengar-Raghunathan Srinivasaraghavan",
    "line1": "Flat 1203, Tower B, Sri Lakshminarasimhaswamy Residency Apartments, "
    "Bannerghatta-Road-Service-Lane-Opposite-The-Old-Municipal-Water-Tank-Compound",
    "line2": "Behind Sri Venkateshwara Kalyana Mantapa, Near Jayadeva Hospital Flyover Junction",
    "city": "Bengaluru",
}


@pytest.fixture()
def long_order(app, db, live_server) -> str:
    seed_demo(db.session)
    make_user("width-staff@example.com", role="staff")
    db.session.commit()
    shopper = app.test_client()
    token = csrf_token_for(shopper)
    for slug in SLUGS:
        response = shopper.post(
            "/cart/add",
            data={"csrf_token": token, "quantity": "2", "variant_id": variant(db, slug).id},
        )
        assert response.status_code == 303
    email = "a.very.long.customer.address.for.testing@example-hospital-group.co.in"
    data = {"csrf_token": token, "email": email, "acknowledge": "yes", **LONG_ADDRESS}
    response = shopper.post("/checkout", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)
    db.session.expire_all()
    return db.session.scalars(select(Order.number)).one()


def test_the_staff_order_page_fits_1280_pixels(browser, live_server, long_order):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(live_server + f"/account/login?next=/staff/orders/{long_order}")
        page.get_by_label("E-mail").fill("width-staff@example.com")
        page.get_by_label("Password").fill(DEFAULT_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"**/staff/orders/{long_order}")
        assert page.locator("table.staff-table tbody tr").count() >= len(SLUGS)
        assert "Water-Tank" in page.inner_text("main")
        widths = page.evaluate(
            "() => [document.documentElement.scrollWidth, window.innerWidth,"
            " document.body.scrollWidth]"
        )
        assert widths[0] <= widths[1] and widths[2] <= widths[1], widths
    finally:
        context.close()
