"""`flask --app shop seed-demo` builds the demo shop of SPEC §10, once."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from shop.catalog.models import Category, Product, Variant
from shop.content.models import Article, Doctor


def _counts(db) -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Category, Product, Variant, Article, Doctor)
    }


def test_seed_demo_is_idempotent(runner, db):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    counts = _counts(db)
    assert counts["Product"] >= 13 and counts["Category"] >= 3 and counts["Doctor"] == 4
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert "nothing changed" in second.output
    assert _counts(db) == counts


def test_demo_article_page_is_as_the_spec_describes(runner, client, db):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    response = client.get("/articles/muscle-spasm-in-back")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Muscle Spasm in Back: Symptoms, Causes and Treatment" in html
    for section in ("Symptoms", "Causes", "Treatment", "Takeaway"):
        assert f">{section}</a></li>" in html  # in the table of contents
    assert "See a doctor immediately if" in html
    assert "₹349" in html and "₹399" in html and "12% OFF" in html
    assert "₹719" in html and "₹799" in html and "10% OFF" in html
    read_more = html.split('id="read-more-h"')[1].split("</section>")[0]
    links = re.findall(r'href="(/articles/[^"]+)"', read_more)
    assert len(links) >= 4
    for link in links:
        assert client.get(link).status_code == 200
    doctors = html.split('id="doctors-h"')[1].split("</section>")[0]
    years = sorted(int(y) for y in re.findall(r"(\d+) years of experience", doctors))
    assert years == [3, 4, 10, 10]


def test_demo_has_a_limited_otc_product_with_a_doctor_warning(runner, db):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    limited = db.session.scalars(select(Product).where(Product.max_per_order == 2)).all()
    assert len(limited) == 1
    assert "doctor" in limited[0].warnings.lower()
