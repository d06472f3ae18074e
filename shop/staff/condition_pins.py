"""Back office: the products pinned to the top of a condition's page, in staff's order.

A pin is `product_conditions.pin_position` (1, 2, …) on a product already linked to the
condition; the condition page shows pinned products first, then best sellers
(`shop.catalog.queries.condition_products`). Staff type product slugs, one per line; a
slug that names no product, or a product not linked to the condition, is refused (422,
nothing written). A change is audited and makes cached pages stale.
"""

from __future__ import annotations

import re

from flask import flash, redirect, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select, update
from wtforms import TextAreaField

from shop.cache import bump_content_version
from shop.catalog.models import Product, product_conditions
from shop.catalog.queries import CONDITION_PRODUCTS
from shop.content.models import Condition
from shop.extensions import db
from shop.staff.audit import audit
from shop.staff.base import bp, get_or_404
from shop.staff.fields import add_error, clean

MAX_PINS = CONDITION_PRODUCTS  # no more than the page shows


class PinForm(FlaskForm):
    products = TextAreaField(
        "Pinned products",
        filters=[clean],
        description=f"Product slugs, one per line, shown first in this order (at most "
        f"{MAX_PINS}). Each must already be linked to this condition. Empty: no pins.",
    )


def pinned_slugs(condition_id: int) -> list[str]:
    """The slugs pinned on a condition, in their order."""
    return list(
        db.session.scalars(
            select(Product.slug)
            .join(product_conditions, product_conditions.c.product_id == Product.id)
            .where(
                product_conditions.c.condition_id == condition_id,
                product_conditions.c.pin_position.is_not(None),
            )
            .order_by(product_conditions.c.pin_position)
        )
    )


def pins_context(condition: Condition, form: PinForm | None = None) -> dict:
    """What the condition's edit page needs to show the pin form."""
    if form is None:
        form = PinForm(formdata=None, data={"products": "\n".join(pinned_slugs(condition.id))})
    return {
        "pin_form": form,
        "pin_action": url_for("staff.condition_pins", condition_id=condition.id),
    }


def parse_slugs(text: str) -> list[str]:
    return [slug for slug in re.split(r"[\s,]+", text or "") if slug]


def check_pins(condition_id: int, slugs: list[str]) -> tuple[list[int], list[str]]:
    """Product ids in the order of `slugs`, and what is wrong with them."""
    problems = []
    if len(slugs) > MAX_PINS:
        problems.append(f"Pin at most {MAX_PINS} products; {len(slugs)} were given.")
    repeated = sorted({s for s in slugs if slugs.count(s) > 1})
    if repeated:
        problems.append(f"Each product once: {', '.join(repeated)} appear more than once.")
    rows = db.session.execute(
        select(Product.slug, Product.id, product_conditions.c.condition_id)
        .outerjoin(
            product_conditions,
            (product_conditions.c.product_id == Product.id)
            & (product_conditions.c.condition_id == condition_id),
        )
        .where(Product.slug.in_(slugs))
    ).all()
    found = {slug: (product_id, linked) for slug, product_id, linked in rows}
    unknown = [s for s in slugs if s not in found]
    if unknown:
        problems.append(f"No product has the slug {', '.join(unknown)}.")
    unlinked = [s for s in slugs if s in found and found[s][1] is None]
    if unlinked:
        problems.append(
            f"Not linked to this condition: {', '.join(unlinked)}. Add the condition on the "
            "product's page first."
        )
    return [found[s][0] for s in dict.fromkeys(slugs) if s in found], problems


@bp.post("/conditions/<int:condition_id>/pins")
def condition_pins(condition_id: int):
    from shop.staff.taxonomy import CONDITIONS, _simple_page

    condition = get_or_404(Condition, condition_id)
    form = PinForm()
    slugs = parse_slugs(form.products.data) if form.validate() else []
    ids, problems = check_pins(condition_id, slugs)
    if form.errors or problems:
        for problem in problems:
            add_error(form.products, problem)
        edit_form = CONDITIONS.form(formdata=None, obj=condition)
        return _simple_page(CONDITIONS, condition, edit_form, 422, pin_form=form)
    before = pinned_slugs(condition_id)
    if before != slugs:
        links = product_conditions.c
        db.session.execute(
            update(product_conditions)
            .where(links.condition_id == condition_id, links.pin_position.is_not(None))
            .values(pin_position=None)
        )
        for position, product_id in enumerate(ids, start=1):
            db.session.execute(
                update(product_conditions)
                .where(links.condition_id == condition_id, links.product_id == product_id)
                .values(pin_position=position)
            )
        bump_content_version(db.session)
        db.session.info["content_version_bumped"] = True
        audit(
            "pin",
            "condition",
            condition_id,
            before={"pinned": before},
            after={"pinned": slugs},
            summary=f"Pinned {len(slugs)} products on {condition.slug}"
            if slugs
            else f"Removed the pins of {condition.slug}",
        )
        db.session.commit()
    flash(f"Saved the pinned products of {condition.name}.", "success")
    return redirect(url_for("staff.condition_edit", condition_id=condition_id), 303)
