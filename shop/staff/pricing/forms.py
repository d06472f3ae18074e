"""The sale, coupon and shipping forms: amounts typed in rupees, times on the shop's clock."""

from __future__ import annotations

import re
from collections.abc import Sequence

from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    BooleanField,
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
from shop.discounts.models import Coupon, Sale
from shop.extensions import db
from shop.pricing.money import format_money, parse_rupees, rupees_text
from shop.staff.fields import MAX_AMOUNT, MULTI_HINT, RupeesField, ShopTimeField, clean, strip

MAX_COUNT = 1_000_000_000
MAX_TARGET_PRODUCTS = 500
KIND_CHOICES = [
    SelectChoice("percent", "Percent off"),
    SelectChoice("fixed", "Fixed amount off (₹)"),
]
COUPON_FIELDS = (
    "description",
    "max_discount",
    "usage_limit",
    "per_customer_limit",
    "exclude_sale_items",
)


def _time_field(label: str) -> ShopTimeField:
    return ShopTimeField(
        label,
        validators=[Optional()],
        description="On the shop's clock (the zone is named above). Empty for no limit.",
    )


def split_slugs(text: str | None) -> list[str]:
    return list(dict.fromkeys(s for s in re.split(r"[\s,]+", text or "") if s))


class DiscountForm(FlaskForm):
    """What sales and coupons share: kind and value, a time window, targets, on/off."""

    kind = SelectField("Kind", choices=KIND_CHOICES)
    value = StringField(
        "Value",
        validators=[DataRequired("Enter the discount.")],
        filters=[strip],
        description="Percent: a whole number from 1 to 100. Fixed: rupees, such as 50 or 49.50.",
    )
    starts_at = _time_field("Starts")
    ends_at = _time_field("Ends")
    products = TextAreaField(
        "Products",
        filters=[clean],
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
        slugs = split_slugs(field.data)
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

    def discount_values(self) -> dict:
        """The shared values, plain: kind, amount, window, on/off, target ids."""
        return {
            "kind": self.kind.data,
            "value": self.amount,
            "starts_at": self.starts_at.data,
            "ends_at": self.ends_at.data,
            "active": self.active.data,
            "product_ids": [p.id for p in self.product_rows],
            "category_ids": list(self.categories.data or []),
        }


def _discount_data(item: Sale | Coupon) -> dict:
    value = str(item.value) if item.kind == "percent" else rupees_text(item.value)
    return {
        "kind": item.kind,
        "value": value,
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


class SaleForm(DiscountForm):
    name = StringField(
        "Name",
        validators=[DataRequired("Enter a name for the sale."), Length(max=200)],
        filters=[clean],
    )

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if (
            not self.categories.errors
            and not self.products.errors
            and not (self.categories.data or split_slugs(self.products.data))
        ):
            self.form_errors.append("Choose at least one category or product for the sale.")
            self.products.errors.append("Name products here, or choose categories below.")
            return False
        return ok


def sale_form(sale: Sale | None) -> SaleForm:
    data = None if sale is None else {"name": sale.name, **_discount_data(sale)}
    return _with_category_choices(SaleForm(data=data))


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
        filters=[clean, _upper],
        description="Shoppers may type it in any case; it is stored in capitals.",
    )
    description = StringField("Description", validators=[Length(max=250)], filters=[clean])
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

    def values(self) -> dict:
        """Plain values for the pricing service."""
        return self.discount_values() | {
            "code": self.code.data,
            "min_subtotal": self.min_subtotal.data or 0,
            **{name: self[name].data for name in COUPON_FIELDS},
        }


def coupon_form(coupon: Coupon | None) -> CouponForm:
    data = None
    if coupon is not None:
        data = {name: getattr(coupon, name) for name in COUPON_FIELDS} | {
            "code": coupon.code,
            "min_subtotal": coupon.min_subtotal or None,
            **_discount_data(coupon),
        }
    return _with_category_choices(CouponForm(data=data))


class ShippingForm(FlaskForm):
    fee = RupeesField(
        "Flat shipping fee",
        validators=[InputRequired("Enter the shipping fee (0 for free).")],
        required_message="Enter the shipping fee (0 for free).",
        description="In rupees, charged once per order.",
    )
    free_from = RupeesField(
        "Free shipping from",
        validators=[Optional()],
        description="In rupees, on the subtotal after discounts. Empty: never free.",
    )
