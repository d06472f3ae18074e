"""The order state machine (SPEC §7), in one place.

    pending_payment → paid → shipped → delivered
    pending_payment → cancelled                      (expired, failed or abandoned)
    paid | shipped | delivered → refunded | partially_refunded
    partially_refunded → refunded | partially_refunded (a further partial refund)
    partially_refunded → shipped                       (the rest of the order still ships)

`transition` is the only code that changes `Order.state`. It uses a conditional UPDATE
(`… WHERE state = <expected>`), so when a webhook and the success page race to mark the
same order paid, exactly one of them wins and records the event.
"""

from __future__ import annotations

from sqlalchemy import update

from shop.checkout.models import Order, OrderEvent
from shop.database import utcnow
from shop.extensions import db

TRANSITIONS: dict[str, frozenset[str]] = {
    "pending_payment": frozenset({"paid", "cancelled"}),
    "paid": frozenset({"shipped", "refunded", "partially_refunded"}),
    "shipped": frozenset({"delivered", "refunded", "partially_refunded"}),
    "delivered": frozenset({"refunded", "partially_refunded"}),
    # A partly refunded order may still hold goods to send (SPEC §7).
    "partially_refunded": frozenset({"shipped", "refunded", "partially_refunded"}),
    "cancelled": frozenset(),
    "refunded": frozenset(),
}


class InvalidTransition(Exception):
    def __init__(self, order: Order, to_state: str) -> None:
        super().__init__(f"Order {order.number} cannot go from {order.state} to {to_state}.")
        self.order = order
        self.to_state = to_state


def can_transition(from_state: str, to_state: str) -> bool:
    return to_state in TRANSITIONS.get(from_state, frozenset())


def transition(order: Order, to_state: str, *, actor: str, note: str = "") -> bool:
    """Move `order` to `to_state` and log it; False when another request got there first.

    Raises InvalidTransition when the state machine does not allow the move at all.
    """
    from_state = order.state
    if not can_transition(from_state, to_state):
        raise InvalidTransition(order, to_state)
    values = {"state": to_state, "updated_at": utcnow()}
    if to_state == "paid":
        values["paid_at"] = utcnow()
    result = db.session.execute(
        update(Order).where(Order.id == order.id, Order.state == from_state).values(**values)
    )
    if result.rowcount != 1:
        db.session.refresh(order)
        return False
    db.session.add(
        OrderEvent(
            order_id=order.id, actor=actor, from_state=from_state, to_state=to_state, note=note
        )
    )
    db.session.flush()
    db.session.refresh(order)
    return True


def record(order: Order, *, actor: str, note: str) -> None:
    """Log something that happened to an order without changing its state."""
    db.session.add(
        OrderEvent(
            order_id=order.id, actor=actor, from_state=order.state, to_state=order.state, note=note
        )
    )
    db.session.flush()
