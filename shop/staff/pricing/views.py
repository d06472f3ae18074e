"""Back office screens for sales, coupons (with their uses) and the shipping rate."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from shop.checkout.models import Order
from shop.database import utcnow
from shop.discounts.models import Coupon, CouponRedemption, Sale
from shop.extensions import db
from shop.listing import query_arg
from shop.staff.audit import audit
from shop.staff.base import bp, get_or_404, menu_item
from shop.staff.lists import staff_page
from shop.staff.pricing import service
from shop.staff.pricing.forms import ShippingForm, coupon_form, sale_form
from shop.staff.saving import save_audited

menu_item(30, "staff.sales", "Sales")
menu_item(32, "staff.coupons", "Coupons")
menu_item(34, "staff.shipping", "Shipping")

STATE_ORDER = (CouponRedemption.HELD, CouponRedemption.FINAL, CouponRedemption.RELEASED)


def _page(template: str, status: int = 200, **context):
    if status >= 400:
        db.session.rollback()
    return render_template(template, **context), status


def _not_written(template: str, **context):
    """A form that failed validation: 422 on POST, the plain form on GET."""
    return _page(template, 422 if request.method == "POST" else 200, **context)


@bp.app_template_filter("discount_text")
def discount_text(item) -> str:
    """A sale's or coupon's discount in words: "15% off", "₹50 off"."""
    return service.describe(item.kind, item.value)


# -------------------------------------------------------------------------------- sales


@bp.get("/sales/")
def sales():
    stmt = (
        select(Sale)
        .options(selectinload(Sale.products), selectinload(Sale.categories))
        .order_by(Sale.created_at.desc(), Sale.id.desc())
    )
    page = staff_page(stmt, search_columns=(Sale.name,))
    now = utcnow()
    running = {sale.id for sale in page.items if service.is_running(sale, now)}
    return render_template("staff/pricing/sales.html", page=page, q=query_arg("q"), running=running)


@bp.route("/sales/new", methods=["GET", "POST"])
def sale_new():
    return _edit_sale(None)


@bp.route("/sales/<int:sale_id>", methods=["GET", "POST"])
def sale_edit(sale_id: int):
    return _edit_sale(get_or_404(Sale, sale_id))


def _edit_sale(sale: Sale | None):
    form = sale_form(sale)
    template = "staff/pricing/sale_form.html"
    if not form.validate_on_submit():
        return _not_written(template, form=form, sale=sale)
    tracked = service.apply_sale(sale, form.discount_values() | {"name": form.name.data})
    refused = save_audited(
        tracked,
        saved=f"Saved the sale “{form.name.data}”.",
        conflict=lambda: _page(template, 409, form=form, sale=sale),
    )
    return refused or redirect(url_for("staff.sale_edit", sale_id=tracked.obj.id), 303)


@bp.post("/sales/<int:sale_id>/delete")
def sale_delete(sale_id: int):
    sale = get_or_404(Sale, sale_id)
    before = service.sale_state(sale)
    audit("delete", "sale", sale.id, before=before, summary=f"Deleted the sale {sale.name}")
    db.session.delete(sale)
    db.session.commit()
    flash(f"Deleted the sale “{before['name']}”.", "success")
    return redirect(url_for("staff.sales"), 303)


# ------------------------------------------------------------------------------ coupons


@bp.get("/coupons/")
def coupons():
    stmt = select(Coupon).order_by(Coupon.created_at.desc(), Coupon.id.desc())
    page = staff_page(stmt, search_columns=(Coupon.code, Coupon.description))
    now = utcnow()
    running = {coupon.id for coupon in page.items if service.is_running(coupon, now)}
    return render_template(
        "staff/pricing/coupons.html", page=page, q=query_arg("q"), running=running
    )


@bp.route("/coupons/new", methods=["GET", "POST"])
def coupon_new():
    return _edit_coupon(None)


@bp.route("/coupons/<int:coupon_id>/edit", methods=["GET", "POST"])
def coupon_edit(coupon_id: int):
    return _edit_coupon(get_or_404(Coupon, coupon_id))


def _show_problems(form, problems: dict[str, str]) -> bool:
    for name, message in problems.items():
        form[name].errors.append(message)
    return bool(problems)


def _edit_coupon(coupon: Coupon | None):
    form = coupon_form(coupon)
    template = "staff/pricing/coupon_form.html"
    if not form.validate_on_submit():
        return _not_written(template, form=form, coupon=coupon)
    values = form.values()
    if _show_problems(form, service.coupon_problems(values, coupon)):
        return _page(template, 422, form=form, coupon=coupon)
    tracked = service.apply_coupon(coupon, values)

    def conflict():
        # A checkout took a use, or another editor took the code, since we checked.
        current = None if coupon is None else db.session.get(Coupon, coupon.id)
        if not _show_problems(form, service.coupon_problems(values, current)):
            form.form_errors.append("The coupon changed while you were editing; try again.")
        return _page(template, 409, form=form, coupon=current)

    refused = save_audited(
        tracked, saved=f"Saved the coupon {tracked.obj.code}.", conflict=conflict
    )
    return refused or redirect(url_for("staff.coupon_detail", coupon_id=tracked.obj.id), 303)


def _order_numbers(redemptions) -> dict[int, str]:
    order_ids = {r.order_id for r in redemptions if r.order_id is not None}
    if not order_ids:
        return {}
    rows = db.session.execute(select(Order.id, Order.number).where(Order.id.in_(order_ids)))
    return dict(rows.all())


@bp.get("/coupons/<int:coupon_id>")
def coupon_detail(coupon_id: int):
    """The coupon's settings and its uses: counts by state and each redemption."""
    coupon = get_or_404(Coupon, coupon_id)
    counts = dict.fromkeys(STATE_ORDER, 0)
    counts.update(
        db.session.execute(
            select(CouponRedemption.state, func.count())
            .where(CouponRedemption.coupon_id == coupon.id)
            .group_by(CouponRedemption.state)
        ).all()
    )
    stmt = (
        select(CouponRedemption)
        .where(CouponRedemption.coupon_id == coupon.id)
        .order_by(CouponRedemption.created_at.desc(), CouponRedemption.id.desc())
    )
    page = staff_page(stmt, search_columns=(CouponRedemption.customer_key,))
    return render_template(
        "staff/pricing/coupon.html",
        coupon=coupon,
        counts=counts,
        page=page,
        numbers=_order_numbers(page.items),
        q=query_arg("q"),
        running=service.is_running(coupon, utcnow()),
    )


# ----------------------------------------------------------------------------- shipping


@bp.route("/shipping", methods=["GET", "POST"])
def shipping():
    rate = service.shipping_rate()
    data = None if rate is None else {"fee": rate.fee, "free_from": rate.free_from}
    form = ShippingForm(data=data)
    template = "staff/pricing/shipping.html"
    if not form.validate_on_submit():
        return _not_written(template, form=form, rate=rate)
    tracked = service.apply_shipping(rate, form.fee.data, form.free_from.data)
    refused = save_audited(
        tracked,
        saved="Saved the shipping rate.",
        conflict=lambda: _page(template, 409, form=form, rate=service.shipping_rate()),
    )
    return refused or redirect(url_for("staff.shipping"), 303)
