"""The order state machine (SPEC §7), in one place.

    pending_payment → paid → shipped → delivered
    pending_payment → cancelled                      (expired, failed or abandoned)
    paid | shipped | delivered → refunded | partially_refunded
    partially_refunded → refunded | partially_refunded (a further partial refund)
    partially_refunded → shipped | delivered         (the rest still goes out, then arrives)

Shipping and delivery each happen once: `next_fulfilment_step` reads the order's
history, so a partly refunded order that already went out is never "shipped" again.

`transition` is the only code that changes `Order.state`. It uses a conditional UPDATE
(`… WHERE state = <expected>`), so when a webhook and the success page race to mark the
same order paid, exactly one of them wins and records the event.

Every set of states other modules ask about (refundable, shippable, …) is derived from
`TRANSITIONS` below, so a new state or move changes them all at once.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import update

from shop.database import utcnow
from shop.extensions import db

if TYPE_CHECKING:
    from shop.checkout.models import Order


class OrderState(StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"


S = OrderState
TRANSITIONS: dict[OrderState, frozenset[OrderState]] = {
    S.PENDING_PAYMENT: frozenset({S.PAID, S.CANCELLED}),
    S.PAID: frozenset({S.SHIPPED, S.REFUNDED, S.PARTIALLY_REFUNDED}),
    S.SHIPPED: frozenset({S.DELIVERED, S.REFUNDED, S.PARTIALLY_REFUNDED}),
    S.DELIVERED: frozenset({S.REFUNDED, S.PARTIALLY_REFUNDED}),
    S.PARTIALLY_REFUNDED: frozenset({S.SHIPPED, S.DELIVERED, S.REFUNDED, S.PARTIALLY_REFUNDED}),
    S.CANCELLED: frozenset(),
    S.REFUNDED: frozenset(),
}


def states_that_can_reach(target: OrderState) -> frozenset[OrderState]:
    """Every state with a direct move to `target`."""
    return frozenset(state for state, targets in TRANSITIONS.items() if target in targets)


#: Unpaid orders that still hold stock and may be paid or abandoned.
OPEN = states_that_can_reach(S.PAID)
#: Money was taken and some of it can still go back.
REFUNDABLE = states_that_can_reach(S.REFUNDED)
#: Paid and not yet on its way (a partly refunded order still ships the rest).
SHIPPABLE = states_that_can_reach(S.SHIPPED)


FULFILMENT = (S.SHIPPED, S.DELIVERED)


def next_fulfilment_step(order: Order) -> OrderState | None:
    """`shipped`, then `delivered`, each once, when the order's state allows it; else None.

    The state alone cannot say whether a partly refunded order has gone out yet, so the
    order's logged moves decide.
    """
    reached = {event.to_state for event in order.events}
    step = next((step for step in FULFILMENT if step not in reached), None)
    if step is None or not can_transition(order.state, step):
        return None
    return step


class InvalidTransition(Exception):
    def __init__(self, order: Order, to_state: str) -> None:
        super().__init__(f"Order {order.number} cannot go from {order.state} to {to_state}.")
        self.order = order
        self.to_state = to_state


def can_transition(from_state: str, to_state: str) -> bool:
    return to_state in TRANSITIONS.get(from_state, frozenset())


def transition(order: Order, to_state: OrderState, *, actor: str, note: str = "") -> bool:
    """Move `order` to `to_state` and log it; False when another request got there first.

    Raises InvalidTransition when the state machine does not allow the move at all.
    """
    from shop.checkout.models import Order, OrderEvent

    from_state = order.state
    if not can_transition(from_state, to_state):
        raise InvalidTransition(order, to_state)
    values = {"state": str(to_state), "updated_at": utcnow()}
    if to_state == S.PAID:
        values["paid_at"] = utcnow()
    result = db.session.execute(
        update(Order).where(Order.id == order.id, Order.state == from_state).values(**values)
    )
    if result.rowcount != 1:
        db.session.refresh(order)
        return False
    db.session.add(
        OrderEvent(
            order_id=order.id,
            actor=actor,
            from_state=from_state,
            to_state=str(to_state),
            note=note,
        )
    )
    db.session.flush()
    db.session.refresh(order)
    return True


def record(order: Order, *, actor: str, note: str) -> None:
    """Log something that happened to an order without changing its state."""
    from shop.checkout.models import OrderEvent

    db.session.add(
        OrderEvent(
            order_id=order.id, actor=actor, from_state=order.state, to_state=order.state, note=note
        )
    )
    db.session.flush()
