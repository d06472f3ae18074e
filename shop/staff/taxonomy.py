"""Back office: categories and conditions, the same list / create / edit / delete screens."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from shop.catalog.models import Category, Product, product_conditions
from shop.content.models import Article, Condition, doctor_conditions
from shop.discounts.models import coupon_categories, sale_categories
from shop.extensions import db
from shop.staff.audit import audit, snapshot
from shop.staff.base import bp, get_or_404, menu_item
from shop.staff.fields import add_error, clean, slug_field
from shop.staff.lists import staff_page
from shop.staff.products.service import slug_taken
from shop.staff.saving import Tracked, save_audited

menu_item(12, "staff.category_list", "Categories")
menu_item(14, "staff.condition_list", "Conditions")

MAX_TEXT = 20_000


class CategoryForm(FlaskForm):
    slug = slug_field("The category's address: /products/?category=<slug>.")
    name = StringField(
        "Name", filters=[clean], validators=[DataRequired("Enter a name."), Length(max=200)]
    )
    description = TextAreaField("Description", filters=[clean], validators=[Length(max=MAX_TEXT)])
    position = IntegerField(
        "Position in menus",
        default=0,
        validators=[
            InputRequired("Enter a position, like 0."),
            NumberRange(0, 10_000, "Use a number from 0 to 10,000."),
        ],
    )


class ConditionForm(FlaskForm):
    slug = slug_field("The condition's page: /conditions/<slug>.")
    name = StringField(
        "Name", filters=[clean], validators=[DataRequired("Enter a name."), Length(max=200)]
    )
    summary = TextAreaField("Summary", filters=[clean], validators=[Length(max=MAX_TEXT)])


def count_uses(columns: tuple[tuple[str, Any], ...], ids: list[int]) -> dict[int, dict[str, int]]:
    """For each id: kind → how many rows point at it, one grouped query per kind."""
    uses: dict[int, dict[str, int]] = {object_id: {} for object_id in ids}
    for kind, column in columns:
        rows = db.session.execute(
            select(column, func.count()).where(column.in_(ids)).group_by(column)
        )
        for object_id, count in rows:
            uses[object_id][kind] = count
    return uses


def describe_uses(uses: dict[str, int]) -> list[str]:
    return [f"{n} {kind}{'s' if n > 1 else ''}" for kind, n in uses.items() if n]


@dataclass(frozen=True)
class SimpleScreen:
    """How the list/create/edit/delete screens of one plain model behave."""

    model: type
    form: type[FlaskForm]
    kind: str  # "category": the audit object type and the endpoints' prefix
    title: str  # "Categories"
    fields: tuple[str, ...]
    used_by: tuple[tuple[str, Any], ...]  # (kind, column pointing at this model's id)
    order_by: tuple
    public_url: Callable[[Any], str]
    # More for an existing row's edit page: (row, **overrides) → template context.
    extra: Callable[..., dict] | None = None

    def endpoint(self, action: str) -> str:
        return f"staff.{self.kind}_{action}"

    def uses(self, object_id: int) -> list[str]:
        return describe_uses(count_uses(self.used_by, [object_id])[object_id])


CATEGORIES = SimpleScreen(
    Category,
    CategoryForm,
    "category",
    "Categories",
    ("slug", "name", "description", "position"),
    (
        ("product", Product.category_id),
        ("sale", sale_categories.c.category_id),
        ("coupon", coupon_categories.c.category_id),
    ),
    (Category.position, Category.name),
    lambda c: url_for("catalog.product_list", category=c.slug),
)
CONDITIONS = SimpleScreen(
    Condition,
    ConditionForm,
    "condition",
    "Conditions",
    ("slug", "name", "summary"),
    (
        ("article", Article.condition_id),
        ("product", product_conditions.c.condition_id),
        ("doctor", doctor_conditions.c.condition_id),
    ),
    (Condition.name,),
    lambda c: url_for("content.condition", slug=c.slug),
    lambda c, **overrides: _condition_pins(c, **overrides),
)


def _condition_pins(condition: Condition, pin_form=None) -> dict:
    from shop.staff.condition_pins import pins_context

    return pins_context(condition, pin_form)


def _simple_list(screen: SimpleScreen):
    model = screen.model
    page = staff_page(
        select(model).order_by(*screen.order_by, model.id), search_columns=(model.name, model.slug)
    )
    counts = count_uses(screen.used_by, [obj.id for obj in page.items])
    uses = {object_id: describe_uses(kinds) for object_id, kinds in counts.items()}
    return render_template(
        "staff/catalog/simple_list.html",
        screen=screen,
        page=page,
        uses=uses,
        q=request.args.get("q", "").strip(),
    )


def _simple_page(
    screen: SimpleScreen, obj, form, status: int = 200, problem: str = "", **overrides
):
    if status >= 400:
        db.session.rollback()
        obj = obj if obj is None else get_or_404(screen.model, obj.id)
    uses = screen.uses(obj.id) if obj is not None else []
    extra = screen.extra(obj, **overrides) if screen.extra and obj is not None else {}
    return render_template(
        "staff/catalog/simple_form.html",
        screen=screen,
        obj=obj,
        form=form,
        uses=uses,
        problem=problem,
        **extra,
    ), status


def _summary(obj, fields: list[str], before: dict | None) -> str:
    return f"Created {obj.slug}" if before is None else f"Changed {', '.join(fields)} of {obj.slug}"


def _simple_save(screen: SimpleScreen, obj):
    """Create (obj None) or edit one row from its form, with an audit entry."""
    if request.method == "GET":
        return _simple_page(screen, obj, screen.form(obj=obj))
    form = screen.form()
    ok = form.validate()
    own_id = obj.id if obj is not None else None
    slug = form.slug.data
    if slug and not form.slug.errors and slug_taken(screen.model.slug, slug, own_id):
        add_error(form.slug, f"Another {screen.kind} already uses this slug.")
        ok = False
    if not ok:
        return _simple_page(screen, obj, form, 422)
    before = None if obj is None else snapshot(obj)
    if obj is None:
        obj = screen.model()
        db.session.add(obj)
    for name in screen.fields:
        setattr(obj, name, getattr(form, name).data)

    def conflict():
        add_error(form.slug, f"Another {screen.kind} has just taken this slug.")
        return _simple_page(screen, None if own_id is None else obj, form, 409)

    tracked = Tracked(screen.kind, obj, before, snapshot, lambda o, f: _summary(o, f, before))
    refused = save_audited(tracked, saved=f"Saved {obj.name}.", conflict=conflict)
    return refused or redirect(url_for(screen.endpoint("list")), 303)


def _simple_delete(screen: SimpleScreen, object_id: int):
    """Delete a row nothing uses; otherwise explain what still uses it (409)."""
    obj = get_or_404(screen.model, object_id)
    uses = screen.uses(obj.id)
    if uses:
        problem = (
            f"This {screen.kind} is still used by {', '.join(uses)}; move or remove those first."
        )
        return _simple_page(screen, obj, screen.form(formdata=None, obj=obj), 409, problem)
    before = snapshot(obj)
    db.session.delete(obj)
    db.session.flush()
    audit("delete", screen.kind, object_id, before=before, summary=f"Deleted {before['slug']}")
    db.session.commit()
    flash(f"Deleted {before['name']}.", "success")
    return redirect(url_for(screen.endpoint("list")), 303)


@bp.get("/categories/")
def category_list():
    return _simple_list(CATEGORIES)


@bp.route("/categories/new", methods=["GET", "POST"])
def category_new():
    return _simple_save(CATEGORIES, None)


@bp.route("/categories/<int:category_id>", methods=["GET", "POST"])
def category_edit(category_id: int):
    return _simple_save(CATEGORIES, get_or_404(Category, category_id))


@bp.post("/categories/<int:category_id>/delete")
def category_delete(category_id: int):
    return _simple_delete(CATEGORIES, category_id)


@bp.get("/conditions/")
def condition_list():
    return _simple_list(CONDITIONS)


@bp.route("/conditions/new", methods=["GET", "POST"])
def condition_new():
    return _simple_save(CONDITIONS, None)


@bp.route("/conditions/<int:condition_id>", methods=["GET", "POST"])
def condition_edit(condition_id: int):
    return _simple_save(CONDITIONS, get_or_404(Condition, condition_id))


@bp.post("/conditions/<int:condition_id>/delete")
def condition_delete(condition_id: int):
    return _simple_delete(CONDITIONS, condition_id)
