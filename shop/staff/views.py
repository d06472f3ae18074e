"""The back office under /staff/: importing this module registers every staff route."""

# Each module adds its routes to the one staff blueprint, which guards them all. Question
# moderation lives with its domain (shop/questions/) and joins the same blueprint.
from shop.invoices import staff_views as invoice_staff_views  # noqa: F401
from shop.questions import staff_views  # noqa: F401
from shop.staff import (  # noqa: F401
    audit_views,
    catalog,
    content,
    csv_io,
    dashboard,
    orders,
    pricing,
    users,
)
from shop.staff.base import bp

__all__ = ["bp"]
