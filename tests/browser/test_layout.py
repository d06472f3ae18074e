"""Every public page type, the cart and checkout fit phones (360–414 px) and a desktop
without sideways scrolling, and the header stays one compact block with the cart count.

With `SHOP_SCREENSHOTS` set to a folder, the mobile cart and checkout are saved there as
PNG files for a person to look at (nothing is written otherwise).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from shop.demo import seed_demo

pytestmark = pytest.mark.browser

PUBLIC_PAGES = [
    "/",
    "/articles/",
    "/articles/muscle-spasm-in-back",
    "/conditions/muscle-spasm",
    "/products/",
    "/products/?category=pain-relief",
    "/products/joint-capsule",
    "/categories/",
    "/categories/pain-relief",
    "/doctors/",
    "/doctors/dr-ananya-rao",
    "/search?q=back",
    "/account/login",
    "/account/register",
    "/account/password-reset",
    "/help/",
    "/help/grievance-officer",
    "/help/returns-and-refunds",
    "/no-such-page",
]
NARROW = (360, 390, 414)


@pytest.fixture()
def demo_shop(db, live_server):
    seed_demo(db.session)
    db.session.commit()
    return live_server


def _overflow(page) -> tuple[int, int]:
    return page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")


def _fill_cart(page, base: str) -> None:
    for slug in ("joint-capsule", "self-heating-back-wrap"):
        page.goto(base + "/products/" + slug)
        page.get_by_role("button", name="Add to cart").first.click()
        page.locator(".add-status").first.wait_for()


def _screenshot(page, name: str) -> None:
    folder = os.environ.get("SHOP_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), full_page=True)


@pytest.mark.parametrize("width", [*NARROW, 1280])
def test_no_page_scrolls_sideways(browser, demo_shop, width):
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        too_wide = {}
        for path in PUBLIC_PAGES:
            page.goto(demo_shop + path)
            scroll, inner = _overflow(page)
            if scroll > inner:
                too_wide[path] = scroll
        _fill_cart(page, demo_shop)
        for path in ("/cart", "/checkout"):
            page.goto(demo_shop + path)
            assert page.locator(".cart-table tbody tr:not(.line-notes)").count() == 2
            scroll, inner = _overflow(page)
            if scroll > inner:
                too_wide[path] = scroll
            if width == 390:
                _screenshot(page, f"{path.strip('/')}-390.png")
        assert too_wide == {}, f"wider than {width}px: {too_wide}"
    finally:
        context.close()


def test_mobile_cart_shows_every_part_of_a_line(browser, demo_shop):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        _fill_cart(page, demo_shop)
        page.goto(demo_shop + "/cart")
        line = page.locator(".cart-line").first
        for part in (".cart-item a", ".price-now", 'input[name="quantity"]', ".line-total"):
            box = line.locator(part).first.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, part
        update = line.get_by_role("button", name="Update").bounding_box()
        assert update["x"] + update["width"] <= 390
        # the name and the price do not sit on top of each other
        name = line.locator(".cart-item a").bounding_box()
        price = line.locator(".price-now").bounding_box()
        assert price["y"] >= name["y"] + name["height"] or price["x"] >= name["x"] + name["width"]
    finally:
        context.close()


@pytest.mark.parametrize("width", NARROW)
def test_mobile_checkout_shows_notices_and_warnings_across_the_whole_line(
    browser, demo_shop, db, width
):
    from sqlalchemy import select

    from shop.catalog.models import Product

    context = browser.new_context(viewport={"width": width, "height": 844})
    page = context.new_page()
    try:
        _fill_cart(page, demo_shop)
        wrap = db.session.scalar(select(Product).where(Product.slug == "self-heating-back-wrap"))
        for variant in wrap.variants:
            variant.stock = 0  # sold out since it was added: a stock notice on its line
        db.session.commit()
        page.goto(demo_shop + "/checkout")
        table = page.locator(".cart-table").bounding_box()
        notes = page.locator("tr.line-notes")
        assert notes.count() == 2  # the capsules' warning, the wrap's notice (and warning)
        assert page.locator(".line-notice").inner_text().startswith("Out of stock")
        for index in range(notes.count()):
            note = notes.nth(index)
            line = page.locator("tr.review-line").nth(index).bounding_box()
            box = note.locator("td").bounding_box()
            assert box["width"] >= table["width"] - 1, (index, box, table)  # full width …
            assert box["y"] >= line["y"] + line["height"] - 1  # … under its line
            for part in note.locator("p").all():
                text = part.bounding_box()
                assert text["x"] >= 0 and text["x"] + text["width"] <= width
                assert text["width"] >= 0.8 * table["width"]  # not squeezed into a column
        scroll, inner = _overflow(page)
        assert scroll <= inner
    finally:
        context.close()


def test_header_is_compact_and_always_shows_the_cart(browser, demo_shop):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto(demo_shop + "/articles/muscle-spasm-in-back")
        height = page.evaluate(
            "document.querySelector('.site-header').getBoundingClientRect().bottom"
        )
        assert height <= 190, height  # test banner and header together, was about 320
        assert page.locator("[data-cart-count]").is_visible()
        header = page.locator(".site-header")
        assert header.get_by_role("link", name="Categories").is_visible()
    finally:
        context.close()


def test_signed_in_header_is_one_row_at_1280(browser, demo_shop, db):
    from tests.factories import make_user

    make_user("wide@example.com", password="a long enough password", role="staff")
    db.session.commit()
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        page.goto(demo_shop + "/account/login")
        page.fill('#main input[name="email"]', "wide@example.com")
        page.fill('#main input[name="password"]', "a long enough password")
        page.locator("#main").get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/account/login" not in url)
        page.goto(demo_shop + "/")
        assert page.get_by_role("button", name="Sign out").is_visible()
        tops = page.evaluate(
            "[...document.querySelectorAll('.header-row > *')]"
            ".map(el => Math.round(el.getBoundingClientRect().top + el.offsetHeight / 2))"
        )
        assert max(tops) - min(tops) <= 12, tops  # every part on one row
        assert page.locator("[data-cart-count]").is_visible()
    finally:
        context.close()
