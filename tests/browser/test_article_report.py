"""In Chromium: a reader follows an article's product card and adds it to the cart (the
embed's position travels with it); staff open the article report and its chart."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from sqlalchemy import select

from shop.attribution.models import ArticleStatDay
from shop.attribution.reports import india_today
from shop.cart.models import CartLine
from shop.content.models import Article
from shop.demo import seed_demo
from tests.factories import DEFAULT_PASSWORD, make_user
from tests.integration.test_checkout import pay, place, session_id_of, variant

pytestmark = pytest.mark.browser

ARTICLE = "muscle-spasm-in-back"
# A desktop browser's User-Agent: headless Chromium calls itself HeadlessChrome, which the
# shop rightly takes for a robot and does not count.
DESKTOP = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Safari/537.36"
)


@pytest.fixture()
def history(app, db, sandbox):
    """Two weeks of counts for the demo article, and one order that came from embed 2."""
    seed_demo(db.session)
    make_user("reports@example.com", role="staff")
    article = db.session.scalar(select(Article).where(Article.slug == ARTICLE))
    today = india_today()
    for back in range(14):
        day = today - timedelta(days=13 - back)
        views = 40 + (back * 17) % 35
        db.session.add(ArticleStatDay(article_id=article.id, position=0, day=day, views=views))
        for pos in (1, 2, 3):
            clicks = (views * pos) // 9
            db.session.add(
                ArticleStatDay(
                    article_id=article.id, position=pos, day=day, clicks=clicks, adds=clicks // 3
                )
            )
    db.session.commit()
    shopper = app.test_client()
    slug = "joint-capsule"
    shopper.get(f"/products/{slug}?ref={ARTICLE}&pos=3")
    token = shopper.get("/cart").get_data(as_text=True).split('name="csrf-token" content="')[1]
    shopper.post(
        "/cart/add",
        data={
            "csrf_token": token.split('"')[0],
            "variant_id": variant(db, slug).id,
            "quantity": "2",
        },
    )
    pay(shopper, sandbox, session_id_of(place(shopper, email="reader@example.com")))
    return article


def test_a_reader_follows_a_card_and_staff_see_the_report(
    browser, page, db, live_server, history, tmp_path
):
    reader = browser.new_context(user_agent=DESKTOP)
    try:
        tab = reader.new_page()
        tab.goto(f"{live_server}/articles/{ARTICLE}")
        card = tab.locator(".product-card-embed").nth(1)
        card.locator("a.product-card-link").click()
        tab.wait_for_url(f"**/products/*?ref={ARTICLE}&pos=2")
        tab.get_by_role("button", name="Add to cart").first.click()
        tab.locator("[data-cart-count]").filter(has_text="1").wait_for()  # added in place
        db.session.expire_all()
        line = db.session.scalars(select(CartLine)).one()
        assert (line.ref, line.ref_pos) == (ARTICLE, 2)
    finally:
        reader.close()

    page.set_viewport_size({"width": 1280, "height": 1100})
    page.goto(live_server + "/account/login?next=/staff/reports/articles")
    page.get_by_label("E-mail").fill("reports@example.com")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/staff/reports/articles")
    row = page.locator(f'tr[data-article="{ARTICLE}"]')
    assert row.locator('[data-col="orders"]').inner_text() == "1"
    assert row.locator('[data-col="revenue"]').inner_text() == "₹1,438"
    page.locator('a[data-sort="views"]').click()
    page.wait_for_url("**sort=views**")

    row.get_by_role("link").click()
    page.wait_for_url("**/staff/reports/articles/*")
    chart = page.locator("[data-report-chart] svg")
    chart.wait_for()
    box = chart.bounding_box()
    assert box and box["width"] > 600 and box["height"] > 400
    # the background, then a bar per day for two weeks of views and of clicks, and the order
    assert chart.locator("rect").count() >= 1 + 14 + 14 + 2
    assert "Revenue — total ₹1,438" in chart.text_content()
    embed = page.locator('tr[data-pos="2"]')
    assert embed.locator('[data-col="clicks"]').inner_text() != "0"
    assert page.locator('tr[data-pos="3"] [data-col="orders"]').inner_text() == "1"
    # REPORT_SCREENSHOT=/some/file.png keeps the picture for a person to look at.
    shot = os.environ.get("REPORT_SCREENSHOT") or str(tmp_path / "article-report.png")
    page.screenshot(path=shot, full_page=True)
