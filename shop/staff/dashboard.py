"""The back office's landing page: what needs attention today."""

from __future__ import annotations

from datetime import datetime, time

from flask import render_template
from sqlalchemy import func, select

from shop.catalog.models import Product, Variant
from shop.checkout.models import Order
from shop.checkout.states import REFUNDABLE
from shop.content.models import Article
from shop.extensions import db
from shop.localtime import from_shop_time, shop_today
from shop.staff.base import bp

LOW_STOCK = 5


@bp.get("/")
def dashboard():
    # "Today" starts at midnight on the shop's clock, not at midnight UTC.
    today = from_shop_time(datetime.combine(shop_today(), time.min))
    orders_today, revenue_today = db.session.execute(
        select(func.count(), func.coalesce(func.sum(Order.total - Order.amount_refunded), 0)).where(
            Order.created_at >= today,
            Order.state.in_(REFUNDABLE),  # paid, money not all refunded
        )
    ).one()
    review = db.session.scalars(
        select(Order).where(Order.needs_review.is_(True)).order_by(Order.created_at.desc())
    ).all()
    low_stock = db.session.execute(
        select(Product.id, Product.name, Product.slug, Variant.label, Variant.sku, Variant.stock)
        .join(Variant.product)
        .where(Variant.stock <= LOW_STOCK, Product.active.is_(True))
        .order_by(Variant.stock, Product.name)
        .limit(20)
    ).all()
    drafts = db.session.scalars(
        select(Article).where(Article.published.is_(False)).order_by(Article.updated_at.desc())
    ).all()
    return render_template(
        "staff/dashboard.html",
        orders_today=orders_today,
        revenue_today=revenue_today,
        review=review,
        low_stock=low_stock,
        drafts=drafts,
        low_stock_level=LOW_STOCK,
    )
