"""In Chromium: staff find a product by typing in the article editor and embed its card."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from shop.content.models import Article
from shop.demo import seed_demo
from tests.factories import DEFAULT_PASSWORD, make_user

pytestmark = pytest.mark.browser

ARTICLE = "muscle-spasm-in-back"
EMBED = "[[product:ashwagandha-tablets]]"


@pytest.fixture()
def demo_shop(db, live_server):
    seed_demo(db.session)
    make_user("picker@example.com", role="staff")
    db.session.commit()
    return live_server


def sign_in(page, base: str, next_path: str) -> None:
    page.goto(base + "/account/login?next=" + next_path)
    page.get_by_label("E-mail").fill("picker@example.com")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**" + next_path)


def test_staff_type_a_product_name_and_its_card_is_embedded(page, db, demo_shop):
    article = db.session.scalars(select(Article).where(Article.slug == ARTICLE)).one()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, demo_shop, f"/staff/articles/{article.id}")
    shop_page = page.context.new_page()
    shop_page.goto(demo_shop + f"/articles/{ARTICLE}")
    assert (
        shop_page.locator(".article-body .product-card-name", has_text="Ashwagandha").count() == 0
    )

    body = page.locator("textarea#body")
    original = body.input_value()
    # Put the cursor right after the first section's heading line.
    heading_end = original.index("\n", original.index("## ")) + 1
    body.evaluate("(area, at) => { area.focus(); area.setSelectionRange(at, at); }", heading_end)

    picker = page.get_by_label("Insert a product card at the cursor")
    picker.press_sequentially("ashwag", delay=40)
    option = page.get_by_role("option", name="Ashwagandha Tablets (ashwagandha-tablets)")
    option.click()

    text = body.input_value()
    assert text.count(EMBED) == 1
    assert heading_end <= text.index(EMBED) <= heading_end + 1  # at the cursor
    assert "\n\n" + EMBED + "\n\n" in text  # a paragraph of its own
    assert text.replace("\n" + EMBED + "\n", "", 1) == original  # nothing else changed
    assert picker.input_value() == ""

    page.get_by_role("button", name="Save", exact=True).click()
    page.locator(".flash-success").first.wait_for()
    db.session.expire_all()
    assert EMBED in db.session.get(Article, article.id).body

    shop_page.reload()
    card = shop_page.locator(".article-body .product-card-name", has_text="Ashwagandha Tablets")
    assert card.count() == 1
    assert not [e for e in errors if "Content Security Policy" in e or "picker" in e], errors


def test_the_sale_form_adds_products_by_typing_and_still_takes_slugs(page, db, demo_shop):
    sign_in(page, demo_shop, "/staff/sales/new")
    page.get_by_label("Name", exact=True).fill("Picker sale")
    page.get_by_label("Value", exact=True).fill("5")
    products = page.locator("textarea#products")
    products.fill("joint-capsule")
    picker = page.get_by_label("Find a product to add")
    picker.press_sequentially("relief balm", delay=40)
    first = page.locator('#products-picker-list[data-for="relief balm"] li[role="option"]').first
    first.wait_for()
    slug = first.get_attribute("data-slug")
    picker.press("ArrowDown")
    picker.press("Enter")  # chooses; never submits the form
    assert products.input_value() == f"joint-capsule, {slug}"
    assert "/staff/sales/new" in page.url
    page.get_by_role("button", name="Save").first.click()
    page.locator(".flash-success").first.wait_for()
    assert slug in page.locator("textarea#products").input_value()
