"""Import every domain's models so metadata and Alembic see the whole schema."""

from shop.cache import SiteVersion
from shop.cart.models import Cart, CartLine
from shop.catalog.models import Category, Product, ProductImage, Variant
from shop.content.models import Article, Condition, Doctor
from shop.discounts.models import Coupon, CouponRedemption, Sale, ShippingRate

__all__ = [
    "Article",
    "Cart",
    "CartLine",
    "Coupon",
    "CouponRedemption",
    "Sale",
    "ShippingRate",
    "Category",
    "Condition",
    "Doctor",
    "Product",
    "ProductImage",
    "SiteVersion",
    "Variant",
]
