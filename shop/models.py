"""Import every domain's models so metadata and Alembic see the whole schema."""

from shop.accounts.models import User
from shop.cache import SiteVersion
from shop.cart.models import Cart, CartLine
from shop.catalog.models import Category, Product, ProductImage, Variant
from shop.checkout.models import Order, OrderEvent, OrderLine
from shop.content.models import Article, Condition, Doctor
from shop.delivery.models import Address, DeliveryZone, OrderDelivery
from shop.discounts.models import Coupon, CouponRedemption, Sale, ShippingRate
from shop.invoices.models import CreditNote, DocumentCounter, Invoice, InvoiceLine
from shop.jobs.models import Job
from shop.mail import OutboxMessage
from shop.payments.models import ProcessedEvent, Refund
from shop.questions.models import Question
from shop.redirects import SlugRedirect
from shop.staff.audit import AuditEntry

__all__ = [
    "Address",
    "Article",
    "AuditEntry",
    "Cart",
    "CartLine",
    "Coupon",
    "CouponRedemption",
    "CreditNote",
    "DocumentCounter",
    "Invoice",
    "InvoiceLine",
    "Job",
    "Sale",
    "ShippingRate",
    "Category",
    "Condition",
    "DeliveryZone",
    "Doctor",
    "Order",
    "OrderDelivery",
    "OrderEvent",
    "OrderLine",
    "OutboxMessage",
    "Product",
    "ProcessedEvent",
    "ProductImage",
    "Question",
    "Refund",
    "SiteVersion",
    "SlugRedirect",
    "User",
    "Variant",
]
