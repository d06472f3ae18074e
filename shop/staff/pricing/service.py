"""Writing sales, coupons and the shipping rate from plain values (paise, ids, times)."""

from __future__ import annotations

from sqlalchemy import select

from shop.catalog.models import Category, Product
from shop.discounts.models import Coupon, Sale, ShippingRate
from shop.extensions import db
from shop.pricing.money import format_money
from shop.staff.audit import snapshot
from shop.staff.saving import Tracked


def describe(kind: str, value: int) -> str:
    return f"{value}% off" if kind == "percent" else f"{format_money(value)} off"


def is_running(item: Sale | Coupon, now) -> bool:
    return (
        item.active
        and (item.starts_at is None or item.starts_at <= now)
        and (item.ends_at is None or item.ends_at > now)
    )


def _targets_state(item: Sale | Coupon) -> dict:
    return {
        "products": sorted(p.slug for p in item.products),
        "categories": sorted(c.slug for c in item.categories),
    }


def sale_state(sale: Sale) -> dict:
    return snapshot(sale) | _targets_state(sale)


def coupon_state(coupon: Coupon) -> dict:
    return snapshot(coupon) | _targets_state(coupon)


def _apply_discount(item: Sale | Coupon, values: dict) -> None:
    # Targets are loaded before any change, so no autoflush writes half an edit early.
    products = list(
        db.session.scalars(select(Product).where(Product.id.in_(values["product_ids"])))
    )
    categories = list(
        db.session.scalars(select(Category).where(Category.id.in_(values["category_ids"])))
    )
    for name in ("kind", "value", "starts_at", "ends_at", "active"):
        setattr(item, name, values[name])
    # Keep the order the products were named in.
    order = {product_id: n for n, product_id in enumerate(values["product_ids"])}
    item.products = sorted(products, key=lambda p: order[p.id])
    item.categories = categories


def apply_sale(sale: Sale | None, values: dict) -> Tracked:
    """Write a checked sale (`values`: name plus the discount values)."""
    before = sale_state(sale) if sale is not None else None
    if sale is None:
        sale = Sale()
        db.session.add(sale)
    with db.session.no_autoflush:
        sale.name = values["name"]
        _apply_discount(sale, values)
    return Tracked(
        "sale", sale, before, sale_state, lambda s, _: f"{s.name}: {describe(s.kind, s.value)}"
    )


def coupon_problems(values: dict, coupon: Coupon | None) -> dict[str, str]:
    """What depends on other rows: field → message (the code taken, a limit below its uses)."""
    problems = {}
    taken = select(Coupon.id).where(Coupon.code == values["code"])
    if coupon is not None:
        taken = taken.where(Coupon.id != coupon.id)
    if db.session.scalar(taken) is not None:
        problems["code"] = "Another coupon already uses this code."
    if coupon is not None and values["usage_limit"] is not None:
        uses = db.session.scalar(select(Coupon.uses).where(Coupon.id == coupon.id)) or 0
        if values["usage_limit"] < uses:
            problems["usage_limit"] = (
                f"This coupon is already in use {uses} times (held or final), so the limit "
                f"cannot be lower than {uses}."
            )
    return problems


def apply_coupon(coupon: Coupon | None, values: dict) -> Tracked:
    """Write a checked coupon; a use taken meanwhile is caught by the database's check."""
    before = coupon_state(coupon) if coupon is not None else None
    if coupon is None:
        coupon = Coupon(uses=0)
        db.session.add(coupon)
    with db.session.no_autoflush:
        coupon.code = Coupon.normalise(values["code"])
        coupon.description = values["description"] or ""
        coupon.min_subtotal = values["min_subtotal"]
        for name in ("max_discount", "usage_limit", "per_customer_limit", "exclude_sale_items"):
            setattr(coupon, name, values[name])
        _apply_discount(coupon, values)
    return Tracked(
        "coupon",
        coupon,
        before,
        coupon_state,
        lambda c, _: f"{c.code}: {describe(c.kind, c.value)}",
    )


def shipping_rate() -> ShippingRate | None:
    return db.session.scalar(select(ShippingRate).order_by(ShippingRate.id).limit(1))


def _shipping_summary(rate: ShippingRate, _fields) -> str:
    free = "never free" if rate.free_from is None else "free from " + format_money(rate.free_from)
    return f"Shipping {format_money(rate.fee)}, {free}"


def apply_shipping(rate: ShippingRate | None, fee: int, free_from: int | None) -> Tracked:
    """Set the flat fee and the free-shipping threshold (paise; None: never free)."""
    before = snapshot(rate) if rate is not None else None
    if rate is None:
        rate = ShippingRate()
        db.session.add(rate)
    rate.fee, rate.free_from = fee, free_from
    return Tracked("shipping_rate", rate, before, snapshot, _shipping_summary)
