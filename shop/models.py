"""Import every domain's models so metadata and Alembic see the whole schema."""

from shop.accounts.models import User
from shop.attribution.models import ArticleStatDay
from shop.cache import SiteVersion
from shop.cart.models import Cart, CartLine
from shop.catalog import prices  # noqa: F401 - registers the sort-price flush hook
from shop.catalog.models import Category, PriceSchedule, Product, ProductImage, Variant
from shop.checkout.models import CustomerLock, Order, OrderEvent, OrderLine
from shop.content.models import Article, Condition, Doctor
from shop.delivery.models import Address, DeliveryZone, OrderDelivery
from shop.discounts.models import Coupon, CouponRedemption, Sale, ShippingRate
from shop.help.models import HelpPage
from shop.invoices.models import CreditNote, DocumentCounter, Invoice, InvoiceLine
from shop.jobs.models import Job
from shop.mail import OutboxMessage
from shop.payments.models import ProcessedEvent, Refund
from shop.prescriptions.models import Prescription
from shop.questions.models import Question
from shop.redirects import SlugRedirect
from shop.search import index as _search_index  # noqa: F401 - the index's session hooks
from shop.search.models import SearchSynonym, SearchWord
from shop.staff.audit import AuditEntry

__all__ = [
    "Address",
    "Article",
    "ArticleStatDay",
    "AuditEntry",
    "Cart",
    "CartLine",
    "Coupon",
    "CouponRedemption",
    "CreditNote",
    "CustomerLock",
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
    "HelpPage",
    "Order",
    "OrderDelivery",
    "OrderEvent",
    "OrderLine",
    "OutboxMessage",
    "PriceSchedule",
    "Product",
    "ProcessedEvent",
    "Prescription",
    "ProductImage",
    "Question",
    "Refund",
    "SiteVersion",
    "SearchSynonym",
    "SearchWord",
    "SlugRedirect",
    "User",
    "Variant",
]
