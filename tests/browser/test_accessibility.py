"""axe-core (through axe-playwright-python, which bundles it) finds no serious or critical
accessibility problem on the article, product, cart, checkout and staff product pages,
at phone and desktop widths. Also: after adding to the cart the keyboard focus stays on
the button and the message names the variant."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import select

from shop.catalog.models import Product
from shop.demo import seed_demo
from tests.factories import make_user

pytestmark = pytest.mark.browser

BLOCKING = ("serious", "critical")
STAFF_EMAIL, STAFF_PASSWORD = "a11y-staff@example.com", "a long enough password"


@pytest.fixture()
def demo_shop(db, live_server):
    seed_demo(db.session)
    make_user(STAFF_EMAIL, password=STAFF_PASSWORD, role="staff")
    db.session.commit()
    return live_server


def _problems(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["target"][0] for node in v["nodes"][:3])
        for v in results.response["violations"]
        if v["impact"] in BLOCKING
    ]


def _add(page, base: str, slug: str) -> None:
    page.goto(base + "/products/" + slug)
    page.get_by_role("button", name="Add to cart").first.click()
    page.locator(".add-status").first.wait_for()


@pytest.mark.parametrize("width", [390, 1280])
def test_shopper_pages_have_no_serious_problems(browser, demo_shop, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        found = {}
        for path in ("/articles/muscle-spasm-in-back", "/products/joint-capsule"):
            page.goto(demo_shop + path)
            found[path] = _problems(page)
        _add(page, demo_shop, "joint-capsule")
        for path in ("/cart", "/checkout"):
            page.goto(demo_shop + path)
            found[path] = _problems(page)
        assert {path: p for path, p in found.items() if p} == {}
    finally:
        context.close()


def test_staff_product_page_has_no_serious_problems(browser, demo_shop, db):
    product_id = db.session.scalar(select(Product.id).where(Product.slug == "joint-capsule"))
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(demo_shop + "/account/login")
        page.fill('#main input[name="email"]', STAFF_EMAIL)
        page.fill('#main input[name="password"]', STAFF_PASSWORD)
        page.locator("#main").get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/account/login" not in url)
        found = {}
        for path in (f"/staff/products/{product_id}", "/staff/products/"):
            page.goto(demo_shop + path)
            found[path] = _problems(page)
        assert {path: p for path, p in found.items() if p} == {}
    finally:
        context.close()


def test_adding_keeps_focus_on_the_button_and_names_the_variant(page, demo_shop):
    page.goto(demo_shop + "/articles/muscle-spasm-in-back")
    card = page.locator("article.product-card-embed").filter(
        has=page.locator('a[href^="/products/joint-capsule?"]')
    )
    button = card.get_by_role("button", name="Add to cart")
    button.focus()
    page.keyboard.press("Enter")
    status = card.locator(".add-status")
    status.wait_for()
    assert "Joint Care Capsules (60 capsules)" in status.inner_text()
    assert page.evaluate("document.activeElement.textContent") == "Add to cart"
    assert page.evaluate("document.activeElement.closest('article') !== null")
