"""Categories, products, variants and product images.

Money columns hold integer paise. `price <= mrp`, `mrp > 0` and `stock >= 0` are
enforced twice: by `Variant.validate` for friendly messages and by CHECK constraints
so no code path (CSV import, a stray UPDATE) can break them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.database import UTCDateTime, utcnow
from shop.extensions import db

product_conditions = Table(
    "product_conditions",
    db.metadata,
    Column("product_id", ForeignKey("products.id", ondelete="CASCADE"), primary_key=True),
    Column("condition_id", ForeignKey("conditions.id", ondelete="CASCADE"), primary_key=True),
    # Staff pin products to the top of a condition's page: 1, 2, … in that order (None: not
    # pinned; the rest follow by sales). See shop/staff/condition_pins.py.
    Column("pin_position", Integer, nullable=True),
    Index("ix_product_conditions_condition_id", "condition_id"),
)


class Category(db.Model):
    __tablename__ = "categories"
    invalidates_pages = True

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)

    products: Mapped[list[Product]] = relationship(back_populates="category")

    def __repr__(self) -> str:
        return f"<Category {self.slug}>"


class Product(db.Model):
    __tablename__ = "products"
    invalidates_pages = True
    __table_args__ = (
        CheckConstraint("max_per_order >= 1", name="max_per_order_positive"),
        CheckConstraint("gst_rate >= 0 AND gst_rate <= 28", name="gst_rate_range"),
        CheckConstraint("length(hsn) BETWEEN 4 AND 8", name="hsn_length"),
        # A purchase limit is both numbers or neither (SPEC §15).
        CheckConstraint(
            "(limit_quantity IS NULL AND limit_days IS NULL) OR "
            "(limit_quantity IS NOT NULL AND limit_days IS NOT NULL "
            "AND limit_quantity >= 1 AND limit_days BETWEEN 1 AND 366)",
            name="purchase_limit",
        ),
        # The list's sorts walk these (see `shop.catalog.prices`); the name one serves staff.
        Index("ix_products_active_sort_price", "active", "sort_price", "id"),
        Index("ix_products_active_sort_discount", "active", "sort_discount", "id"),
        Index("ix_products_active_created", "active", "created_at", "id"),
        Index("ix_products_name", "name", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(160), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    brand: Mapped[str] = mapped_column(String(120), default="")
    form: Mapped[str] = mapped_column(String(80), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    ingredients: Mapped[str] = mapped_column(Text, default="")
    how_to_use: Mapped[str] = mapped_column(Text, default="")
    warnings: Mapped[str] = mapped_column(Text, default="")
    gst_rate: Mapped[int] = mapped_column(Integer, default=12)  # percent, price includes it
    # HSN code for tax invoices: 4–8 digits (3004: medicaments, the common case here).
    hsn: Mapped[str] = mapped_column(String(8), default="3004", server_default="3004")
    max_per_order: Mapped[int] = mapped_column(Integer, default=10)
    # Checkout needs a prescription upload and a pharmacist's approval (SPEC §15).
    prescription_required: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # At most `limit_quantity` units per customer in any `limit_days` days (both or neither).
    limit_quantity: Mapped[int | None] = mapped_column(Integer)
    limit_days: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Sort keys only, kept by `shop.catalog.prices.refresh_effective_prices`: the lowest
    # price a shopper pays for any variant now (sale included), and the best discount in
    # hundredths of a percent. Shown and charged prices are always computed afresh.
    sort_price: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sort_discount: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    category: Mapped[Category] = relationship(back_populates="products")
    variants: Mapped[list[Variant]] = relationship(
        back_populates="product",
        order_by="Variant.position, Variant.id",
        cascade="all, delete-orphan",
    )
    images: Mapped[list[ProductImage]] = relationship(
        back_populates="product",
        order_by="ProductImage.position, ProductImage.id",
        cascade="all, delete-orphan",
    )
    conditions: Mapped[list[Condition]] = relationship(  # noqa: F821 - shop.content.models
        secondary=product_conditions, back_populates="products"
    )

    @property
    def purchase_limit(self) -> tuple[int, int] | None:
        """(units, days) when the product has a per-customer limit."""
        if self.limit_quantity and self.limit_days:
            return self.limit_quantity, self.limit_days
        return None

    @property
    def main_image(self) -> ProductImage | None:
        return self.images[0] if self.images else None

    @property
    def default_variant(self) -> Variant | None:
        """The variant shown on cards: the first one in stock, else the first."""
        for variant in self.variants:
            if variant.stock > 0:
                return variant
        return self.variants[0] if self.variants else None

    def __repr__(self) -> str:
        return f"<Product {self.slug}>"


class Variant(db.Model):
    __tablename__ = "variants"
    invalidates_pages = True
    __table_args__ = (
        CheckConstraint("mrp > 0", name="mrp_positive"),
        CheckConstraint("price > 0", name="price_positive"),
        CheckConstraint("price <= mrp", name="price_not_above_mrp"),
        CheckConstraint("stock >= 0", name="stock_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(120))
    mrp: Mapped[int] = mapped_column(Integer)  # paise, tax inclusive
    price: Mapped[int] = mapped_column(Integer, index=True)  # paise, tax inclusive
    stock: Mapped[int] = mapped_column(Integer, default=0)
    position: Mapped[int] = mapped_column(Integer, default=0)

    product: Mapped[Product] = relationship(back_populates="variants")

    def validate(self) -> dict[str, str]:
        """Return field → message for every broken domain rule (empty when valid)."""
        errors: dict[str, str] = {}
        if self.mrp is None or self.mrp <= 0:
            errors["mrp"] = "MRP must be more than zero."
        if self.price is None or self.price <= 0:
            errors["price"] = "Price must be more than zero."
        elif self.mrp is not None and self.price > self.mrp:
            errors["price"] = "Price cannot be above the MRP."
        if self.stock is None or self.stock < 0:
            errors["stock"] = "Stock cannot be negative."
        return errors

    def __repr__(self) -> str:
        return f"<Variant {self.sku}>"


class ProductImage(db.Model):
    __tablename__ = "product_images"
    invalidates_pages = True

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    path: Mapped[str] = mapped_column(String(255))  # under static/ or the uploads folder
    alt: Mapped[str] = mapped_column(String(255), default="")
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)

    product: Mapped[Product] = relationship(back_populates="images")


class PriceSchedule(db.Model):
    """One row: when the stored sort prices were last brought up to date with the clock,
    and the next time a sale starts or ends (when they go stale again)."""

    __tablename__ = "price_schedule"

    id: Mapped[int] = mapped_column(primary_key=True)
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
