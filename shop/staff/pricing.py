"""Back office: sales, coupons (with their uses) and the shipping rate.

Staff type money in rupees as on a price tag ("49", "499.50"); forms hold it as paise.
Times are typed in UTC (the form says so), because the shop stores and compares UTC.
The pricing rules themselves live in `shop.pricing.engine`; these screens only edit the
rows that `shop.discounts.service` loads into it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC

from flask import flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from shop.catalog.models import Category, Product
from shop.checkout.models import Order
from shop.database import utcnow
from shop.discounts.models import Coupon, CouponRedemption, Sale, ShippingRate
from shop.extensions import db
from shop.listing import query_arg
from shop.pricing.money import format_money, parse_rupees, rupees_text
from shop.staff.audit import audit, snapshot
from shop.staff.base import bp, get_or_404, menu_item
from shop.staff.lists import staff_page

menu_item(30, "staff.sales", "Sales")
menu_item(32, "staff.coupons", "Coupons")
menu_item(34, "staff.shipping", "Shipping")

# Amount columns are 32-bit integers of paise; ten lakh rupees is far above any real
# discount or fee here and far below what the column can hold.
MAX_AMOUNT = 10_00_000 * 100
MAX_COUNT = 1_000_000_000
MAX_TARGET_PRODUCTS = 500
TIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
KIND_CHOICES = [
    SelectChoice("percent", "Percent off"),
    SelectChoice("fixed", "Fixed amount off (₹)"),
]
MULTI_HINT = "Hold Ctrl (⌘ on a Mac) to choose more than one."
STATE_ORDER = (CouponRedemption.HELD, CouponRedemption.FINAL, CouponRedemption.RELEASED)


def _clean(value):
    """Trim typed text and drop NUL characters (PostgreSQL cannot store them)."""
    return value.replace("\x00", "").strip() if isinstance(value, str) else value


class RupeesField(StringField):
    """An amount typed in rupees ("49", "499.50", "₹1,299"); `data` is paise or None."""

    def process_formdata(self, valuelist) -> None:
        if not valuelist:
            return
        text = _clean(valuelist[0]) or ""
        self.data = None
        if text:
            try:
                self.data = parse_rupees(text)
            except ValueError:
                raise ValueError(
                    "Enter an amount in rupees, such as 49 or 499.50 (at most two decimals)."
                ) from None

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return rupees_text(self.data) if isinstance(self.data, int) else ""

    def pre_validate(self, form) -> None:
        if isinstance(self.data, int) and self.data > MAX_AMOUNT:
            raise ValidationError(f"The amount can be at most {format_money(MAX_AMOUNT)}.")


def _time_field(label: str) -> DateTimeLocalField:
    return DateTimeLocalField(
        label,
        validators=[Optional()],
        format=TIME_FORMATS,
        tz=UTC,
        description="In UTC (India is UTC+5:30). Leave empty for no limit.",
    )


def _value_text(kind: str, value: int) -> str:
    """How a stored discount value is typed back into the form."""
    return str(value) if kind == "percent" else rupees_text(value)


def _split_slugs(text: str | None) -> list[str]:
    return list(dict.fromkeys(s for s in re.split(r"[\s,]+", text or "") if s))


class DiscountForm(FlaskForm):
    """What sales and coupons share: kind and value, a time window, targets, on/off."""

    kind = SelectField("Kind", choices=KIND_CHOICES)
    value = StringField(
        "Value",
        validators=[DataRequired("Enter the discount.")],
        filters=[_clean],
        description="Percent: a whole number from 1 to 100. Fixed: rupees, such as 50 or 49.50.",
    )
    starts_at = _time_field("Starts (UTC)")
    ends_at = _time_field("Ends (UTC)")
    products = TextAreaField(
        "Products",
        filters=[_clean],
        description="Product slugs, one per line or separated by commas.",
        render_kw={"rows": 4},
    )
    categories = SelectMultipleField(
        "Categories", coerce=int, description=MULTI_HINT, render_kw={"size": 6}
    )
    active = BooleanField("Active", default=True)

    # Filled by validation: the value in stored units and the products named.
    amount: int | None = None
    product_rows: Sequence[Product] = ()

    def validate_value(self, field) -> None:
        text = field.data or ""
        if self.kind.data == "percent":
            text = text.removesuffix("%").strip()  # "15%" reads as 15
            if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 100:
                raise ValidationError("A percent discount is a whole number from 1 to 100.")
            self.amount = int(text)
            return
        try:
            amount = parse_rupees(text)
        except ValueError:
            raise ValidationError("Enter the amount off in rupees, such as 50 or 49.50.") from None
        if amount <= 0:
            raise ValidationError("The amount off must be more than ₹0.")
        if amount > MAX_AMOUNT:
            raise ValidationError(f"The amount off can be at most {format_money(MAX_AMOUNT)}.")
        self.amount = amount

    def validate_ends_at(self, field) -> None:
        starts = self.starts_at.data
        if field.data and starts and field.data <= starts:
            raise ValidationError("The end must be after the start.")

    def validate_products(self, field) -> None:
        slugs = _split_slugs(field.data)
        if len(slugs) > MAX_TARGET_PRODUCTS:
            raise ValidationError(
                f"Name at most {MAX_TARGET_PRODUCTS} products; use categories for more."
            )
        rows = db.session.scalars(select(Product).where(Product.slug.in_(slugs))).all()
        by_slug = {p.slug: p for p in rows}
        unknown = [s for s in slugs if s not in by_slug]
        if unknown:
            raise ValidationError("No product has the slug: " + ", ".join(unknown) + ".")
        self.product_rows = [by_slug[s] for s in slugs]

    def chosen_categories(self) -> list[Category]:
        ids = self.categories.data or []
        return list(db.session.scalars(select(Category).where(Category.id.in_(ids))))


def _discount_data(item: Sale | Coupon) -> dict:
    return {
        "kind": item.kind,
        "value": _value_text(item.kind, item.value),
        "starts_at": item.starts_at,
        "ends_at": item.ends_at,
        "products": "\n".join(sorted(p.slug for p in item.products)),
        "categories": [c.id for c in item.categories],
        "active": item.active,
    }


def _with_category_choices(form: DiscountForm) -> DiscountForm:
    form.categories.choices = [
        SelectChoice(c.id, c.name)
        for c in db.session.scalars(select(Category).order_by(Category.position, Category.name))
    ]
    return form


def _apply_discount(item: Sale | Coupon, form: DiscountForm, categories: list[Category]) -> None:
    item.kind = form.kind.data
    item.value = form.amount
    item.starts_at = form.starts_at.data
    item.ends_at = form.ends_at.data
    item.active = form.active.data
    item.products = list(form.product_rows)
    item.categories = categories


def _targets_state(item: Sale | Coupon) -> dict:
    return {
        "products": sorted(p.slug for p in item.products),
        "categories": sorted(c.slug for c in item.categories),
    }


def _is_running(item: Sale | Coupon, now) -> bool:
    return (
        item.active
        and (item.starts_at is None or item.starts_at <= now)
        and (item.ends_at is None or item.ends_at > now)
    )


def _page(template: str, status: int = 200, **context):
    if status >= 400:
        db.session.rollback()
    return render_template(template, **context), status


def _describe(kind: str, value: int) -> str:
    return f"{value}% off" if kind == "percent" else f"{format_money(value)} off"


@bp.app_template_filter("discount_text")
def discount_text(item) -> str:
    """A sale's or coupon's discount in words: "15% off", "₹50 off"."""
    return _describe(item.kind, item.value)


# -------------------------------------------------------------------------------- sales


class SaleForm(DiscountForm):
    name = StringField(
        "Name",
        validators=[DataRequired("Enter a name for the sale."), Length(max=200)],
        filters=[_clean],
    )

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if (
            not self.categories.errors
            and not self.products.errors
            and not (self.categories.data or _split_slugs(self.products.data))
        ):
            self.form_errors.append("Choose at least one category or product for the sale.")
            self.products.errors.append("Name products here, or choose categories below.")
            return False
        return ok


def _sale_form(sale: Sale | None) -> SaleForm:
    data = None if sale is None else {"name": sale.name, **_discount_data(sale)}
    return _with_category_choices(SaleForm(data=data))


def _sale_state(sale: Sale) -> dict:
    return snapshot(sale) | _targets_state(sale)


@bp.get("/sales/")
def sales():
    stmt = (
        select(Sale)
        .options(selectinload(Sale.products), selectinload(Sale.categories))
        .order_by(Sale.created_at.desc(), Sale.id.desc())
    )
    page = staff_page(stmt, search_columns=(Sale.name,))
    now = utcnow()
    running = {sale.id for sale in page.items if _is_running(sale, now)}
    return render_template("staff/pricing/sales.html", page=page, q=query_arg("q"), running=running)


@bp.route("/sales/new", methods=["GET", "POST"])
def sale_new():
    return _edit_sale(None)


@bp.route("/sales/<int:sale_id>", methods=["GET", "POST"])
def sale_edit(sale_id: int):
    return _edit_sale(get_or_404(Sale, sale_id))


def _edit_sale(sale: Sale | None):
    form = _sale_form(sale)
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return _page("staff/pricing/sale_form.html", status, form=form, sale=sale)
    before = _sale_state(sale) if sale is not None else None
    categories = form.chosen_categories()  # loaded before any change: no early autoflush
    if sale is None:
        sale = Sale()
        db.session.add(sale)
    sale.name = form.name.data
    _apply_discount(sale, form, categories)
    db.session.flush()
    after = _sale_state(sale)
    if before == after:
        flash("Nothing changed.", "notice")
    else:
        audit(
            "create" if before is None else "update",
            "sale",
            sale.id,
            before=before,
            after=after,
            summary=f"{sale.name}: {_describe(sale.kind, sale.value)}",
        )
        db.session.commit()
        flash(f"Saved the sale “{sale.name}”.", "success")
    return redirect(url_for("staff.sale_edit", sale_id=sale.id), 303)


@bp.post("/sales/<int:sale_id>/delete")
def sale_delete(sale_id: int):
    sale = get_or_404(Sale, sale_id)
    before = _sale_state(sale)
    audit(
        "delete",
        "sale",
        sale.id,
        before=before,
        after=None,
        summary=f"Deleted the sale {sale.name}",
    )
    db.session.delete(sale)
    db.session.commit()
    flash(f"Deleted the sale “{before['name']}”.", "success")
    return redirect(url_for("staff.sales"), 303)


# ------------------------------------------------------------------------------ coupons


def _upper(value):
    return value.upper() if isinstance(value, str) else value


class CouponForm(DiscountForm):
    code = StringField(
        "Code",
        validators=[
            DataRequired("Enter a code."),
            Length(max=40),
            Regexp(
                r"^[A-Z0-9][A-Z0-9_-]*\Z",
                message="Use letters, digits, hyphens and underscores, such as WELCOME10.",
            ),
        ],
        filters=[_clean, _upper],
        description="Shoppers may type it in any case; it is stored in capitals.",
    )
    description = StringField("Description", validators=[Length(max=250)], filters=[_clean])
    min_subtotal = RupeesField(
        "Minimum subtotal",
        validators=[Optional()],
        description="In rupees, after sales and before the coupon. Empty for no minimum.",
    )
    max_discount = RupeesField(
        "Cap on the discount",
        validators=[Optional()],
        description="In rupees. Empty for no cap.",
    )
    usage_limit = IntegerField(
        "Total usage limit",
        validators=[Optional(), NumberRange(1, MAX_COUNT, "The usage limit must be at least 1.")],
        description="Held and final uses together. Empty for unlimited.",
    )
    per_customer_limit = IntegerField(
        "Uses per customer",
        validators=[
            Optional(),
            NumberRange(1, MAX_COUNT, "The limit per customer must be at least 1."),
        ],
        description="Per account, or per e-mail address for guests. Empty for unlimited.",
    )
    exclude_sale_items = BooleanField("Not on items already on sale")

    def validate_max_discount(self, field) -> None:
        if field.data is not None and field.data <= 0:
            raise ValidationError("A cap must be more than ₹0; leave it empty for no cap.")


def _coupon_form(coupon: Coupon | None) -> CouponForm:
    data = None
    if coupon is not None:
        data = {
            "code": coupon.code,
            "description": coupon.description,
            "min_subtotal": coupon.min_subtotal or None,
            "max_discount": coupon.max_discount,
            "usage_limit": coupon.usage_limit,
            "per_customer_limit": coupon.per_customer_limit,
            "exclude_sale_items": coupon.exclude_sale_items,
            **_discount_data(coupon),
        }
    return _with_category_choices(CouponForm(data=data))


def _coupon_state(coupon: Coupon) -> dict:
    return snapshot(coupon) | _targets_state(coupon)


def _coupon_problems(form: CouponForm, coupon: Coupon | None) -> bool:
    """Check what depends on other rows; attach messages and say whether any was found."""
    taken = select(Coupon.id).where(Coupon.code == form.code.data)
    if coupon is not None:
        taken = taken.where(Coupon.id != coupon.id)
    found = False
    if db.session.scalar(taken) is not None:
        form.code.errors.append("Another coupon already uses this code.")
        found = True
    if coupon is not None and form.usage_limit.data is not None:
        uses = db.session.scalar(select(Coupon.uses).where(Coupon.id == coupon.id)) or 0
        if form.usage_limit.data < uses:
            form.usage_limit.errors.append(
                f"This coupon is already in use {uses} times (held or final), so the limit "
                f"cannot be lower than {uses}."
            )
            found = True
    return found


@bp.get("/coupons/")
def coupons():
    stmt = select(Coupon).order_by(Coupon.created_at.desc(), Coupon.id.desc())
    page = staff_page(stmt, search_columns=(Coupon.code, Coupon.description))
    now = utcnow()
    running = {coupon.id for coupon in page.items if _is_running(coupon, now)}
    return render_template(
        "staff/pricing/coupons.html", page=page, q=query_arg("q"), running=running
    )


@bp.route("/coupons/new", methods=["GET", "POST"])
def coupon_new():
    return _edit_coupon(None)


@bp.route("/coupons/<int:coupon_id>/edit", methods=["GET", "POST"])
def coupon_edit(coupon_id: int):
    return _edit_coupon(get_or_404(Coupon, coupon_id))


def _edit_coupon(coupon: Coupon | None):
    form = _coupon_form(coupon)
    template = "staff/pricing/coupon_form.html"
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return _page(template, status, form=form, coupon=coupon)
    if _coupon_problems(form, coupon):
        return _page(template, 422, form=form, coupon=coupon)

    before = _coupon_state(coupon) if coupon is not None else None
    categories = form.chosen_categories()  # loaded before any change: no early autoflush
    if coupon is None:
        coupon = Coupon(uses=0)
        db.session.add(coupon)
    coupon.code = Coupon.normalise(form.code.data)
    coupon.description = form.description.data or ""
    coupon.min_subtotal = form.min_subtotal.data or 0
    coupon.max_discount = form.max_discount.data
    coupon.usage_limit = form.usage_limit.data
    coupon.per_customer_limit = form.per_customer_limit.data
    coupon.exclude_sale_items = form.exclude_sale_items.data
    _apply_discount(coupon, form, categories)
    try:
        db.session.flush()
    except IntegrityError:
        # A checkout took a use, or another editor took the code, since we checked.
        db.session.rollback()
        coupon = None if before is None else db.session.get(Coupon, before["id"])
        if not _coupon_problems(form, coupon):
            form.form_errors.append("The coupon changed while you were editing; try again.")
        return _page(template, 409, form=form, coupon=coupon)

    after = _coupon_state(coupon)
    if before == after:
        flash("Nothing changed.", "notice")
    else:
        audit(
            "create" if before is None else "update",
            "coupon",
            coupon.id,
            before=before,
            after=after,
            summary=f"{coupon.code}: {_describe(coupon.kind, coupon.value)}",
        )
        db.session.commit()
        flash(f"Saved the coupon {coupon.code}.", "success")
    return redirect(url_for("staff.coupon_detail", coupon_id=coupon.id), 303)


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
    order_ids = {r.order_id for r in page.items if r.order_id is not None}
    numbers = (
        dict(
            db.session.execute(select(Order.id, Order.number).where(Order.id.in_(order_ids))).all()
        )
        if order_ids
        else {}
    )
    return render_template(
        "staff/pricing/coupon.html",
        coupon=coupon,
        counts=counts,
        page=page,
        numbers=numbers,
        q=query_arg("q"),
        running=_is_running(coupon, utcnow()),
    )


# ----------------------------------------------------------------------------- shipping


def _amount_given(form, field) -> None:
    """Like InputRequired, but blanks (" ") count as missing: the fee column is NOT NULL."""
    if field.data is None and not field.process_errors:
        raise ValidationError("Enter the shipping fee (0 for free).")


class ShippingForm(FlaskForm):
    fee = RupeesField(
        "Flat shipping fee",
        validators=[InputRequired("Enter the shipping fee (0 for free)."), _amount_given],
        description="In rupees, charged once per order.",
    )
    free_from = RupeesField(
        "Free shipping from",
        validators=[Optional()],
        description="In rupees, on the subtotal after discounts. Empty: never free.",
    )


@bp.route("/shipping", methods=["GET", "POST"])
def shipping():
    rate = db.session.scalar(select(ShippingRate).order_by(ShippingRate.id).limit(1))
    data = None if rate is None else {"fee": rate.fee, "free_from": rate.free_from}
    form = ShippingForm(data=data)
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return _page("staff/pricing/shipping.html", status, form=form, rate=rate)
    before = snapshot(rate) if rate is not None else None
    if rate is None:
        rate = ShippingRate()
        db.session.add(rate)
    rate.fee = form.fee.data
    rate.free_from = form.free_from.data
    db.session.flush()
    after = snapshot(rate)
    if before == after:
        flash("Nothing changed.", "notice")
    else:
        free = (
            "never free" if rate.free_from is None else "free from " + format_money(rate.free_from)
        )
        audit(
            "create" if before is None else "update",
            "shipping_rate",
            rate.id,
            before=before,
            after=after,
            summary=f"Shipping {format_money(rate.fee)}, {free}",
        )
        db.session.commit()
        flash("Saved the shipping rate.", "success")
    return redirect(url_for("staff.shipping"), 303)
