"""The pincode check (`GET /delivery/check`) and the customer's address book."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from shop.delivery import service
from shop.delivery.rules import ADDRESS_FIELDS, STATES, AddressInvalid, validate_address
from shop.errors import ShopError
from shop.extensions import db

bp = Blueprint("delivery", __name__)


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.get("/delivery/check")
def check():
    """Whether we deliver to `pincode` and how fast; HTML for forms, JSON when asked."""
    pincode = request.args.get("pincode", "").strip()[:20]
    if not pincode and not _wants_json():
        return render_template("delivery/check.html", pincode="", answer=None, error=None)
    try:
        answer = service.check_pincode(pincode)
    except ShopError as error:
        if _wants_json():
            return {"error": "invalid_pincode", "message": error.message}, error.status
        return render_template(
            "delivery/check.html", pincode=pincode, answer=None, error=error.message
        ), error.status
    if _wants_json():
        return answer.as_dict()
    return render_template("delivery/check.html", pincode=pincode, answer=answer, error=None)


# --- the address book ------------------------------------------------------------------------


def _typed() -> dict[str, str]:
    values = {name: request.form.get(name, "")[:300] for name in ADDRESS_FIELDS}
    values["default"] = "yes" if request.form.get("default") == "yes" else ""
    return values


def _book(status=200, values=None, errors=None, error=None):
    return render_template(
        "delivery/addresses.html",
        addresses=service.addresses_of(current_user.id),
        values=values or {},
        errors=errors or {},
        error=error,
        states=STATES,
    ), status


@bp.get("/account/addresses")
@login_required
def addresses():
    return _book()


@bp.post("/account/addresses")
@login_required
def address_add():
    values = _typed()
    try:
        data = validate_address(values)
        service.add_address(current_user.id, data, default=bool(values["default"]))
    except AddressInvalid as invalid:
        db.session.rollback()
        return _book(422, values, invalid.errors, "Please correct the fields marked below.")
    except ShopError as error:
        db.session.rollback()
        return _book(error.status, values, {}, error.message)
    db.session.commit()
    flash("Address saved.", "success")
    return redirect(url_for("delivery.addresses"), 303)


def _edit_page(address_id: int, status=200, values=None, errors=None, error=None):
    return render_template(
        "delivery/address_edit.html",
        address_id=address_id,
        values=values,
        errors=errors or {},
        error=error,
        states=STATES,
    ), status


@bp.get("/account/addresses/<int:address_id>/edit")
@login_required
def address_edit(address_id: int):
    address = service.address_of(current_user.id, address_id)
    values = address.data().as_dict()
    values["default"] = "yes" if address.is_default else ""
    return _edit_page(address.id, values=values)


@bp.post("/account/addresses/<int:address_id>")
@login_required
def address_update(address_id: int):
    service.address_of(current_user.id, address_id)  # 404 before anything else
    values = _typed()
    try:
        data = validate_address(values)
    except AddressInvalid as invalid:
        return _edit_page(
            address_id, 422, values, invalid.errors, "Please correct the fields marked below."
        )
    service.update_address(current_user.id, address_id, data, default=bool(values["default"]))
    db.session.commit()
    flash("Address updated. Orders already placed keep the address they were sent to.", "success")
    return redirect(url_for("delivery.addresses"), 303)


@bp.post("/account/addresses/<int:address_id>/delete")
@login_required
def address_delete(address_id: int):
    service.delete_address(current_user.id, address_id)
    db.session.commit()
    flash("Address deleted.", "success")
    return redirect(url_for("delivery.addresses"), 303)


@bp.post("/account/addresses/<int:address_id>/default")
@login_required
def address_default(address_id: int):
    service.set_default(current_user.id, address_id)
    db.session.commit()
    flash("Default address changed.", "success")
    return redirect(url_for("delivery.addresses"), 303)


# --- the checkout form's delivery part -------------------------------------------------------


def checkout_context(form=None, errors: dict | None = None) -> dict:
    """What the checkout review needs to draw the delivery fields, typed values kept."""
    form = form or {}
    values = {name: (form.get(name) or "")[:300] for name in ADDRESS_FIELDS}
    saved = service.addresses_of(current_user.id) if current_user.is_authenticated else []
    chosen = (form.get("address_id") or "").strip()
    if not form and saved:
        chosen = str(saved[0].id)  # the default comes first
    return {
        "delivery_values": values,
        "delivery_errors": errors or {},
        "delivery_addresses": saved,
        "delivery_chosen": chosen,
        "delivery_states": STATES,
    }
