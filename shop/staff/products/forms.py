"""The product edit form (with its variants table) and the image upload form."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import select
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
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
)
from wtforms.widgets import CheckboxInput, ListWidget

from shop.catalog.models import Category, Product, Variant
from shop.content.models import Condition
from shop.extensions import db
from shop.pricing.money import rupees_text
from shop.staff.fields import clean, slug_field, strip
from shop.staff.products.service import HSN_MESSAGE, HSN_RE, PRODUCT_FIELDS, VariantRow

GST_RATES = (0, 5, 12, 18, 28)
MAX_PER_ORDER = 999
MAX_VARIANTS = 50
MAX_TEXT = 20_000


class VariantRowForm(Form):
    """One row of the variants table; the product service checks it."""

    id = HiddenField()
    # The stock this row showed, sent back so a save never overwrites units sold since.
    stock_seen = HiddenField()
    sku = StringField("SKU", filters=[clean])
    label = StringField("Label", filters=[clean])
    mrp = StringField("MRP (₹)", filters=[strip])
    price = StringField("Price (₹)", filters=[strip])
    stock = StringField("Stock", filters=[strip])
    delete = BooleanField("Delete")

    def values(self) -> VariantRow:
        return VariantRow(
            **{name: self[name].data or "" for name in ("id", "sku", "label", "mrp", "price")},
            stock=self.stock.data or "",
            stock_seen=self.stock_seen.data or "",
            delete=bool(self.delete.data),
        )


def _text(label: str, **kwargs) -> TextAreaField:
    return TextAreaField(label, filters=[clean], validators=[Length(max=MAX_TEXT)], **kwargs)


class ProductForm(FlaskForm):
    slug = slug_field("The product's address: /products/<slug>.")
    name = StringField(
        "Name",
        filters=[clean],
        validators=[DataRequired("Enter the product's name."), Length(max=200)],
    )
    brand = StringField("Brand", filters=[clean], validators=[Length(max=120)])
    form = StringField(
        "Form", filters=[clean], validators=[Length(max=80)], description="Capsule, oil, gel pack…"
    )
    category_id = SelectField("Category", coerce=int)
    description = _text("Description")
    ingredients = _text("Ingredients")
    how_to_use = _text("How to use")
    warnings = _text("Warnings and contraindications")
    gst_rate = SelectField(
        "GST rate",
        coerce=int,
        default=12,
        choices=[SelectChoice(rate, f"{rate}%") for rate in GST_RATES],
        description="Prices include GST.",
    )
    hsn = StringField(
        "HSN code",
        filters=[strip],
        validators=[Optional(), Regexp(HSN_RE, message=HSN_MESSAGE)],
        description="4 to 8 digits, printed on tax invoices; empty: 3004 (medicaments).",
    )
    max_per_order = IntegerField(
        "Most per order",
        default=10,
        validators=[
            InputRequired("Enter how many one order may hold."),
            NumberRange(1, MAX_PER_ORDER, f"Allow from 1 to {MAX_PER_ORDER} per order."),
        ],
    )
    prescription_required = BooleanField(
        "Prescription required: checkout asks for the prescription; a pharmacist approves"
    )
    limit_quantity = IntegerField(
        "Limit per customer (units)",
        validators=[Optional(), NumberRange(1, 1000, "Allow from 1 to 1000 units.")],
        description="With the days below: at most this many per customer in that period. "
        "Empty: no limit.",
    )
    limit_days = IntegerField(
        "… in how many days",
        validators=[Optional(), NumberRange(1, 366, "Use a period of 1 to 366 days.")],
    )
    active = BooleanField("Active: shown and sold in the shop", default=True)
    condition_ids = SelectMultipleField(
        "Helps with",
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    variants = FieldList(FormField(VariantRowForm), min_entries=1, max_entries=MAX_VARIANTS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.variant_errors: list[str] = []
        self.category_id.choices = [
            SelectChoice(c.id, c.name)
            for c in db.session.scalars(select(Category).order_by(Category.name))
        ]
        self.condition_ids.choices = [
            SelectChoice(c.id, c.name)
            for c in db.session.scalars(select(Condition).order_by(Condition.name))
        ]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if (self.limit_quantity.data is None) != (self.limit_days.data is None):
            self.limit_days.errors = [
                *self.limit_days.errors,
                "Give both the units and the days of the limit, or neither.",
            ]
            return False
        return valid

    def values(self) -> dict[str, Any]:
        """The product's own fields as plain values, for the product service."""
        values = {name: self[name].data for name in PRODUCT_FIELDS if name != "hsn"}
        if self.hsn.data:  # left out or empty: the product keeps its code
            values["hsn"] = self.hsn.data
        return values | {
            "category_id": self.category_id.data,
            "condition_ids": list(self.condition_ids.data or []),
        }

    def rows(self) -> list[VariantRow]:
        return [entry.form.values() for entry in self.variants.entries]


class ImageForm(FlaskForm):
    image = FileField("Image (PNG, JPEG or WebP, up to 2 MB)")
    alt = StringField(
        "Alt text",
        filters=[clean],
        validators=[Length(max=255)],
        description="What the picture shows, for screen readers. Empty: the product's name.",
    )


def _row_data(variant: Variant) -> dict[str, Any]:
    return {
        "id": str(variant.id),
        "sku": variant.sku,
        "label": variant.label,
        "mrp": rupees_text(variant.mrp),
        "price": rupees_text(variant.price),
        "stock": str(variant.stock),
        "stock_seen": str(variant.stock),
    }


def product_form_for(product: Product) -> ProductForm:
    """The edit form filled from the database, with one empty row to add a variant."""
    data = {name: getattr(product, name) for name in PRODUCT_FIELDS}
    data |= {
        "category_id": product.category_id,
        "condition_ids": [c.id for c in product.conditions],
        "variants": [_row_data(v) for v in product.variants] + [{}],
    }
    return ProductForm(formdata=None, data=data)
