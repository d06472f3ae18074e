"""Back office for delivery: the zones editor (audited) and the printable packing slip."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from shop.checkout.models import Order
from shop.delivery import rules, service
from shop.delivery.models import DeliveryZone
from shop.extensions import db
from shop.staff.audit import audit
from shop.staff.base import bp, get_or_404, menu_item

menu_item(36, "staff.delivery_zones", "Delivery zones")


def _typed() -> dict[str, str]:
    return {
        "prefix": request.form.get("prefix", "")[:20],
        "serviceable": "yes" if request.form.get("serviceable") == "yes" else "",
        "days_min": request.form.get("days_min", "")[:10],
        "days_max": request.form.get("days_max", "")[:10],
        "note": request.form.get("note", "")[:300],
    }


def _save(zone: DeliveryZone | None, values: dict[str, str]) -> DeliveryZone:
    return service.save_zone(
        zone,
        prefix=values["prefix"],
        serviceable=bool(values["serviceable"]),
        days_min=values["days_min"],
        days_max=values["days_max"],
        note=values["note"],
    )


def _list(status=200, values=None, errors=None):
    pincode = request.args.get("pincode", "").strip()[:20]
    answer, problem = None, None
    if pincode:
        problem = rules.pincode_problem(pincode)
        answer = None if problem else rules.serviceability(pincode, service.load_zones())
    return render_template(
        "delivery/staff_zones.html",
        zones=service.zones_in_order(),
        values=values or {"serviceable": "yes"},
        errors=errors or {},
        pincode=pincode,
        answer=answer,
        problem=problem,
    ), status


@bp.get("/delivery-zones/")
def delivery_zones():
    return _list()


@bp.post("/delivery-zones/")
def delivery_zone_add():
    values = _typed()
    try:
        zone = _save(None, values)
    except service.ZoneInvalid as invalid:
        db.session.rollback()
        return _list(invalid.status, values, invalid.errors)
    audit(
        "create",
        "delivery_zone",
        zone.prefix,
        after=service.zone_facts(zone),
        summary=f"Added delivery zone {zone.prefix}.",
    )
    db.session.commit()
    flash(f"Delivery zone {zone.prefix} added.", "success")
    return redirect(url_for("staff.delivery_zones"), 303)


def _edit(zone: DeliveryZone, status=200, values=None, errors=None):
    if values is None:
        facts = service.zone_facts(zone)
        values = {
            "prefix": zone.prefix,
            "serviceable": "yes" if zone.serviceable else "",
            "days_min": str(facts["days_min"] or ""),
            "days_max": str(facts["days_max"] or ""),
            "note": zone.note,
        }
    return render_template(
        "delivery/staff_zone_edit.html", zone=zone, values=values, errors=errors or {}
    ), status


@bp.get("/delivery-zones/<int:zone_id>")
def delivery_zone_edit(zone_id: int):
    return _edit(get_or_404(DeliveryZone, zone_id))


@bp.post("/delivery-zones/<int:zone_id>")
def delivery_zone_update(zone_id: int):
    zone = get_or_404(DeliveryZone, zone_id)
    before = service.zone_facts(zone)
    values = _typed()
    try:
        _save(zone, values)
    except service.ZoneInvalid as invalid:
        db.session.rollback()
        return _edit(get_or_404(DeliveryZone, zone_id), invalid.status, values, invalid.errors)
    audit(
        "update",
        "delivery_zone",
        zone.prefix,
        before=before,
        after=service.zone_facts(zone),
        summary=f"Changed delivery zone {zone.prefix}.",
    )
    db.session.commit()
    flash(f"Delivery zone {zone.prefix} saved.", "success")
    return redirect(url_for("staff.delivery_zones"), 303)


@bp.post("/delivery-zones/<int:zone_id>/delete")
def delivery_zone_delete(zone_id: int):
    zone = get_or_404(DeliveryZone, zone_id)
    before = service.zone_facts(zone)
    db.session.delete(zone)
    audit(
        "delete",
        "delivery_zone",
        before["prefix"],
        before=before,
        summary=f"Deleted delivery zone {before['prefix']}.",
    )
    db.session.commit()
    flash(f"Delivery zone {before['prefix']} deleted.", "success")
    return redirect(url_for("staff.delivery_zones"), 303)


@bp.get("/orders/<number>/packing-slip")
def order_packing_slip(number: str):
    """A printable packing slip: the address, the lines, no prices."""
    order = None
    if len(number) <= 20:
        order = db.session.scalar(select(Order).where(Order.number == number))
    if order is None:
        abort(404, description="There is no order with that number.")
    return render_template(
        "delivery/packing_slip.html", order=order, delivery=service.delivery_of(order)
    )
