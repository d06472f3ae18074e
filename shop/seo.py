"""What search engines read: structured data (JSON-LD), canonical URLs and share tags.

The one place that builds schema.org data. Builders return plain dicts; the views pass
them to the page as `seo=Seo(...)`, and `templates/_partials/seo.html` (included by
base.html) writes the canonical link, Open Graph and Twitter tags and one
`<script type="application/ld+json">` per dict through `jsonld()`, which escapes `<`, `>`,
`&` and `'` so that no text from the database can close the script element.

Everything here is per page, never per visitor: it lands in the cached page body.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import urlencode

from flask import current_app, request, url_for
from markupsafe import Markup

from shop.storage import image_url

CONTEXT = "https://schema.org"
SITE_NAME = "Remedy Shop"
# Query parameters that name a different page; anything else (utm_*, gclid, typos) does not.
CANONICAL_PARAMS = ("category", "condition", "page", "q")
STOCK = {True: "https://schema.org/InStock", False: "https://schema.org/OutOfStock"}


@dataclass
class Seo:
    """The per-page extras for search engines and link previews."""

    og_type: str = "website"
    image: str | None = None  # absolute URL
    data: list[dict] = field(default_factory=list)  # JSON-LD objects, one script each
    canonical: str | None = None  # None: this request's canonical URL


def jsonld(data: dict) -> Markup:
    """JSON safe inside a <script> element: no `<`, `>`, `&` or `'` left as such."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("'", "\\u0027")):
        text = text.replace(char, escape)
    # U+2028/2029 are valid in JSON but end a line inside a script; escape them too.
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(text)


def base_url() -> str:
    return current_app.config["SHOP_BASE_URL"].rstrip("/")


def absolute(path: str) -> str:
    """An absolute URL for a path (`/x`) or an URL that already is absolute."""
    return path if "://" in path else base_url() + path


def canonical_url() -> str:
    """This page's address without tracking or unknown query parameters, page 1 unnamed."""
    kept = []
    for name in CANONICAL_PARAMS:
        value = request.args.get(name, "").strip()
        if not value or (name == "page" and value == "1"):
            continue
        kept.append((name, value))
    query = f"?{urlencode(kept)}" if kept else ""
    return base_url() + request.path + query


def _link(endpoint: str, **values) -> str:
    return base_url() + url_for(endpoint, **values)


def breadcrumbs(trail: list[tuple[str, str]]) -> dict:
    """BreadcrumbList from (name, absolute URL) pairs, home first."""
    items = [
        {"@type": "ListItem", "position": i, "name": name, "item": url}
        for i, (name, url) in enumerate(trail, start=1)
    ]
    return {"@context": CONTEXT, "@type": "BreadcrumbList", "itemListElement": items}


def _home() -> tuple[str, str]:
    return ("Home", _link("core.home"))


def physician(doctor, *, context: bool = False) -> dict:
    """A doctor as a schema.org Physician (the full object on the doctor's own page)."""
    data = {
        "@type": "Physician",
        "name": doctor.name,
        "url": _link("content.doctor", slug=doctor.slug),
    }
    if context:
        data = {"@context": CONTEXT, **data}
        if doctor.specialty:
            data["medicalSpecialty"] = doctor.specialty
        if doctor.bio:
            data["description"] = doctor.bio
        data["knowsAbout"] = [
            {"@type": "MedicalCondition", "name": c.name} for c in doctor.conditions
        ]
    return data


def condition_ref(condition) -> dict:
    return {
        "@type": "MedicalCondition",
        "name": condition.name,
        "url": _link("content.condition", slug=condition.slug),
    }


def article_page(article) -> Seo:
    """MedicalWebPage about the condition, by the author, reviewed by the doctor."""
    url = _link("content.article", slug=article.slug)
    page = {
        "@context": CONTEXT,
        "@type": "MedicalWebPage",
        "name": article.title,
        "headline": article.title,
        "url": url,
        "description": article.summary,
        "dateModified": article.updated_at.isoformat(),
        "publisher": {"@type": "Organization", "name": SITE_NAME},
    }
    if article.published_at:
        page["datePublished"] = article.published_at.isoformat()
    if article.author:
        page["author"] = {"@type": "Person", "name": article.author}
    if article.reviewer is not None:
        page["reviewedBy"] = physician(article.reviewer)
    if article.last_reviewed:
        page["lastReviewed"] = article.last_reviewed.isoformat()
    trail = [_home(), ("Articles", _link("content.article_list"))]
    if article.condition is not None:
        page["about"] = condition_ref(article.condition)
        trail.append(
            (article.condition.name, _link("content.condition", slug=article.condition.slug))
        )
    trail.append((article.title, url))
    return Seo(og_type="article", data=[page, breadcrumbs(trail)])


def rupees(paise: int) -> str:
    """A schema.org price: rupees with two decimals, no symbol or grouping ("719.00")."""
    return f"{paise // 100}.{paise % 100:02d}"


def product_page(product, offers) -> Seo:
    """Product with brand, SKU, images and one Offer per variant (MRP as strikethrough)."""
    url = _link("catalog.product", slug=product.slug)
    images = [absolute(image_url(img)) for img in product.images]
    data = {
        "@context": CONTEXT,
        "@type": "Product",
        "name": product.name,
        "url": url,
        "description": product.description,
        "brand": {"@type": "Brand", "name": product.brand or SITE_NAME},
        "category": product.category.name,
    }
    if images:
        data["image"] = images
    if product.variants:
        data["sku"] = product.variants[0].sku
    data["offers"] = [
        {
            "@type": "Offer",
            "sku": offer.variant.sku,
            "name": offer.variant.label,
            "url": url,
            "price": rupees(offer.price),
            "priceCurrency": "INR",
            "availability": STOCK[offer.variant.stock > 0],
            "itemCondition": "https://schema.org/NewCondition",
            "priceSpecification": {
                "@type": "UnitPriceSpecification",
                "priceType": "https://schema.org/StrikethroughPrice",
                "price": rupees(offer.variant.mrp),
                "priceCurrency": "INR",
            },
        }
        for offer in offers
    ]
    trail = [
        _home(),
        ("Products", _link("catalog.product_list")),
        (product.category.name, _link("catalog.product_list", category=product.category.slug)),
        (product.name, url),
    ]
    return Seo(
        og_type="product", image=images[0] if images else None, data=[data, breadcrumbs(trail)]
    )


def doctor_page(doctor) -> Seo:
    url = _link("content.doctor", slug=doctor.slug)
    trail = [_home(), ("Doctors", _link("content.doctor_list")), (doctor.name, url)]
    return Seo(og_type="profile", data=[physician(doctor, context=True), breadcrumbs(trail)])


def condition_page(condition) -> Seo:
    url = _link("content.condition", slug=condition.slug)
    page = {
        "@context": CONTEXT,
        "@type": "MedicalWebPage",
        "name": condition.name,
        "url": url,
        "description": condition.summary,
        "about": condition_ref(condition),
    }
    return Seo(data=[page, breadcrumbs([_home(), (condition.name, url)])])


def home_page() -> Seo:
    """Organization and WebSite with a SearchAction over /search."""
    home = _link("core.home")
    organization = {
        "@context": CONTEXT,
        "@type": "Organization",
        "name": SITE_NAME,
        "url": home,
        "logo": absolute(url_for("static", filename="favicon.svg")),
    }
    website = {
        "@context": CONTEXT,
        "@type": "WebSite",
        "name": SITE_NAME,
        "url": home,
        "potentialAction": {
            "@type": "SearchAction",
            "target": {
                "@type": "EntryPoint",
                "urlTemplate": base_url() + url_for("catalog.search") + "?q={search_term_string}",
            },
            "query-input": "required name=search_term_string",
        },
    }
    return Seo(data=[organization, website])


def question_page(data: dict, url: str) -> Seo:
    """A QAPage built by the questions package, with its canonical URL."""
    return Seo(og_type="article", data=[data], canonical=url)


def init_seo(app) -> None:
    app.jinja_env.filters["jsonld"] = jsonld
    app.jinja_env.globals["canonical_url"] = canonical_url
