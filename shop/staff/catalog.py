"""Back office: products with their variants and images, categories and conditions.

Each write view checks every domain rule first and, when something is wrong, shows the
form again with the message next to the field (422) without writing anything. A valid
request applies its changes, records an audit entry for each object it changed, and
commits once at the end.
"""

from __future__ import annotations

import io
import re
import secrets
import struct
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from PIL import Image
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import joinedload, selectinload
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
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from shop.catalog.models import Category, Product, ProductImage, Variant, product_conditions
from shop.catalog.views import uploads_folder
from shop.content.models import Article, Condition, doctor_conditions
from shop.discounts.models import (
    coupon_categories,
    coupon_products,
    sale_categories,
    sale_products,
)
from shop.extensions import db
from shop.listing import choice_arg
from shop.pricing.money import format_money, parse_rupees, rupees_text
from shop.staff.audit import audit, snapshot
from shop.staff.base import bp, get_or_404, menu_item
from shop.staff.lists import staff_page

menu_item(10, "staff.product_list", "Products")
menu_item(12, "staff.category_list", "Categories")
menu_item(14, "staff.condition_list", "Conditions")

SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
SLUG_MESSAGE = "Use lower-case letters and digits, words joined by single hyphens: joint-oil."
SKU_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
STOCK_RE = re.compile(r"^-?[0-9]{1,12}$")
GST_RATES = (0, 5, 12, 18, 28)
MAX_MONEY = 100_000_000_00  # ₹1 crore in paise: far above any remedy, far below INTEGER's limit
MAX_STOCK = 1_000_000
MAX_PER_ORDER = 999
MAX_VARIANTS = 50
MAX_TEXT = 20_000

MAX_IMAGE_BYTES = 2 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000
IMAGE_EXTENSIONS = {"PNG": ".png", "JPEG": ".jpg", "WEBP": ".webp"}
# Pillow reports a damaged or hostile file through many exception types; each means the
# upload is not an image we can use.
_BAD_IMAGE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    TypeError,
    struct.error,
    Image.DecompressionBombError,
    Image.DecompressionBombWarning,
)


# --- helpers shared by every screen here (and the CSV import) ----------------------------


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def add_error(target, message: str) -> None:
    """Add a message to a field (or a form's form-level errors) after validation."""
    if isinstance(target, FlaskForm | Form):
        target.form_errors.append(message)
    else:
        target.errors = [*target.errors, message]


def _slug_taken(column, slug: str, own_id: int | None) -> bool:
    stmt = select(column.class_.id).where(column == slug)
    if own_id is not None:
        stmt = stmt.where(column.class_.id != own_id)
    return db.session.scalar(stmt.limit(1)) is not None


def _invalid(template: str, status: int = 422, **context):
    db.session.rollback()
    return render_template(template, **context), status


def read_variant_values(mrp: str, price: str, stock: str) -> tuple[dict[str, int], dict[str, str]]:
    """Read MRP and price (rupees, as on a tag) and stock, and check the Variant rules.

    Returns the values that could be read, in paise and units, and field → message for
    every problem, using the model's own messages for price ≤ MRP, MRP > 0, stock ≥ 0.
    """
    values: dict[str, int] = {}
    errors: dict[str, str] = {}
    for name, label, text in (("mrp", "MRP", mrp), ("price", "Price", price)):
        text = (text or "").strip()
        if not text:
            errors[name] = f"Enter the {label} in rupees, like 799 or 349.50."
            continue
        try:
            amount = parse_rupees(text)
        except ValueError:
            errors[name] = f"{label} must be an amount in rupees, like 799 or 349.50."
            continue
        if amount > MAX_MONEY:
            errors[name] = f"{label} can be at most {format_money(MAX_MONEY)}."
            continue
        values[name] = amount
    text = (stock or "").strip()
    if not STOCK_RE.match(text):
        errors["stock"] = "Stock must be a whole number, like 25."
    elif int(text) > MAX_STOCK:
        errors["stock"] = f"Stock can be at most {MAX_STOCK:,}."
    else:
        values["stock"] = int(text)
    rules = Variant(
        mrp=values.get("mrp"), price=values.get("price"), stock=values.get("stock")
    ).validate()
    for name, message in rules.items():
        errors.setdefault(name, message)
    return values, errors


def sku_problem(sku: str) -> str | None:
    if not sku:
        return "Enter a SKU."
    if len(sku) > 64:
        return "A SKU can be at most 64 characters long."
    if not SKU_RE.match(sku):
        return "Use letters, digits, '.', '_', '/' or '-' (starting with a letter or digit)."
    return None


def product_state(product: Product) -> dict[str, Any]:
    """The product's columns and conditions, for the audit log."""
    return snapshot(product) | {"conditions": sorted(c.slug for c in product.conditions)}


def _changed(before: dict, after: dict, ignore=("updated_at",)) -> list[str]:
    return sorted(
        k for k in before.keys() | after.keys() if k not in ignore and before.get(k) != after.get(k)
    )


def _slug_field(description: str) -> StringField:
    return StringField(
        "Slug",
        filters=[_strip],
        description=description,
        validators=[
            DataRequired("Enter a slug."),
            Length(max=120),
            Regexp(SLUG_PATTERN, message=SLUG_MESSAGE),
        ],
    )


# --- products ---------------------------------------------------------------------------


class VariantRowForm(Form):
    """One row of the variants table; the view checks it against the domain rules."""

    id = HiddenField()
    sku = StringField("SKU", filters=[_strip])
    label = StringField("Label", filters=[_strip])
    mrp = StringField("MRP (₹)", filters=[_strip])
    price = StringField("Price (₹)", filters=[_strip])
    stock = StringField("Stock", filters=[_strip])
    delete = BooleanField("Delete")

    def is_blank(self) -> bool:
        return not (
            self.id.data
            or self.sku.data
            or self.label.data
            or self.mrp.data
            or self.price.data
            or self.stock.data
        )


class ProductForm(FlaskForm):
    slug = _slug_field("The product's address: /products/<slug>.")
    name = StringField(
        "Name",
        filters=[_strip],
        validators=[DataRequired("Enter the product's name."), Length(max=200)],
    )
    brand = StringField("Brand", filters=[_strip], validators=[Length(max=120)])
    form = StringField(
        "Form", filters=[_strip], validators=[Length(max=80)], description="Capsule, oil, gel pack…"
    )
    category_id = SelectField("Category", coerce=int)
    description = TextAreaField("Description", filters=[_strip], validators=[Length(max=MAX_TEXT)])
    ingredients = TextAreaField("Ingredients", filters=[_strip], validators=[Length(max=MAX_TEXT)])
    how_to_use = TextAreaField("How to use", filters=[_strip], validators=[Length(max=MAX_TEXT)])
    warnings = TextAreaField(
        "Warnings and contraindications", filters=[_strip], validators=[Length(max=MAX_TEXT)]
    )
    gst_rate = SelectField(
        "GST rate",
        coerce=int,
        default=12,
        choices=[SelectChoice(rate, f"{rate}%") for rate in GST_RATES],
        description="Prices include GST.",
    )
    max_per_order = IntegerField(
        "Most per order",
        default=10,
        validators=[
            InputRequired("Enter how many one order may hold."),
            NumberRange(1, MAX_PER_ORDER, f"Allow from 1 to {MAX_PER_ORDER} per order."),
        ],
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


class ImageForm(FlaskForm):
    image = FileField("Image (PNG, JPEG or WebP, up to 2 MB)")
    alt = StringField(
        "Alt text",
        filters=[_strip],
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
    }


def _product_form_for(product: Product) -> ProductForm:
    """The edit form filled from the database, with one empty row to add a variant."""
    data = {name: getattr(product, name) for name in _PRODUCT_FIELDS}
    data |= {
        "category_id": product.category_id,
        "condition_ids": [c.id for c in product.conditions],
        "variants": [_row_data(v) for v in product.variants] + [{}],
    }
    return ProductForm(formdata=None, data=data)


_PRODUCT_FIELDS = (
    "slug",
    "name",
    "brand",
    "form",
    "description",
    "ingredients",
    "how_to_use",
    "warnings",
    "gst_rate",
    "max_per_order",
    "active",
)


@dataclass
class VariantPlan:
    """What a valid product form does to the variants."""

    updates: list[tuple[Variant, dict[str, Any]]] = field(default_factory=list)
    creates: list[dict[str, Any]] = field(default_factory=list)
    deletes: list[Variant] = field(default_factory=list)


def _plan_variants(form: ProductForm, product: Product | None) -> VariantPlan | None:
    """Check every variant row; the plan, or None with messages on the rows."""
    existing = {v.id: v for v in product.variants} if product else {}
    plan = VariantPlan()
    ok = True
    seen_ids: set[int] = set()
    rows: list[tuple[VariantRowForm, Variant | None, dict[str, Any]]] = []
    for entry in form.variants.entries:
        row: VariantRowForm = entry.form
        variant = None
        if row.id.data:
            raw = row.id.data.strip()
            variant = existing.get(int(raw)) if raw.isdigit() and len(raw) < 10 else None
            if variant is None or variant.id in seen_ids:
                add_error(form, "The variants table is out of date; reload the page.")
                ok = False
                continue
            seen_ids.add(variant.id)
        if row.delete.data or (variant is None and row.is_blank()):
            if variant is not None:
                plan.deletes.append(variant)
            continue
        values: dict[str, Any] = {"sku": row.sku.data or "", "label": row.label.data or ""}
        problem = sku_problem(values["sku"])
        if problem:
            add_error(row.sku, problem)
            ok = False
        if not values["label"]:
            add_error(row.label, "Enter a label, like 60 capsules.")
            ok = False
        elif len(values["label"]) > 120:
            add_error(row.label, "A label can be at most 120 characters long.")
            ok = False
        numbers, errors = read_variant_values(row.mrp.data, row.price.data, row.stock.data)
        for name, message in errors.items():
            add_error(row[name], message)
            ok = False
        rows.append((row, variant, values | numbers))

    untouched = [v for v in existing.values() if v.id not in seen_ids]
    if not rows and not untouched:
        form.variant_errors.append("A product needs at least one variant.")
        ok = False

    # SKUs are unique: among the rows, and against every variant not being changed here.
    wanted = {values["sku"] for _, _, values in rows} | {v.sku for v in untouched}
    first_row: dict[str, VariantRowForm] = {}
    for row, _, values in rows:
        sku = values["sku"]
        if sku in first_row or any(v.sku == sku for v in untouched):
            add_error(row.sku, "Another row of this product uses this SKU.")
            ok = False
        first_row.setdefault(sku, row)
    editable = {v.id for v in existing.values() if v.id in seen_ids}
    owners = db.session.execute(
        select(Variant.sku, Variant.id, Product.slug)
        .join(Variant.product)
        .where(Variant.sku.in_([s for s in wanted if s]))
    ).all()
    for sku, owner_id, owner_slug in owners:
        if owner_id in editable or sku not in first_row:
            continue  # a variant of this form, which gives its SKU up or keeps it
        add_error(first_row[sku].sku, f"This SKU is already used by {owner_slug}.")
        ok = False
    if not ok:
        return None
    for _, variant, values in rows:
        if variant is None:
            plan.creates.append(values)
        else:
            plan.updates.append((variant, values))
    return plan


def _validate_product(form: ProductForm, product: Product | None) -> VariantPlan | None:
    ok = form.validate()
    if (
        form.slug.data
        and not form.slug.errors
        and _slug_taken(Product.slug, form.slug.data, product.id if product else None)
    ):
        add_error(form.slug, "Another product already uses this slug.")
        ok = False
    plan = _plan_variants(form, product)
    return plan if ok and plan is not None else None


def _apply_product(form: ProductForm, product: Product | None, plan: VariantPlan) -> Product:
    """Write a validated form to the session, with an audit entry per changed object."""
    creating = product is None
    category = db.session.get(Category, form.category_id.data)
    conditions = list(
        db.session.scalars(select(Condition).where(Condition.id.in_(form.condition_ids.data or [])))
    )
    if product is None:
        product = Product()
        db.session.add(product)
    before = None if creating else product_state(product)
    variants_before = {v.id: snapshot(v) for v in product.variants}

    # Deletions go first so that their SKUs can be reused by the rows in this same save.
    for variant in plan.deletes:
        product.variants.remove(variant)
    if plan.deletes:
        db.session.flush()
    for variant in plan.deletes:
        audit(
            "delete",
            "variant",
            variant.id,
            before=variants_before[variant.id],
            summary=f"Deleted variant {variant.sku} of {form.slug.data}",
        )

    with db.session.no_autoflush:
        for name in _PRODUCT_FIELDS:
            setattr(product, name, getattr(form, name).data)
        product.category = category
        product.conditions = conditions
        # Two variants swapping SKUs would trip the unique index half-way through the
        # flush, so moving SKUs park on a temporary value first.
        current = {v.sku for v, _ in plan.updates}
        moving = [(v, values) for v, values in plan.updates if values["sku"] != v.sku]
        if any(values["sku"] in current for _, values in moving):
            for variant, _ in moving:
                variant.sku = f"~moving-{variant.id}"
            db.session.flush()
        for variant, values in plan.updates:
            for name, value in values.items():
                setattr(variant, name, value)
        position = max((v.position for v in product.variants), default=-1) + 1
        created = []
        for offset, values in enumerate(plan.creates):
            variant = Variant(position=position + offset, **values)
            product.variants.append(variant)
            created.append(variant)
    db.session.flush()

    after = product_state(product)
    if creating:
        audit("create", "product", product.id, after=after, summary=f"Created {product.slug}")
    elif _changed(before, after):
        audit(
            "update",
            "product",
            product.id,
            before=before,
            after=after,
            summary=f"Changed {', '.join(_changed(before, after))} of {product.slug}",
        )
    for variant, _ in plan.updates:
        now = snapshot(variant)
        fields = _changed(variants_before[variant.id], now)
        if fields:
            audit(
                "update",
                "variant",
                variant.id,
                before=variants_before[variant.id],
                after=now,
                summary=f"Changed {', '.join(fields)} of {variant.sku} ({product.slug})",
            )
    for variant in created:
        audit(
            "create",
            "variant",
            variant.id,
            after=snapshot(variant),
            summary=f"Added variant {variant.sku} to {product.slug}",
        )
    return product


def _commit_or_conflict(on_conflict: Callable[[], Any]):
    """Commit; if the database refuses (someone else just took a slug or SKU), say so."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return on_conflict()
    return None


def _product_page(
    product: Product,
    form: ProductForm | None = None,
    image_form: ImageForm | None = None,
    status: int = 200,
):
    return render_template(
        "staff/catalog/product_form.html",
        product=product,
        failed=form is not None,
        form=form or _product_form_for(product),
        image_form=image_form or ImageForm(),
    ), status


@bp.get("/products/")
def product_list():
    stmt = (
        select(Product)
        .options(joinedload(Product.category), selectinload(Product.variants))
        .order_by(Product.name, Product.id)
    )
    active = choice_arg("active", ("", "yes", "no"), "")
    if active:
        stmt = stmt.where(Product.active.is_(active == "yes"))
    category = None
    raw = request.args.get("category", "").strip()
    if raw:
        if not raw.isdigit():
            abort(400, description="The category filter must be a category id.")
        category = get_or_404(Category, int(raw))
        stmt = stmt.where(Product.category_id == category.id)
    skus: ColumnElement = (
        select(func.aggregate_strings(Variant.sku, " "))
        .where(Variant.product_id == Product.id)
        .scalar_subquery()
    )
    page = staff_page(stmt, search_columns=(Product.name, Product.slug, skus))
    categories = db.session.scalars(select(Category).order_by(Category.name)).all()
    q = request.args.get("q", "").strip()
    filters = {"q": q, "category": category.id if category else "", "active": active}
    return render_template(
        "staff/catalog/product_list.html",
        page=page,
        category=category,
        active=active,
        categories=categories,
        q=q,
        filters={k: v for k, v in filters.items() if v},
    )


@bp.route("/products/new", methods=["GET", "POST"])
def product_new():
    form = ProductForm()
    if request.method == "GET":
        if not form.category_id.choices:
            flash("Create a category first: every product belongs to one.", "notice")
        return render_template("staff/catalog/product_form.html", product=None, form=form)
    plan = _validate_product(form, None)
    if plan is None:
        return _invalid("staff/catalog/product_form.html", product=None, form=form, failed=True)
    product = _apply_product(form, None, plan)

    def conflict():
        add_error(form, "Someone else has just used this slug or SKU; check and save again.")
        return render_template(
            "staff/catalog/product_form.html", product=None, form=form, failed=True
        ), 409

    refused = _commit_or_conflict(conflict)
    if refused:
        return refused
    flash(f"Created {product.name}.", "success")
    return redirect(url_for("staff.product_edit", product_id=product.id), 303)


@bp.route("/products/<int:product_id>", methods=["GET", "POST"])
def product_edit(product_id: int):
    product = get_or_404(Product, product_id)
    if request.method == "GET":
        return _product_page(product)
    form = ProductForm()
    plan = _validate_product(form, product)
    if plan is None:
        db.session.rollback()
        return _product_page(product, form=form, status=422)
    _apply_product(form, product, plan)

    def conflict():
        add_error(form, "Someone else has just used this slug or SKU; check and save again.")
        return _product_page(get_or_404(Product, product_id), form=form, status=409)

    refused = _commit_or_conflict(conflict)
    if refused:
        return refused
    flash(f"Saved {product.name}.", "success")
    return redirect(url_for("staff.product_edit", product_id=product.id), 303)


def _product_references(product: Product) -> list[str]:
    """Discounts that name the product; deleting it would silently widen or end them."""
    columns = (("sale", sale_products.c.product_id), ("coupon", coupon_products.c.product_id))
    return describe_uses(count_uses(columns, [product.id])[product.id])


@bp.route("/products/<int:product_id>/delete", methods=["GET", "POST"])
def product_delete(product_id: int):
    """Delete a product for good, after a confirmation page (deactivating is usually better)."""
    product = get_or_404(Product, product_id)
    uses = _product_references(product)
    if request.method == "GET" or uses:
        return render_template("staff/catalog/product_delete.html", product=product, uses=uses), (
            409 if uses and request.method == "POST" else 200
        )
    before = product_state(product) | {
        "variants": [snapshot(v) for v in product.variants],
        "images": [snapshot(i) for i in product.images],
    }
    files = [image.path for image in product.images]
    name = product.name
    db.session.delete(product)
    db.session.flush()
    audit("delete", "product", product_id, before=before, summary=f"Deleted {before['slug']}")
    db.session.commit()
    for path in files:
        _remove_upload(path)
    flash(f"Deleted {name}.", "success")
    return redirect(url_for("staff.product_list"), 303)


# --- product images ---------------------------------------------------------------------


def inspect_image(data: bytes) -> tuple[str, int, int]:
    """Return (file extension, width, height) of a PNG, JPEG or WebP; ValueError otherwise.

    The type comes from the content, not the file name: Pillow must recognise the bytes
    as one of these formats, verify them and decode them completely.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(IMAGE_EXTENSIONS)) as image:
                kind, (width, height) = image.format, image.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise ValueError("too many pixels")
                image.verify()
            with Image.open(io.BytesIO(data), formats=[kind]) as image:
                image.load()
    except _BAD_IMAGE_ERRORS as error:
        raise ValueError("That file is not a PNG, JPEG or WebP image we can read.") from error
    return IMAGE_EXTENSIONS[kind], width, height


def _remove_upload(path: str) -> None:
    if path.startswith("uploads/"):
        (uploads_folder() / path.removeprefix("uploads/")).unlink(missing_ok=True)


@bp.post("/products/<int:product_id>/images")
def product_image_upload(product_id: int):
    product = get_or_404(Product, product_id)
    form = ImageForm()
    if not form.validate_on_submit():
        return _product_page(product, image_form=form, status=422)
    upload = form.image.data
    if upload is None or not getattr(upload, "filename", ""):
        add_error(form.image, "Choose an image file to upload.")
        return _product_page(product, image_form=form, status=422)
    data = upload.stream.read(MAX_IMAGE_BYTES + 1)
    if len(data) > MAX_IMAGE_BYTES:
        add_error(form.image, "That image is larger than 2 MB; make it smaller and try again.")
        return _product_page(product, image_form=form, status=413)
    try:
        extension, width, height = inspect_image(data)
    except ValueError as error:
        add_error(form.image, str(error))
        return _product_page(product, image_form=form, status=422)

    filename = secrets.token_hex(16) + extension
    folder = uploads_folder()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / filename).write_bytes(data)
    try:
        image = ProductImage(
            path=f"uploads/{filename}",
            alt=form.alt.data or product.name,
            width=width,
            height=height,
            position=max((i.position for i in product.images), default=-1) + 1,
        )
        product.images.append(image)
        db.session.flush()
        audit(
            "create",
            "product_image",
            image.id,
            after=snapshot(image),
            summary=f"Added an image ({width}×{height}) to {product.slug}",
        )
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        _remove_upload(f"uploads/{filename}")
        raise
    flash("Image added.", "success")
    return redirect(url_for("staff.product_edit", product_id=product.id) + "#images", 303)


@bp.post("/products/<int:product_id>/images/<int:image_id>/delete")
def product_image_delete(product_id: int, image_id: int):
    product = get_or_404(Product, product_id)
    image = get_or_404(ProductImage, image_id)
    if image.product_id != product.id:
        abort(404, description="This product has no such image.")
    before = snapshot(image)
    product.images.remove(image)
    db.session.flush()
    audit(
        "delete",
        "product_image",
        image_id,
        before=before,
        summary=f"Removed an image from {product.slug}",
    )
    db.session.commit()
    _remove_upload(before["path"])
    flash("Image removed.", "success")
    return redirect(url_for("staff.product_edit", product_id=product.id) + "#images", 303)


# --- categories and conditions: the same list / create / edit / delete screens ----------


class CategoryForm(FlaskForm):
    slug = _slug_field("The category's address: /products/?category=<slug>.")
    name = StringField(
        "Name", filters=[_strip], validators=[DataRequired("Enter a name."), Length(max=200)]
    )
    description = TextAreaField("Description", filters=[_strip], validators=[Length(max=MAX_TEXT)])
    position = IntegerField(
        "Position in menus",
        default=0,
        validators=[
            InputRequired("Enter a position, like 0."),
            NumberRange(0, 10_000, "Use a number from 0 to 10,000."),
        ],
    )


class ConditionForm(FlaskForm):
    slug = _slug_field("The condition's page: /conditions/<slug>.")
    name = StringField(
        "Name", filters=[_strip], validators=[DataRequired("Enter a name."), Length(max=200)]
    )
    summary = TextAreaField("Summary", filters=[_strip], validators=[Length(max=MAX_TEXT)])


def count_uses(columns: tuple[tuple[str, Any], ...], ids: list[int]) -> dict[int, dict[str, int]]:
    """For each id: kind → how many rows point at it, one grouped query per kind."""
    uses: dict[int, dict[str, int]] = {object_id: {} for object_id in ids}
    for kind, column in columns:
        rows = db.session.execute(
            select(column, func.count()).where(column.in_(ids)).group_by(column)
        )
        for object_id, count in rows:
            uses[object_id][kind] = count
    return uses


def describe_uses(uses: dict[str, int]) -> list[str]:
    return [f"{n} {kind}{'s' if n > 1 else ''}" for kind, n in uses.items() if n]


@dataclass(frozen=True)
class SimpleScreen:
    """How the list/create/edit/delete screens of one plain model behave."""

    model: type
    form: type[FlaskForm]
    kind: str  # "category": the audit object type and the endpoints' prefix
    title: str  # "Categories"
    fields: tuple[str, ...]
    used_by: tuple[tuple[str, Any], ...]  # (kind, column pointing at this model's id)
    order_by: tuple
    public_url: Callable[[Any], str]

    def endpoint(self, action: str) -> str:
        return f"staff.{self.kind}_{action}"

    def uses(self, object_id: int) -> list[str]:
        return describe_uses(count_uses(self.used_by, [object_id])[object_id])


CATEGORIES = SimpleScreen(
    Category,
    CategoryForm,
    "category",
    "Categories",
    ("slug", "name", "description", "position"),
    (
        ("product", Product.category_id),
        ("sale", sale_categories.c.category_id),
        ("coupon", coupon_categories.c.category_id),
    ),
    (Category.position, Category.name),
    lambda c: url_for("catalog.product_list", category=c.slug),
)
CONDITIONS = SimpleScreen(
    Condition,
    ConditionForm,
    "condition",
    "Conditions",
    ("slug", "name", "summary"),
    (
        ("article", Article.condition_id),
        ("product", product_conditions.c.condition_id),
        ("doctor", doctor_conditions.c.condition_id),
    ),
    (Condition.name,),
    lambda c: url_for("content.condition", slug=c.slug),
)


def _simple_list(screen: SimpleScreen):
    model = screen.model
    page = staff_page(
        select(model).order_by(*screen.order_by, model.id), search_columns=(model.name, model.slug)
    )
    counts = count_uses(screen.used_by, [obj.id for obj in page.items])
    uses = {object_id: describe_uses(kinds) for object_id, kinds in counts.items()}
    return render_template(
        "staff/catalog/simple_list.html",
        screen=screen,
        page=page,
        uses=uses,
        q=request.args.get("q", "").strip(),
    )


def _simple_page(screen: SimpleScreen, obj, form, status: int = 200, problem: str = ""):
    uses = screen.uses(obj.id) if obj is not None else []
    return render_template(
        "staff/catalog/simple_form.html",
        screen=screen,
        obj=obj,
        form=form,
        uses=uses,
        problem=problem,
    ), status


def _simple_save(screen: SimpleScreen, obj):
    """Create (obj None) or edit one row from its form, with an audit entry."""
    form = screen.form(obj=obj) if request.method == "GET" else screen.form()
    if request.method == "GET":
        return _simple_page(screen, obj, form)
    ok = form.validate()
    own_id = obj.id if obj is not None else None
    if (
        form.slug.data
        and not form.slug.errors
        and _slug_taken(screen.model.slug, form.slug.data, own_id)
    ):
        add_error(form.slug, f"Another {screen.kind} already uses this slug.")
        ok = False
    if not ok:
        db.session.rollback()
        return _simple_page(screen, obj, form, 422)
    creating = obj is None
    before = None if creating else snapshot(obj)
    if creating:
        obj = screen.model()
        db.session.add(obj)
    for name in screen.fields:
        setattr(obj, name, getattr(form, name).data)
    db.session.flush()
    after = snapshot(obj)
    if creating:
        audit("create", screen.kind, obj.id, after=after, summary=f"Created {obj.slug}")
    elif _changed(before, after):
        audit(
            "update",
            screen.kind,
            obj.id,
            before=before,
            after=after,
            summary=f"Changed {', '.join(_changed(before, after))} of {obj.slug}",
        )

    def conflict():
        add_error(form.slug, f"Another {screen.kind} has just taken this slug.")
        return _simple_page(
            screen, None if creating else get_or_404(screen.model, own_id), form, 409
        )

    refused = _commit_or_conflict(conflict)
    if refused:
        return refused
    flash(f"Saved {obj.name}.", "success")
    return redirect(url_for(screen.endpoint("list")), 303)


def _simple_delete(screen: SimpleScreen, object_id: int):
    """Delete a row nothing uses; otherwise explain what still uses it (409)."""
    obj = get_or_404(screen.model, object_id)
    uses = screen.uses(obj.id)
    if uses:
        problem = (
            f"This {screen.kind} is still used by {', '.join(uses)}; move or remove those first."
        )
        return _simple_page(screen, obj, screen.form(formdata=None, obj=obj), 409, problem)
    before = snapshot(obj)
    db.session.delete(obj)
    db.session.flush()
    audit("delete", screen.kind, object_id, before=before, summary=f"Deleted {before['slug']}")
    db.session.commit()
    flash(f"Deleted {before['name']}.", "success")
    return redirect(url_for(screen.endpoint("list")), 303)


@bp.get("/categories/")
def category_list():
    return _simple_list(CATEGORIES)


@bp.route("/categories/new", methods=["GET", "POST"])
def category_new():
    return _simple_save(CATEGORIES, None)


@bp.route("/categories/<int:category_id>", methods=["GET", "POST"])
def category_edit(category_id: int):
    return _simple_save(CATEGORIES, get_or_404(Category, category_id))


@bp.post("/categories/<int:category_id>/delete")
def category_delete(category_id: int):
    return _simple_delete(CATEGORIES, category_id)


@bp.get("/conditions/")
def condition_list():
    return _simple_list(CONDITIONS)


@bp.route("/conditions/new", methods=["GET", "POST"])
def condition_new():
    return _simple_save(CONDITIONS, None)


@bp.route("/conditions/<int:condition_id>", methods=["GET", "POST"])
def condition_edit(condition_id: int):
    return _simple_save(CONDITIONS, get_or_404(Condition, condition_id))


@bp.post("/conditions/<int:condition_id>/delete")
def condition_delete(condition_id: int):
    return _simple_delete(CONDITIONS, condition_id)
