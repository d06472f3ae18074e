"""The fixed set of help and legal pages: their addresses and footer labels.

The set is fixed (the law asks for each of them), so staff edit pages but never add or
delete one; the footer reads this list, not the database, and costs no query.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    slug: str
    label: str  # the footer link
    needs_contact: bool = False  # shows a named person with an e-mail and a phone


PAGES: tuple[PageSpec, ...] = (
    PageSpec("contact", "Contact us", needs_contact=True),
    PageSpec("grievance-officer", "Grievance officer", needs_contact=True),
    PageSpec("returns-and-refunds", "Returns and refunds"),
    PageSpec("shipping", "Shipping"),
    PageSpec("privacy", "Privacy"),
    PageSpec("terms", "Terms of use"),
)
BY_SLUG: dict[str, PageSpec] = {page.slug: page for page in PAGES}
