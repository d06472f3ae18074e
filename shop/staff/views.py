"""The back office. A blueprint-wide guard protects every route registered here."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import func, select

from shop.accounts.guards import require_role
from shop.catalog.models import Product, Variant
from shop.content.models import Article
from shop.extensions import db

bp = Blueprint("staff", __name__, url_prefix="/staff")

LOW_STOCK = 5

# The back office's menu: (endpoint, label), in the order shown.
MENU: list[tuple[str, str]] = []


@bp.before_request
def staff_only():
    require_role(lambda user: user.is_staff)


@bp.context_processor
def menu():
    return {"staff_menu": lambda: MENU}


@bp.get("/")
def dashboard():
    low_stock = db.session.execute(
        select(Product.name, Product.slug, Variant.label, Variant.sku, Variant.stock)
        .join(Variant.product)
        .where(Variant.stock <= LOW_STOCK, Product.active.is_(True))
        .order_by(Variant.stock, Product.name)
        .limit(20)
    ).all()
    drafts = db.session.scalars(
        select(Article).where(Article.published.is_(False)).order_by(Article.updated_at.desc())
    ).all()
    counts = {
        "products": db.session.scalar(select(func.count()).select_from(Product)),
        "articles": db.session.scalar(select(func.count()).select_from(Article)),
    }
    return render_template("staff/dashboard.html", low_stock=low_stock, drafts=drafts,
                           counts=counts, low_stock_level=LOW_STOCK)
