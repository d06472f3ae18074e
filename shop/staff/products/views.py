"""Back office product screens: list, create, edit (with variants and stock), delete.

Views parse the form and render; `shop.staff.products.service` decides and writes;
`shop.staff.saving.save_audited` flushes, audits, commits and flashes.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import ColumnElement, select, union
from sqlalchemy.orm import joinedload, selectinload

from shop.catalog.models import Category, Product, Variant
from shop.discounts.models import coupon_products, sale_products
from shop.errors import ShopError
from shop.extensions import db
from shop.listing import choice_arg
from shop.staff.audit import audit, snapshot
from shop.staff.base import bp, get_or_404, menu_item
from shop.staff.fields import add_error
from shop.staff.lists import staff_page
from shop.staff.products import service
from shop.staff.products.forms import ImageForm, ProductForm, product_form_for
from shop.staff.saving import save_audited
from shop.staff.taxonomy import count_uses, describe_uses
from shop.storage import storage, upload_key

menu_item(10, "staff.product_list", "Products")

FORM = "staff/catalog/product_form.html"
TAKEN = "Someone else has just used this slug or SKU; check and save again."


def product_page(
    product: Product | None,
    form: ProductForm | None = None,
    image_form: ImageForm | None = None,
    status: int = 200,
):
    """The product form: as typed (after a refusal) or fresh from the database."""
    failed = form is not None and status >= 400
    if status >= 400:
        db.session.rollback()
        product = product and get_or_404(Product, product.id)
    if form is None:
        form = product_form_for(product) if product else ProductForm()
    return render_template(
        FORM,
        product=product,
        failed=failed,
        form=form,
        image_form=image_form or ImageForm(),
    ), status


def product_matches(q: str) -> ColumnElement[bool]:
    """Products whose name or slug contains `q`, or with a variant whose SKU does.

    A union of three indexed lookups (migration 0019): trigram GIN indexes answer
    `ILIKE '%q%'` on PostgreSQL. SQLite cannot index a substring, so there SKUs match by
    their start (`LIKE 'q%'`, answered by a NOCASE index) and names and slugs by a scan of
    the products table.
    """
    pattern = f"%{q}%"
    if db.session.get_bind().dialect.name == "postgresql":
        by_sku = Variant.sku.ilike(pattern)
    else:
        by_sku = Variant.sku.like(f"{q}%")  # LIKE is case-blind for ASCII on SQLite
    ids = union(
        select(Product.id).where(Product.name.ilike(pattern)),
        select(Product.id).where(Product.slug.ilike(pattern)),
        select(Variant.product_id).where(by_sku),
    )
    return Product.id.in_(ids)


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
    page = staff_page(stmt, search=product_matches)
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


def _check(form: ProductForm, product: Product | None) -> tuple[bool, service.VariantPlan]:
    """Validate the form and plan the variants, attaching every message to its field."""
    ok = form.validate()
    own_id = product.id if product else None
    slug = form.slug.data
    if slug and not form.slug.errors and service.slug_taken(Product.slug, slug, own_id):
        add_error(form.slug, "Another product already uses this slug.")
    plan = service.plan_variants(product, form.rows())
    for message in plan.form_errors:
        add_error(form, message)
    form.variant_errors += plan.table_errors
    for (index, name), messages in plan.row_errors.items():
        for message in messages:
            add_error(form.variants.entries[index].form[name], message)
    return ok and not form.slug.errors and plan.ok, plan


def _show_conflicts(form: ProductForm, plan: service.VariantPlan) -> None:
    """Keep what was typed; say the current stock and show it as the value now seen."""
    add_error(form, "Stock changed since this form was opened; nothing was saved.")
    for index, conflict in plan.conflicts.items():
        row = form.variants.entries[index].form
        add_error(row.stock, conflict.message)
        row.stock_seen.data = str(conflict.current)


def _save(product: Product | None):
    form = ProductForm()
    ok, plan = _check(form, product)
    if not ok:
        return product_page(product, form=form, status=422)
    if plan.conflicts:
        _show_conflicts(form, plan)
        return product_page(product, form=form, status=409)
    try:
        saved, tracked, deleted = service.apply_product(product, form.values(), plan)
    except ShopError as error:
        add_error(form, error.message)
        return product_page(product, form=form, status=error.status)

    def conflict():
        add_error(form, TAKEN)
        return product_page(product, form=form, status=409)

    verb = "Created" if product is None else "Saved"
    refused = save_audited(
        tracked, saved=f"{verb} {saved.name}.", conflict=conflict, already_recorded=deleted
    )
    if refused:
        return refused
    return redirect(url_for("staff.product_edit", product_id=saved.id), 303)


@bp.route("/products/new", methods=["GET", "POST"])
def product_new():
    if request.method == "GET":
        form = ProductForm()
        if not form.category_id.choices:
            flash("Create a category first: every product belongs to one.", "notice")
        return render_template(FORM, product=None, form=form)
    return _save(None)


@bp.route("/products/<int:product_id>", methods=["GET", "POST"])
def product_edit(product_id: int):
    product = get_or_404(Product, product_id)
    if request.method == "GET":
        return product_page(product)
    return _save(product)


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
    before = service.product_state(product) | {
        "variants": [snapshot(v) for v in product.variants],
        "images": [snapshot(i) for i in product.images],
    }
    keys = [upload_key(image.path) for image in product.images]
    name = product.name
    db.session.delete(product)
    db.session.flush()
    audit("delete", "product", product_id, before=before, summary=f"Deleted {before['slug']}")
    db.session.commit()
    for key in filter(None, keys):
        storage().delete(key)
    flash(f"Deleted {name}.", "success")
    return redirect(url_for("staff.product_list"), 303)
