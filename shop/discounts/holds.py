"""Coupon uses held by orders: hold at placing, finalise at payment, release otherwise.

`coupons.uses` counts held plus final uses and is kept in step with the redemptions by
conditional UPDATEs. Everything after the hold goes by the redemption's `coupon_id`,
never by the code, so a code that staff rename meanwhile is still given back correctly.
"""

from __future__ import annotations

from sqlalchemy import func, select, update

from shop.database import utcnow
from shop.discounts.models import Coupon, CouponRedemption
from shop.errors import ShopError
from shop.extensions import db

IN_USE = (CouponRedemption.HELD, CouponRedemption.FINAL)


def hold_coupon_use(code: str, *, customer_key: str, order_id: int, amount: int) -> int:
    """Take one use of the coupon for an order; the coupon's id. 409 when none is left."""
    coupon = db.session.scalar(select(Coupon).where(Coupon.code == Coupon.normalise(code)))
    if coupon is None:
        raise ShopError(409, f"The coupon {code} no longer exists. Remove it from your cart.")
    taken = db.session.execute(
        update(Coupon)
        .where(
            Coupon.id == coupon.id,
            (Coupon.usage_limit.is_(None)) | (Coupon.uses < Coupon.usage_limit),
        )
        .values(uses=Coupon.uses + 1)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        raise ShopError(
            409,
            f"Sorry, {coupon.code} has just been used up. Remove it from your cart to continue.",
        )
    # The UPDATE above locks the coupon's row until commit, so this count cannot race.
    if coupon.per_customer_limit is not None:
        used = db.session.scalar(
            select(func.count()).where(
                CouponRedemption.coupon_id == coupon.id,
                CouponRedemption.customer_key == customer_key,
                CouponRedemption.state.in_(IN_USE),
            )
        )
        if used >= coupon.per_customer_limit:
            raise ShopError(
                409,
                f"You have already used {coupon.code} as often as "
                "allowed. Remove it from your cart to continue.",
            )
    db.session.add(
        CouponRedemption(
            coupon_id=coupon.id, customer_key=customer_key, order_id=order_id, amount=amount
        )
    )
    db.session.flush()
    return coupon.id


def finalise_coupon_use(order_id: int) -> None:
    """The order was paid: its held use becomes final (it keeps counting)."""
    db.session.execute(
        update(CouponRedemption)
        .where(
            CouponRedemption.order_id == order_id,
            CouponRedemption.state == CouponRedemption.HELD,
        )
        .values(state=CouponRedemption.FINAL, updated_at=utcnow())
    )


def release_coupon_use(order_id: int) -> None:
    """The order will not be paid: give its held use back to the coupon it came from."""
    held = db.session.execute(
        select(CouponRedemption.id, CouponRedemption.coupon_id).where(
            CouponRedemption.order_id == order_id,
            CouponRedemption.state == CouponRedemption.HELD,
        )
    ).all()
    for redemption_id, coupon_id in held:
        # Conditional on still being held, so two releases never give the use back twice.
        released = db.session.execute(
            update(CouponRedemption)
            .where(
                CouponRedemption.id == redemption_id,
                CouponRedemption.state == CouponRedemption.HELD,
            )
            .values(state=CouponRedemption.RELEASED, updated_at=utcnow())
        )
        if released.rowcount == 1:
            db.session.execute(
                update(Coupon)
                .where(Coupon.id == coupon_id, Coupon.uses > 0)
                .values(uses=Coupon.uses - 1)
                .execution_options(synchronize_session=False)
            )
