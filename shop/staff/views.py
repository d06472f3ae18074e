"""The back office under /staff/: importing this module registers every staff route."""

# Each module adds its routes to the one staff blueprint, which guards them all. Question
# moderation (shop/questions/), delivery zones (shop/delivery/), invoices (shop/invoices/)
# help pages (shop/help/) and search synonyms (shop/search/) live with their domains and join
# the same blueprint.
from shop.attribution import staff_views as attribution_staff_views  # noqa: F401
from shop.delivery import staff_views as delivery_staff_views  # noqa: F401
from shop.help import staff_views as help_staff_views  # noqa: F401
from shop.invoices import staff_views as invoice_staff_views  # noqa: F401
from shop.questions import staff_views  # noqa: F401
from shop.search import staff_views as search_staff_views  # noqa: F401
from shop.staff import (  # noqa: F401
    audit_views,
    condition_pins,
    dashboard,
    orders,
    pickers,
    taxonomy,
    users,
)
from shop.staff.base import bp
from shop.staff.content import views as content_views  # noqa: F401
from shop.staff.pricing import views as pricing_views  # noqa: F401
from shop.staff.products import csv_views, images  # noqa: F401
from shop.staff.products import views as product_views  # noqa: F401

__all__ = ["bp"]
