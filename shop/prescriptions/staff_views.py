"""The pharmacists' queue: `/staff/prescriptions/` (role `pharmacist`, and admins).

Orders awaiting review, oldest authorisation first; each opens to its lines, customer,
delivery details and the uploaded file (downloaded, never shown inline), with Approve
(capture → paid) and Reject (a reason for the customer → authorisation released,
order cancelled). A decision on an order that is no longer in review is a 409; a
failed capture leaves the order in review with Stripe's error on the page.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from shop.accounts.guards import require_role
from shop.checkout.models import Order, looks_like_order_number
from shop.checkout.states import IN_REVIEW
from shop.errors import ShopError
from shop.extensions import db
from shop.prescriptions import files
from shop.prescriptions import service as review
from shop.prescriptions.models import Prescription
from shop.prescriptions.views import send_prescription
from shop.staff.base import menu, menu_item

bp = Blueprint("prescriptions_staff", __name__, url_prefix="/staff/prescriptions")
menu_item(6, "prescriptions_staff.queue", "Prescriptions", admin_only=True)
bp.context_processor(menu)  # the back office's layout and menu, for admins here too
RECENT = 20


@bp.before_request
def pharmacists_only():
    require_role(
        lambda user: user.is_pharmacist, "This page is for Remedy Shop pharmacists and admins."
    )


def actor() -> str:
    return f"pharmacist:{current_user.email}"


@bp.get("/")
def queue():
    waiting = db.session.execute(
        select(Order, Prescription)
        .join(Prescription, Prescription.order_id == Order.id)
        .where(Order.state.in_([str(state) for state in IN_REVIEW]))
        .order_by(Prescription.authorised_at, Order.id)
    ).all()
    decided = db.session.execute(
        select(Order, Prescription)
        .join(Prescription, Prescription.order_id == Order.id)
        .where(Prescription.decision.is_not(None))
        .order_by(Prescription.decided_at.desc())
        .limit(RECENT)
    ).all()
    return render_template("prescriptions/queue.html", waiting=waiting, decided=decided)


def _order_or_404(number: str) -> tuple[Order, Prescription]:
    order = (
        db.session.scalar(select(Order).where(Order.number == number))
        if looks_like_order_number(number)
        else None
    )
    prescription = files.prescription_of(order.id) if order is not None else None
    if prescription is None:
        abort(404, description="There is no prescription order with that number.")
    return order, prescription


def _detail(order: Order, prescription: Prescription, status: int = 200, problem: str = ""):
    return render_template(
        "prescriptions/detail.html",
        order=order,
        rx=prescription,
        in_review=order.state in IN_REVIEW,
        problem=problem,
        reason=request.form.get("reason", "") if request.method == "POST" else "",
    ), status


@bp.get("/<number>")
def detail(number: str):
    return _detail(*_order_or_404(number))


@bp.get("/<number>/file")
def file(number: str):
    return send_prescription(*_order_or_404(number))


def _decide(number: str, decide) -> object:
    order, prescription = _order_or_404(number)
    try:
        decide(order)
    except ShopError as error:
        db.session.rollback()
        db.session.expire_all()
        order, prescription = _order_or_404(number)
        return _detail(order, prescription, error.status, error.message)
    db.session.commit()
    return redirect(url_for("prescriptions_staff.queue"), 303)


@bp.post("/<number>/approve")
def approve(number: str):
    def decide(order: Order) -> None:
        review.approve(order, actor=actor())
        flash(f"Order {order.number} approved: payment captured, invoice issued.", "success")

    return _decide(number, decide)


@bp.post("/<number>/reject")
def reject(number: str):
    def decide(order: Order) -> None:
        review.reject(order, request.form.get("reason", ""), actor=actor())
        flash(f"Order {order.number} rejected; the customer was e-mailed the reason.", "success")

    return _decide(number, decide)
