"""A reader's path in a real Chromium: article → product card → product page."""

from __future__ import annotations

import pytest

from shop.demo import seed_demo

pytestmark = pytest.mark.browser


@pytest.fixture()
def demo_shop(db, live_server):
    seed_demo(db.session)
    db.session.commit()
    return live_server


def test_article_card_leads_to_product_page_with_prices(page, demo_shop):
    page.goto(demo_shop + "/articles/muscle-spasm-in-back")
    assert page.locator("h1").inner_text() == (
        "Muscle Spasm in Back: Symptoms, Causes and Treatment"
    )
    # the table of contents jumps to the sections
    toc = page.locator("nav.toc")
    for section in ("Symptoms", "Causes", "Treatment", "Takeaway"):
        assert toc.get_by_role("link", name=section).count() == 1
    assert page.locator("aside.callout-warning").first.is_visible()

    card = page.locator("article.product-card-embed").filter(has_text="Joint")
    capsule_card = card.filter(has=page.locator('a[href^="/products/joint-capsule?ref="]'))
    assert "₹719" in capsule_card.inner_text()
    assert "10% OFF" in capsule_card.inner_text()

    capsule_card.locator("a.product-card-link").click()
    page.wait_for_url("**/products/joint-capsule?ref=muscle-spasm-in-back&pos=3")
    info = page.locator(".product-info")
    text = info.inner_text()
    assert "₹719" in text and "₹799" in text and "10% OFF" in text
    # the MRP is drawn struck through
    decoration = page.locator(".price-mrp").first.evaluate(
        "el => getComputedStyle(el).textDecorationLine"
    )
    assert "line-through" in decoration
    assert page.locator('form[action="/cart/add"] input[name="variant_id"]').count() >= 1


def test_pages_have_no_console_errors_or_csp_violations(page, demo_shop):
    problems: list[str] = []
    page.on("console", lambda msg: msg.type == "error" and problems.append(msg.text))
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    for path in ("/", "/articles/muscle-spasm-in-back", "/products/", "/doctors/"):
        page.goto(demo_shop + path)
    assert problems == []
