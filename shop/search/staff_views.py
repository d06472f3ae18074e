"""Back office: the search synonyms (/staff/search/synonyms/), listed, added, edited, deleted.

Every change goes through `save_audited` (deletions through `audit`), and a refused form
answers 422 and writes nothing. A phrase may belong to one group only, so a search for
it always widens the same way.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import TextAreaField
from wtforms.validators import DataRequired

from shop.extensions import db
from shop.search.models import SearchSynonym
from shop.search.synonyms import MAX_WORDS_LENGTH, parse_group, stored_words
from shop.staff.audit import audit, snapshot
from shop.staff.base import bp, get_or_404, menu_item
from shop.staff.fields import add_error, clean
from shop.staff.lists import staff_page
from shop.staff.saving import Tracked, render_invalid, save_audited

menu_item(16, "staff.synonym_list", "Search synonyms")

KIND = "search_synonym"


class SynonymForm(FlaskForm):
    words = TextAreaField(
        "Words that mean the same",
        filters=[clean],
        validators=[DataRequired("Enter the words, separated by commas.")],
        description=(
            "Separated by commas, e.g. “turmeric, haldi, हल्दी”. A search for any of them "
            f"finds what the others find. Up to {MAX_WORDS_LENGTH} characters."
        ),
    )


def _taken_elsewhere(phrases: list[tuple[str, ...]], own_id: int | None) -> list[str]:
    """Phrases of this group that another group already has."""
    wanted = {" ".join(p) for p in phrases}
    clash: list[str] = []
    stmt = select(SearchSynonym).where(SearchSynonym.id != (own_id or 0))
    for other in db.session.scalars(stmt):
        clash += [f"“{p}” is already in “{other.words}”." for p in other.phrases if p in wanted]
    return clash


def _page(obj, form, status: int = 200):
    return render_template("staff/search/synonym_form.html", obj=obj, form=form), status


def _save(obj: SearchSynonym | None):
    if request.method == "GET":
        return _page(obj, SynonymForm(obj=obj))
    form = SynonymForm()
    ok = form.validate()
    own_id = obj.id if obj is not None else None
    phrases: list[tuple[str, ...]] = []
    if ok:
        phrases, problems = parse_group(form.words.data)
        problems += _taken_elsewhere(phrases, own_id)
        for problem in problems:
            add_error(form.words, problem)
        ok = not problems
    if not ok:
        return render_invalid(
            lambda: _page(None if own_id is None else get_or_404(SearchSynonym, own_id), form, 422)
        )
    before = None if obj is None else snapshot(obj)
    if obj is None:
        obj = SearchSynonym()
        db.session.add(obj)
    obj.words = stored_words(phrases)

    def summary(o, fields):
        return f"Synonyms {o.words}" if before is None else f"Synonyms now {o.words}"

    refused = save_audited(
        Tracked(KIND, obj, before, snapshot, summary),
        saved=f"Saved synonyms: {obj.words}.",
        conflict=lambda: _page(obj, form, 409),
    )
    return refused or redirect(url_for("staff.synonym_list"), 303)


@bp.get("/search/synonyms/")
def synonym_list():
    page = staff_page(
        select(SearchSynonym).order_by(SearchSynonym.words, SearchSynonym.id),
        search_columns=(SearchSynonym.words,),
    )
    return render_template(
        "staff/search/synonym_list.html", page=page, q=request.args.get("q", "").strip()
    )


@bp.route("/search/synonyms/new", methods=["GET", "POST"])
def synonym_new():
    return _save(None)


@bp.route("/search/synonyms/<int:synonym_id>", methods=["GET", "POST"])
def synonym_edit(synonym_id: int):
    return _save(get_or_404(SearchSynonym, synonym_id))


@bp.post("/search/synonyms/<int:synonym_id>/delete")
def synonym_delete(synonym_id: int):
    obj = get_or_404(SearchSynonym, synonym_id)
    before = snapshot(obj)
    db.session.delete(obj)
    db.session.flush()
    audit("delete", KIND, synonym_id, before=before, summary=f"Deleted synonyms {obj.words}")
    db.session.commit()
    flash(f"Deleted synonyms: {before['words']}.", "success")
    return redirect(url_for("staff.synonym_list"), 303)
