"""What changes a product and its variants: used by the product form and the CSV import.

Takes plain values (text as typed, ids, booleans) and reports problems as plain
messages; the views turn them into form errors or CSV line errors. Stock changes follow
`shop.staff.products.stock`: checked against the value the editor was shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select

from shop.catalog.models import Category, Product, Variant
from shop.content.models import Condition
from shop.extensions import db
from shop.pricing.money import format_money, parse_rupees
from shop.staff.audit import audit, snapshot
from shop.staff.products.stock import (
    StockConflict,
    plan_stock,
    read_stock,
    write_stock,
)
from shop.staff.saving import Tracked

SKU_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
MAX_MONEY = 100_000_000_00  # ₹1 crore in paise: far above any remedy, far below INTEGER's limit
PRODUCT_FIELDS = (
    "slug",
    "name",
    "brand",
    "form",
    "description",
    "ingredients",
    "how_to_use",
    "warnings",
    "gst_rate",
    "hsn",
    "max_per_order",
    "prescription_required",
    "limit_quantity",
    "limit_days",
    "active",
)
HSN_RE = re.compile(r"^[0-9]{4,8}$")
HSN_MESSAGE = "An HSN code has 4 to 8 digits, like 3004 or 30049011."


def _read_money(label: str, text: str) -> tuple[int | None, str | None]:
    text = (text or "").strip()
    if not text:
        return None, f"Enter the {label} in rupees, like 799 or 349.50."
    try:
        amount = parse_rupees(text)
    except ValueError:
        return None, f"{label} must be an amount in rupees, like 799 or 349.50."
    if amount > MAX_MONEY:
        return None, f"{label} can be at most {format_money(MAX_MONEY)}."
    return amount, None


def read_variant_values(mrp: str, price: str, stock: str) -> tuple[dict[str, int], dict[str, str]]:
    """Read MRP and price (rupees, as on a tag) and stock, and check the Variant rules.

    Returns the values that could be read, in paise and units, and field → message for
    every problem, using the model's own messages for price ≤ MRP, MRP > 0, stock ≥ 0.
    """
    values: dict[str, int] = {}
    errors: dict[str, str] = {}
    for name, label, text in (("mrp", "MRP", mrp), ("price", "Price", price), ("stock", "", stock)):
        amount, problem = read_stock(text) if name == "stock" else _read_money(label, text)
        if problem:
            errors[name] = problem
        else:
            values[name] = amount
    # The model's own rules, checked on plain values (no ORM instance: the CSV reads
    # hundreds of thousands of rows through here).
    checked = SimpleNamespace(
        mrp=values.get("mrp"), price=values.get("price"), stock=values.get("stock")
    )
    rules = Variant.validate(checked)
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


def label_problem(label: str) -> str | None:
    if not label:
        return "Enter a label, like 60 capsules."
    if len(label) > 120:
        return "A label can be at most 120 characters long."
    return None


def product_state(product: Product) -> dict[str, Any]:
    """The product's columns and conditions, for the audit log."""
    return snapshot(product) | {"conditions": sorted(c.slug for c in product.conditions)}


def slug_taken(column, slug: str, own_id: int | None) -> bool:
    """Whether another row (not `own_id`) already has this slug in `column`."""
    stmt = select(column.class_.id).where(column == slug)
    if own_id is not None:
        stmt = stmt.where(column.class_.id != own_id)
    return db.session.scalar(stmt.limit(1)) is not None


# --- the product form's variants table -----------------------------------------------------


@dataclass
class VariantRow:
    """One row of the variants table as typed (all text)."""

    id: str = ""
    sku: str = ""
    label: str = ""
    mrp: str = ""
    price: str = ""
    stock: str = ""
    stock_seen: str = ""
    delete: bool = False

    def is_blank(self) -> bool:
        return not (self.id or self.sku or self.label or self.mrp or self.price or self.stock)


@dataclass
class VariantPlan:
    """What a valid product form does to the variants, or why it cannot."""

    updates: list[tuple[Variant, dict[str, Any], int | None]] = field(default_factory=list)
    creates: list[dict[str, Any]] = field(default_factory=list)
    deletes: list[Variant] = field(default_factory=list)
    form_errors: list[str] = field(default_factory=list)
    table_errors: list[str] = field(default_factory=list)
    row_errors: dict[tuple[int, str], list[str]] = field(default_factory=dict)
    conflicts: dict[int, StockConflict] = field(default_factory=dict)  # row index → conflict

    def error(self, index: int, name: str, message: str) -> None:
        self.row_errors.setdefault((index, name), []).append(message)

    @property
    def ok(self) -> bool:
        return not (self.form_errors or self.table_errors or self.row_errors)


def _row_variant(
    row: VariantRow, existing: dict[int, Variant], seen: set[int]
) -> Variant | None | bool:
    """The variant a row edits, None for a new row, False when the id is stale."""
    if not row.id:
        return None
    raw = row.id.strip()
    variant = existing.get(int(raw)) if raw.isdigit() and len(raw) < 10 else None
    if variant is None or variant.id in seen:
        return False
    seen.add(variant.id)
    return variant


def _read_row(plan: VariantPlan, index: int, row: VariantRow) -> dict[str, Any]:
    values: dict[str, Any] = {"sku": row.sku or "", "label": row.label or ""}
    for name in ("sku", "label"):
        problem = (sku_problem if name == "sku" else label_problem)(values[name])
        if problem:
            plan.error(index, name, problem)
    numbers, errors = read_variant_values(row.mrp, row.price, row.stock)
    if row.stock_seen.strip() and read_stock(row.stock_seen)[1]:
        errors.setdefault("stock", "This row is out of date; reload the page.")
    for name, message in errors.items():
        plan.error(index, name, message)
    return values | numbers


def _check_skus(plan: VariantPlan, rows, untouched: list[Variant], editable: set[int]) -> None:
    """SKUs are unique: among the rows, and against every variant not being changed here."""
    first_row: dict[str, int] = {}
    for index, _, values in rows:
        sku = values["sku"]
        if sku in first_row or any(v.sku == sku for v in untouched):
            plan.error(index, "sku", "Another row of this product uses this SKU.")
        first_row.setdefault(sku, index)
    wanted = set(first_row) | {v.sku for v in untouched}
    owners = db.session.execute(
        select(Variant.sku, Variant.id, Product.slug)
        .join(Variant.product)
        .where(Variant.sku.in_([s for s in wanted if s]))
    ).all()
    for sku, owner_id, owner_slug in owners:
        if owner_id in editable or sku not in first_row:
            continue  # a variant of this form, which gives its SKU up or keeps it
        plan.error(first_row[sku], "sku", f"This SKU is already used by {owner_slug}.")


def plan_variants(product: Product | None, rows: list[VariantRow]) -> VariantPlan:
    """Check every variant row and decide what saving does (see `VariantPlan.ok`)."""
    existing = {v.id: v for v in product.variants} if product else {}
    plan = VariantPlan()
    seen_ids: set[int] = set()
    kept: list[tuple[int, Variant | None, dict[str, Any], str]] = []
    for index, row in enumerate(rows):
        variant = _row_variant(row, existing, seen_ids)
        if variant is False:
            plan.form_errors.append("The variants table is out of date; reload the page.")
            continue
        if row.delete or (variant is None and row.is_blank()):
            if variant is not None:
                plan.deletes.append(variant)
            continue
        kept.append((index, variant, _read_row(plan, index, row), row.stock_seen))
    untouched = [v for v in existing.values() if v.id not in seen_ids]
    if not kept and not untouched:
        plan.table_errors.append("A product needs at least one variant.")
    _check_skus(plan, [(i, v, values) for i, v, values, _ in kept], untouched, seen_ids)
    if plan.ok:
        _plan_writes(plan, kept)
    return plan


def _plan_writes(plan: VariantPlan, kept) -> None:
    for index, variant, values, seen_text in kept:
        if variant is None:
            plan.creates.append(values)
            continue
        seen, _ = read_stock(seen_text) if seen_text.strip() else (None, None)
        wanted = values.pop("stock")
        stock, conflict = plan_stock(variant, wanted, seen)
        if conflict:
            plan.conflicts[index] = conflict
        plan.updates.append((variant, values | ({} if stock is None else {"stock": stock}), seen))


# --- writing ---------------------------------------------------------------------------------


def _variant_tracked(variant: Variant, before: dict | None, product: Product) -> Tracked:
    if before is None:
        return Tracked(
            "variant",
            variant,
            None,
            snapshot,
            lambda v, _: f"Added variant {v.sku} to {product.slug}",
        )
    return Tracked(
        "variant",
        variant,
        before,
        snapshot,
        lambda v, fields: f"Changed {', '.join(fields)} of {v.sku} ({product.slug})",
    )


def _delete_variants(product: Product, plan: VariantPlan, before: dict[int, dict]) -> int:
    """Deletions go first so that their SKUs can be reused by the rows in this same save."""
    for variant in plan.deletes:
        product.variants.remove(variant)
    if plan.deletes:
        db.session.flush()
    for variant in plan.deletes:
        audit(
            "delete",
            "variant",
            variant.id,
            before=before[variant.id],
            summary=f"Deleted variant {variant.sku} of {product.slug}",
        )
    return len(plan.deletes)


def variant_columns(values: dict[str, Any]) -> dict[str, Any]:
    """The columns checked values set on a variant: SKU, label and prices. Stock only
    ever goes through the stock rule (`write_stock`, or the CSV's conditional UPDATE)."""
    return {name: values[name] for name in ("sku", "label", "mrp", "price") if name in values}


def set_variant_values(variant: Variant, values: dict[str, Any]) -> None:
    """Apply checked SKU, label and prices to a loaded variant."""
    for name, value in variant_columns(values).items():
        setattr(variant, name, value)


def listing_columns(name: str, active: bool, hsn: str | None = None) -> dict[str, Any]:
    """The columns a checked name, active flag and (when given) HSN code set on a product:
    what the CSV carries of a product."""
    return {"name": name, "active": active} | ({"hsn": hsn} if hsn is not None else {})


def _update_variants(product: Product, plan: VariantPlan) -> list[Variant]:
    # Two variants swapping SKUs would trip the unique index half-way through the
    # flush, so moving SKUs park on a temporary value first.
    current = {v.sku for v, _, _ in plan.updates}
    moving = [v for v, values, _ in plan.updates if values["sku"] != v.sku]
    if any(values["sku"] in current for v, values, _ in plan.updates if v in moving):
        for variant in moving:
            variant.sku = f"~moving-{variant.id}"
        db.session.flush()
    for variant, values, _ in plan.updates:
        set_variant_values(variant, values)
    position = max((v.position for v in product.variants), default=-1) + 1
    created = [Variant(position=position + n, **values) for n, values in enumerate(plan.creates)]
    product.variants.extend(created)
    return created


def apply_product(
    product: Product | None, values: dict[str, Any], plan: VariantPlan
) -> tuple[Product, list[Tracked], int]:
    """Write a checked product (its fields, category, conditions) and its variants.

    `values` holds PRODUCT_FIELDS plus `category_id` and `condition_ids`. Returns the
    product, what the audited save should record, and how many deletions were audited.
    Raises ShopError(409) if a stock value changed under the editor.
    """
    variants_before = {v.id: snapshot(v) for v in product.variants} if product else {}
    # Stock first, while nothing else is pending, so its conditional UPDATEs run alone.
    for variant, changes, seen in plan.updates:
        if "stock" in changes:
            write_stock(variant, changes["stock"], seen)
    category = db.session.get(Category, values["category_id"])
    conditions = list(
        db.session.scalars(select(Condition).where(Condition.id.in_(values["condition_ids"] or [])))
    )
    creating = product is None
    if product is None:
        product = Product()
        db.session.add(product)
    before = None if creating else product_state(product)
    with db.session.no_autoflush:
        for name in PRODUCT_FIELDS:
            if name in values:  # a form without the HSN field keeps the product's code
                setattr(product, name, values[name])
        product.category = category
        product.conditions = conditions
    deleted = _delete_variants(product, plan, variants_before) if plan.deletes else 0
    with db.session.no_autoflush:
        created = _update_variants(product, plan)
    tracked = [
        Tracked(
            "product",
            product,
            before,
            product_state,
            lambda p, fields: (
                f"Created {p.slug}"
                if before is None
                else f"Changed {', '.join(fields)} of {p.slug}"
            ),
        )
    ]
    tracked += [_variant_tracked(v, variants_before[v.id], product) for v, _, _ in plan.updates]
    tracked += [_variant_tracked(v, None, product) for v in created]
    return product, tracked, deleted
