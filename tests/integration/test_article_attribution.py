"""Article attribution (SPEC §13): counting, the 7-day last-article rule, the report.

One scripted scenario — two articles, three shoppers, clicks, adds, orders, a partial
and a full refund — checked through the report, its CSV and the per-article page, on
whichever database the suite runs on.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from shop.attribution import counter
from shop.attribution.models import ArticleStatDay
from shop.cache import clear_process_caches
from shop.cart.models import CartLine
from shop.checkout.models import Order, OrderLine
from shop.content.models import Article
from shop.database import utcnow
from shop.demo import seed_demo
from shop.payments.refunds import refund_order
from tests.conftest import csrf_token_for
from tests.factories import make_article, make_product, make_user
from tests.helpers import log_in
from tests.integration.test_checkout import pay, place, session_id_of, variant

ONE = "attr-one"  # embeds joint-pain-oil (1) and joint-capsule (2)
TWO = "attr-two"  # embeds joint-pain-oil (1) and joint-capsule (2)
BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
BODY = "## Help\n\nText.\n\n[[product:joint-pain-oil]]\n\nMore.\n\n[[product:joint-capsule]]\n"


@pytest.fixture()
def articles(db):
    seed_demo(db.session)
    make_article(ONE, title="Attribution one", body=BODY)
    make_article(TWO, title="Attribution two", body=BODY)
    db.session.commit()


@pytest.fixture()
def staff(app, db):
    make_user("report-staff@example.com", role="staff")
    db.session.commit()
    client = app.test_client()
    log_in(client, "report-staff@example.com")
    return client


def add(client, slug: str, quantity: int = 1, **form):
    data = {"csrf_token": csrf_token_for(client), "variant_id": variant_id(slug)}
    data |= {"quantity": str(quantity), **form}
    response = client.post("/cart/add", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)


def variant_id(slug: str) -> int:
    from shop.extensions import db

    return variant(db, slug).id


def buy(client, sandbox, email: str) -> Order:
    response = place(client, email=email)
    session_id = session_id_of(response)
    pay(client, sandbox, session_id)
    from shop.extensions import db

    db.session.expire_all()
    return db.session.scalar(select(Order).where(Order.stripe_session_id == session_id))


def report_rows(staff) -> dict[str, dict]:
    response = staff.get("/staff/reports/articles.csv")
    assert response.status_code == 200
    rows = csv.DictReader(io.StringIO(response.get_data(as_text=True)))
    return {row["article"]: row for row in rows}


def cell(html: str, slug: str, column: str) -> str:
    row = re.search(rf'<tr data-article="{slug}">(.*?)</tr>', html, re.S).group(1)
    return re.search(rf'<td data-col="{column}">([^<]*)</td>', row).group(1)


def test_the_scripted_scenario_adds_up(app, db, articles, sandbox, staff):
    a, b, c, robot = (app.test_client() for _ in range(4))

    # Shopper A: reads one, clicks its second card, adds from the product page (the
    # cookie carries one/2); reads two and adds its first card straight from the article.
    assert a.get(f"/articles/{ONE}").status_code == 200
    assert a.get(f"/products/joint-capsule?ref={ONE}&pos=2").status_code == 200
    add(a, "joint-capsule", 2)
    assert a.get(f"/articles/{TWO}").status_code == 200
    add(a, "joint-pain-oil", 1, ref=TWO, pos="1")
    order_a = buy(a, sandbox, "a@example.com")

    # Shopper B: clicks the oil in one, then in two: the last article wins.
    b.get(f"/articles/{ONE}")
    b.get(f"/products/joint-pain-oil?ref={ONE}&pos=1")
    b.get(f"/articles/{TWO}")
    b.get(f"/products/joint-pain-oil?ref={TWO}&pos=1")
    add(b, "joint-pain-oil", 2)
    order_b = buy(b, sandbox, "b@example.com")
    refund_order(order_b, 34900, actor="staff:t", reason="one bottle broken", request_id="b1")
    db.session.commit()

    # Shopper C: comes from one/2, buys, and gets everything back.
    c.get(f"/articles/{ONE}")
    c.get(f"/products/joint-capsule?ref={ONE}&pos=2")
    add(c, "joint-capsule", 1)
    order_c = buy(c, sandbox, "c@example.com")
    refund_order(order_c, order_c.total, actor="staff:t", reason="changed mind", request_id="c1")
    db.session.commit()

    # A robot reads and clicks too, and junk references go nowhere.
    headers = {"User-Agent": BOT}
    robot.get(f"/articles/{ONE}", headers=headers)
    robot.get(f"/products/joint-capsule?ref={ONE}&pos=2", headers=headers)
    c.get("/products/joint-capsule?ref=no-such-article&pos=1")

    # Nothing is written yet: counting on the reading path stays in this process.
    assert db.session.scalars(select(ArticleStatDay)).all() == []
    lines = {(x.order_id, x.product_slug): x for x in db.session.scalars(select(OrderLine))}
    assert lines[(order_a.id, "joint-capsule")].article_pos == 2
    assert lines[(order_a.id, "joint-pain-oil")].article_pos == 1
    assert lines[(order_b.id, "joint-pain-oil")].article_pos == 1

    rows = report_rows(staff)  # the report writes this process's counts first
    assert set(rows) == {ONE, TWO}
    first, second = rows[ONE], rows[TWO]
    assert (first["views"], first["clicks"], first["add_to_carts"]) == ("3", "3", "2")
    assert (first["orders"], first["units"], first["revenue"]) == ("1", "2", "1438")
    assert (second["views"], second["clicks"], second["add_to_carts"]) == ("2", "1", "2")
    assert (second["orders"], second["units"], second["revenue"]) == ("2", "3", "698")
    assert first["click_rate"] == "100.0" and second["conversion"] == "100.0"

    html = staff.get("/staff/reports/articles?sort=views&dir=desc").get_data(as_text=True)
    assert cell(html, ONE, "revenue") == "₹1,438" and cell(html, TWO, "revenue") == "₹698"
    assert html.index(f'data-article="{ONE}"') < html.index(f'data-article="{TWO}"')
    html = staff.get("/staff/reports/articles?sort=views&dir=asc").get_data(as_text=True)
    assert html.index(f'data-article="{TWO}"') < html.index(f'data-article="{ONE}"')

    article_id = db.session.scalar(select(Article.id).where(Article.slug == ONE))
    page = staff.get(f"/staff/reports/articles/{article_id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "<svg" in text and "<script>" not in text.split("<svg", 1)[1].split("</svg>")[0]
    embed = re.search(r'<tr data-pos="2">(.*?)</tr>', text, re.S).group(1)
    assert "joint-capsule" in embed
    assert '<td data-col="clicks">2</td>' in embed and '<td data-col="adds">2</td>' in embed
    assert '<td data-col="revenue">₹1,438</td>' in embed


def test_an_old_visit_is_not_attributed(app, db, articles, sandbox):
    shopper = app.test_client()
    stale = int((utcnow() - timedelta(days=8)).timestamp())
    shopper.set_cookie("shop_ref", f"{ONE}.1.{stale}")
    add(shopper, "joint-pain-oil")  # the cookie is past 7 days: no reference
    assert db.session.scalars(select(CartLine)).one().ref is None
    add(shopper, "joint-capsule", ref=ONE, pos="2")
    line = db.session.scalar(select(CartLine).where(CartLine.ref.is_not(None)))
    line.ref_at = utcnow() - timedelta(days=7, minutes=1)  # added 7 days ago
    db.session.commit()
    order = buy(shopper, sandbox, "late@example.com")
    assert all(line.article_id is None for line in order.lines)


def test_a_later_article_takes_over_the_cart_line(app, db, articles):
    shopper = app.test_client()
    add(shopper, "joint-capsule", ref=ONE, pos="2")
    add(shopper, "joint-capsule", ref=TWO, pos="2")
    add(shopper, "joint-capsule")  # no article: the line keeps the last one
    db.session.expire_all()
    line = db.session.scalars(select(CartLine)).one()
    assert (line.ref, line.ref_pos, line.quantity) == (TWO, 2, 3)


# --- robots, junk and the hot path ---------------------------------------------------------


@pytest.mark.parametrize(
    "agent",
    [
        BOT,
        "Mozilla/5.0 (compatible; bingbot/2.0)",
        "AhrefsBot/7.0",
        "facebookexternalhit/1.1",
        "Mozilla/5.0 (Linux) AppleWebKit (KHTML, like Gecko) HeadlessChrome/120",
        "Screaming Frog SEO Spider/19",
        "python-requests/2.31",
    ],
)
def test_robots_that_say_so_are_not_counted(app, db, articles, agent):
    robot = app.test_client()
    headers = {"User-Agent": agent}
    assert robot.get(f"/articles/{ONE}", headers=headers).status_code == 200
    response = robot.get(f"/products/joint-capsule?ref={ONE}&pos=2", headers=headers)
    assert response.status_code == 200 and "shop_ref" not in response.headers.get("Set-Cookie", "")
    assert counter.flush() == 0
    assert db.session.scalars(select(ArticleStatDay)).all() == []


@pytest.mark.parametrize(
    "query",
    [
        "ref=<script>&pos=1",
        "ref=attr-one&pos=abc",
        "ref=attr-one&pos=0",
        "ref=attr-one&pos=100",
        "ref=attr-one&pos=%EF%BC%91",  # a full-width digit one
        "ref=attr-one&pos=1e3",
        "ref=ATTR-ONE&pos=1",
        "ref=" + "a" * 200 + "&pos=1",
        "ref=attr-one",
        "pos=1",
        "ref=attr-one&ref=attr-two&pos=1&pos=2&pos=3",
    ],
)
def test_junk_references_in_product_urls_are_ignored(client, db, articles, query):
    response = client.get(f"/products/joint-capsule?{query}")
    assert response.status_code == 200
    if "ref=attr-one&ref" not in query:
        assert "shop_ref" not in response.headers.get("Set-Cookie", "")
    counter.flush()
    rows = db.session.scalars(select(ArticleStatDay)).all()
    assert all(row.article_id is not None and 1 <= row.position <= 99 for row in rows)
    assert len(rows) <= 1


def test_an_unknown_article_in_a_reference_is_dropped_at_flush(client, db, articles):
    assert client.get("/products/joint-capsule?ref=no-such-article&pos=1").status_code == 200
    assert counter.flush() == 0
    assert db.session.scalars(select(ArticleStatDay)).all() == []


def test_reading_an_article_writes_nothing_until_the_flush(client, db, articles, count_queries):
    client.get(f"/articles/{ONE}")  # rendered into the page cache
    with count_queries() as counter_:
        for _ in range(5):
            assert client.get(f"/articles/{ONE}").status_code == 200
            assert client.get(f"/products/joint-capsule?ref={ONE}&pos=1").status_code == 200
    writes = [s for s in counter_.statements if re.match(r"\s*(INSERT|UPDATE|DELETE)", s, re.I)]
    assert writes == []
    counter.flush()
    rows = {(r.position): r for r in db.session.scalars(select(ArticleStatDay))}
    assert rows[0].views == 6 and rows[1].clicks == 5


def test_the_article_page_links_each_card_with_its_position(client, db, articles):
    html = client.get(f"/articles/{ONE}").get_data(as_text=True)
    assert f'href="/products/joint-pain-oil?ref={ONE}&amp;pos=1"' in html
    assert f'href="/products/joint-capsule?ref={ONE}&amp;pos=2"' in html
    assert re.search(rf'name="ref" value="{ONE}"><input type="hidden" name="pos" value="2"', html)


def test_one_cached_product_page_serves_every_reference(client, db, articles, count_queries):
    client.get("/products/joint-capsule")
    with count_queries() as counter_:
        client.get(f"/products/joint-capsule?ref={ONE}&pos=2")
        client.get(f"/products/joint-capsule?ref={TWO}&pos=1")
    assert all("products" not in s for s in counter_.statements)


# --- the report: staff only, bad input, CSV ----------------------------------------------


def test_the_report_is_for_staff_only(app, db, articles):
    make_user("reader@example.com", role="customer")
    db.session.commit()
    anonymous = app.test_client()
    assert anonymous.get("/staff/reports/articles").status_code in (302, 303)
    customer = app.test_client()
    log_in(customer, "reader@example.com")
    assert customer.get("/staff/reports/articles").status_code == 403
    assert customer.get("/staff/reports/articles.csv").status_code == 403


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("from=2026-11-30&to=2026-11-01", "after it ends"),
        ("from=2026-13-01&to=2026-12-31", "not a real date"),
        ("from=2026-02-30&to=2026-03-01", "not a real date"),
        ("from=01-11-2026&to=2026-11-30", "YYYY-MM-DD"),
        ("from=2026-11-01&to=yesterday", "YYYY-MM-DD"),
        ("from=%EF%BC%92026-11-01&to=2026-11-30", "YYYY-MM-DD"),
        ("from=2024-01-01&to=2026-01-02", "two years"),
        ("from=0001-01-01&to=9999-12-31", "two years"),
    ],
)
@pytest.mark.parametrize("path", ["/staff/reports/articles", "/staff/reports/articles.csv"])
def test_bad_report_dates_are_422_with_the_reason(db, articles, staff, path, query, reason):
    response = staff.get(f"{path}?{query}")
    assert response.status_code == 422
    assert reason in response.get_data(as_text=True)


def test_two_years_exactly_and_junk_sorting_are_fine(db, articles, staff):
    assert staff.get("/staff/reports/articles?from=2024-11-29&to=2026-11-28").status_code == 200
    response = staff.get("/staff/reports/articles?sort=<script>&dir=sideways")
    assert response.status_code == 200 and "<script>" not in response.get_data(as_text=True)
    assert staff.get("/staff/reports/articles/999999999999").status_code == 404


def test_the_csv_names_its_columns_and_range(client, db, articles, staff):
    client.get(f"/articles/{ONE}")
    response = staff.get("/staff/reports/articles.csv?from=2026-01-01&to=2026-12-31")
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "articles-2026-01-01-to-2026-12-31.csv" in response.headers["Content-Disposition"]
    header = response.get_data(as_text=True).splitlines()[0]
    assert header == (
        "article,title,views,clicks,add_to_carts,orders,units,revenue,"
        "click_rate,add_rate,conversion"
    )


# --- "Read about it" on product pages ----------------------------------------------------


def test_product_pages_list_the_articles_that_embed_them(client, db, articles, count_queries):
    html = client.get("/products/joint-capsule").get_data(as_text=True)
    section = html.split("data-read-about-it", 1)[1].split("</section>", 1)[0]
    assert f'href="/articles/{ONE}"' in section and f'href="/articles/{TWO}"' in section
    assert 'href="/articles/muscle-spasm-in-back"' in section
    assert 'href="/articles/muscle-cramps"' not in section

    # An article unpublished by staff leaves the list at once (the content version).
    db.session.scalar(select(Article).where(Article.slug == TWO)).published = False
    db.session.commit()
    html = client.get("/products/joint-capsule").get_data(as_text=True)
    assert f'href="/articles/{TWO}"' not in html

    # A product no article embeds has no section, for the same number of queries.
    make_product("lonely-remedy")
    db.session.commit()
    counts = []
    for slug in ("joint-capsule", "lonely-remedy", "hot-cold-gel-pack"):
        clear_process_caches(client.application)
        with count_queries() as counted:
            assert client.get(f"/products/{slug}").status_code == 200
        counts.append(counted.count)
    assert "data-read-about-it" not in client.get("/products/lonely-remedy").get_data(as_text=True)
    assert len(set(counts)) == 1


def test_an_embed_with_wildcards_in_the_slug_matches_nothing_else(client, db, articles):
    from shop.content.queries import articles_embedding

    assert articles_embedding("joint%") == [] and articles_embedding("joint_capsule") == []


# --- several processes flushing at once ------------------------------------------------


def test_flushes_of_many_processes_at_once_add_up(app, db, articles):
    """Eight processes' buffers (one `Counts` each) written at the same moment lose nothing."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    stores = [counter.Counts(app) for _ in range(8)]
    with app.test_request_context():
        for i, store in enumerate(stores):
            for _ in range(10 + i):
                store.add("views", ONE, 0)
            for pos in (2, 1) if i % 2 else (1, 2):  # rows met in different orders
                store.add("clicks", ONE, pos)
                store.add("clicks", TWO, pos)
            store.add("adds", "no-such-article", 1)
    start = threading.Barrier(len(stores))

    def write(store):
        with app.app_context():
            start.wait()
            return counter.flush(store)

    with ThreadPoolExecutor(max_workers=len(stores)) as pool:
        assert list(pool.map(write, stores)) == [5] * len(stores)
    db.session.expire_all()
    rows = db.session.execute(
        select(Article.slug, ArticleStatDay.position, ArticleStatDay.views, ArticleStatDay.clicks)
        .join(Article, Article.id == ArticleStatDay.article_id)
        .order_by(Article.slug, ArticleStatDay.position)
    ).all()
    views = sum(10 + i for i in range(8))
    assert [tuple(r) for r in rows] == [
        (ONE, 0, views, 0),
        (ONE, 1, 0, 8),
        (ONE, 2, 0, 8),
        (TWO, 1, 0, 8),
        (TWO, 2, 0, 8),
    ]
