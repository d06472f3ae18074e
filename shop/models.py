"""Import every domain's models so metadata and Alembic see the whole schema."""

from shop.cache import SiteVersion
from shop.catalog.models import Category, Product, ProductImage, Variant
from shop.content.models import Article, Condition, Doctor

__all__ = [
    "Article",
    "Category",
    "Condition",
    "Doctor",
    "Product",
    "ProductImage",
    "SiteVersion",
    "Variant",
]
