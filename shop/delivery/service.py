"""Delivery services: serviceability, the address book, the order's snapshot, shipping.

Services take plain values and raise `ShopError`; the caller commits.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import current_app, url_for
from sqlalchemy import select, update

from shop.checkout.models import Order
from shop.database import utcnow
from shop.delivery import rules
from shop.delivery.models import Address, DeliveryZone, OrderDelivery
from shop.delivery.rules import AddressData, Serviceability
from shop.errors import ShopError
from shop.extensions import db
from shop.mail import send_mail

MAX_ADDRESSES = 20  # per customer: an address book, not a mailing list
MAX_ID = 2**31 - 1

# --- serviceability ------------------------------------------------------------------------------


def load_zones() -> list[rules.Zone]:
    rows = db.session.execute(
        select(
            DeliveryZone.prefix,
            DeliveryZone.days_min,
            DeliveryZone.days_max,
            DeliveryZone.serviceable,
        )
    ).all()
    return [rules.Zone(*row) for row in rows]


def check_pincode(pincode: str) -> Serviceability:
    """Serviceability of a pincode; ShopError(422) when it is not a valid PIN code."""
    pincode = (pincode or "").strip()
    problem = rules.pincode_problem(pincode[:20])
    if problem:
        raise ShopError(422, problem)
    return rules.serviceability(pincode, load_zones())


def require_serviceable(address: AddressData) -> Serviceability:
    """Refuse (422) an address we cannot deliver to, before anything is held."""
    answer = rules.serviceability(address.pincode, load_zones())
    if not answer.serviceable:
        raise ShopError(
            422,
            f"{answer.message} Please use another delivery address, or contact us.",
        )
    return answer


# --- the address book ----------------------------------------------------------------------------


def addresses_of(user_id: int) -> list[Address]:
    return list(
        db.session.scalars(
            select(Address)
            .where(Address.user_id == user_id)
            .order_by(Address.is_default.desc(), Address.id)
        )
    )


def address_of(user_id: int, address_id: int | str | None) -> Address:
    """The customer's own address with this id; anyone else's, or none, is a 404."""
    text = str(address_id or "").strip()
    number = int(text) if text.isdigit() and len(text) <= 10 else 0
    address = db.session.get(Address, number) if 0 < number <= MAX_ID else None
    if address is None or address.user_id != user_id:
        raise ShopError(404, "We could not find that address in your address book.")
    return address


def _write(address: Address, data: AddressData) -> None:
    for name, value in data.as_dict().items():
        setattr(address, name, value)


def _make_default(user_id: int, address: Address) -> None:
    db.session.execute(
        update(Address)
        .where(Address.user_id == user_id, Address.id != address.id)
        .values(is_default=False)
        .execution_options(synchronize_session="fetch")
    )
    address.is_default = True


def add_address(user_id: int, data: AddressData, *, default: bool = False) -> Address:
    mine = addresses_of(user_id)
    if len(mine) >= MAX_ADDRESSES:
        raise ShopError(
            409, f"Your address book is full ({MAX_ADDRESSES} addresses). Delete one first."
        )
    address = Address(user_id=user_id)
    _write(address, data)
    db.session.add(address)
    db.session.flush()
    if default or not mine:  # the first address is the default
        _make_default(user_id, address)
    db.session.flush()
    return address


def update_address(
    user_id: int, address_id, data: AddressData, *, default: bool = False
) -> Address:
    address = address_of(user_id, address_id)
    _write(address, data)
    if default:
        _make_default(user_id, address)
    db.session.flush()
    return address


def delete_address(user_id: int, address_id) -> None:
    """Delete one address; orders keep their own copy, so none of them changes."""
    address = address_of(user_id, address_id)
    was_default = address.is_default
    db.session.delete(address)
    db.session.flush()
    if was_default:
        rest = addresses_of(user_id)
        if rest:
            _make_default(user_id, rest[0])
            db.session.flush()


def set_default(user_id: int, address_id) -> Address:
    address = address_of(user_id, address_id)
    _make_default(user_id, address)
    db.session.flush()
    return address


# --- checkout ------------------------------------------------------------------------------------


def checkout_address(
    values: Mapping[str, str], user_id: int | None
) -> tuple[AddressData, Serviceability]:
    """The delivery address a checkout form names: a saved one (`address_id`, only the
    customer's own: 404 otherwise) or the fields typed in (AddressInvalid with each
    field's problem). Then refuse (422) a pincode we do not serve. Writes nothing."""
    address_id = (values.get("address_id") or "").strip()
    if address_id and address_id != "new":
        if user_id is None:
            raise ShopError(404, "We could not find that address in your address book.")
        data = address_of(user_id, address_id).data()
    else:
        data = rules.validate_address(values)
    return data, require_serviceable(data)


def remember_address(user_id: int, data: AddressData) -> None:
    """Keep an address typed at checkout in the customer's book (once, while there is room)."""
    mine = addresses_of(user_id)
    if len(mine) < MAX_ADDRESSES and all(a.data() != data for a in mine):
        add_address(user_id, data)


def attach_to_order(order: Order, data: AddressData) -> OrderDelivery:
    """Freeze the delivery details on a new order (in the order's transaction)."""
    answer = require_serviceable(data)
    delivery = OrderDelivery(
        order_id=order.id,
        state_label=data.state_name,
        days_min=answer.days_min,
        days_max=answer.days_max,
        **data.as_dict(),
    )
    db.session.add(delivery)
    db.session.flush()
    return delivery


def same_delivery(order: Order, data: AddressData | None) -> bool:
    """Does an open order go where this checkout asks (both without an address too)?"""
    delivery = delivery_of(order)
    return (delivery.data() if delivery else None) == data


def delivery_of(order: Order) -> OrderDelivery | None:
    return db.session.scalar(select(OrderDelivery).where(OrderDelivery.order_id == order.id))


def stripe_shipping(order: Order) -> dict | None:
    """The order's address as Stripe's `payment_intent_data.shipping`, or None."""
    delivery = delivery_of(order)
    if delivery is None:
        return None
    address = {
        "line1": delivery.line1,
        "city": delivery.city,
        "state": delivery.state_label,
        "postal_code": delivery.pincode,
        "country": "IN",
    }
    if delivery.line2:
        address["line2"] = delivery.line2
    return {"name": delivery.name, "phone": delivery.phone, "address": address}


# --- fulfilment ----------------------------------------------------------------------------------


def shipping_problems(carrier: str, tracking_number: str) -> dict[str, str]:
    errors = {}
    if not carrier:
        errors["carrier"] = "Choose the courier."
    elif carrier not in rules.CARRIERS:
        errors["carrier"] = "Choose a courier from the list."
    if not tracking_number:
        errors["tracking_number"] = "Enter the tracking (AWB) number."
    elif not rules.TRACKING_RE.match(tracking_number):
        errors["tracking_number"] = (
            "A tracking number is 4 to 40 letters, digits or hyphens, as printed on the label."
        )
    return errors


def record_shipment(order: Order, carrier: str, tracking_number: str) -> OrderDelivery | None:
    """Keep the courier and tracking number on a shipped order and e-mail the customer.

    The caller has already moved the order to `shipped` through the state machine.
    Orders placed before addresses were collected get a delivery row with no address.
    """
    errors = shipping_problems(carrier, tracking_number)
    if errors:
        raise ShopError(422, " ".join(errors.values()))
    delivery = delivery_of(order)
    if delivery is not None:
        delivery.carrier = carrier
        delivery.tracking_number = tracking_number
        delivery.shipped_at = utcnow()
        db.session.flush()
    link = rules.tracking_url(carrier, tracking_number)
    send_mail(
        order.email,
        f"Your Remedy Shop order {order.number} is on its way",
        f"Good news: your order {order.number} has left our warehouse.\n\n"
        f"Courier: {rules.carrier_name(carrier)}\n"
        f"Tracking number: {tracking_number}\n"
        f"Track it here: {link}\n\n"
        + (_address_block(delivery) if delivery else "")
        + f"Your order: {_order_link(order)}\n",
    )
    return delivery


def record_delivery(order: Order) -> None:
    """Note the delivery time and tell the customer (after the move to `delivered`)."""
    delivery = delivery_of(order)
    if delivery is not None:
        delivery.delivered_at = utcnow()
        db.session.flush()
    send_mail(
        order.email,
        f"Your Remedy Shop order {order.number} was delivered",
        f"Your order {order.number} was delivered.\n\n"
        "Read each product's label before use, and ask a doctor or pharmacist if you are "
        "unsure whether it is right for you. If anything is missing or damaged, reply to "
        "this e-mail.\n\n"
        f"Your order: {_order_link(order)}\n",
    )


def _address_block(delivery: OrderDelivery) -> str:
    lines = [delivery.name, delivery.line1, delivery.line2, delivery.city]
    lines.append(f"{delivery.state_label} {delivery.pincode}")
    return "Delivering to:\n" + "\n".join(f"  {line}" for line in lines if line) + "\n\n"


def _order_link(order: Order) -> str:
    from shop.checkout.links import status_key

    base = current_app.config["SHOP_BASE_URL"]
    return base + url_for("checkout.order_status", number=order.number, key=status_key(order))


# --- demo zones ----------------------------------------------------------------------------------

METRO_PREFIXES = ("110", "400", "500", "560", "600", "700")


def demo_zones() -> list[dict]:
    """SPEC §11: metros 1–3 days, the rest of India 3–7 days, 744 not served."""
    zones = [
        {"prefix": p, "serviceable": True, "days_min": 1, "days_max": 3, "note": "Metro"}
        for p in METRO_PREFIXES
    ]
    zones += [
        {"prefix": str(d), "serviceable": True, "days_min": 3, "days_max": 7, "note": "India"}
        for d in range(1, 10)  # a PIN code never starts with 0
    ]
    zones.append(
        {
            "prefix": "744",
            "serviceable": False,
            "days_min": 0,
            "days_max": 0,
            "note": "Andaman and Nicobar Islands: not yet",
        }
    )
    return zones


def seed_zones(session) -> int:
    """Add the demo zones that are missing (by prefix); staff edits are left alone."""
    existing = set(session.scalars(select(DeliveryZone.prefix)))
    added = 0
    for zone in demo_zones():
        if zone["prefix"] not in existing:
            session.add(DeliveryZone(**zone))
            added += 1
    session.flush()
    return added


# --- zones (staff) -------------------------------------------------------------------------------


class ZoneInvalid(ShopError):
    """A zone as typed has problems; `errors` maps each field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(422, "Please correct the fields marked below.")
        self.errors = errors


def zones_in_order() -> list[DeliveryZone]:
    return list(db.session.scalars(select(DeliveryZone).order_by(DeliveryZone.prefix)))


def save_zone(
    zone: DeliveryZone | None,
    *,
    prefix: str,
    serviceable: bool,
    days_min: str,
    days_max: str,
    note: str,
) -> DeliveryZone:
    """Create (zone None) or change a zone; 422 for bad values, 409 for a taken prefix."""
    prefix, note = prefix.strip(), " ".join(note.split())
    errors = rules.zone_problems(prefix, days_min.strip(), days_max.strip(), serviceable)
    if len(note) > 120:
        errors["note"] = "Keep the note to 120 characters or fewer."
    if errors:
        raise ZoneInvalid(errors)
    taken = db.session.scalar(select(DeliveryZone).where(DeliveryZone.prefix == prefix))
    if taken is not None and taken is not zone:
        raise ZoneInvalid({"prefix": f"There is already a zone for {prefix}: edit that one."})
    if zone is None:
        zone = DeliveryZone()
        db.session.add(zone)
    zone.prefix = prefix
    zone.serviceable = serviceable
    zone.days_min = int(days_min) if serviceable else 0
    zone.days_max = int(days_max) if serviceable else 0
    zone.note = note
    db.session.flush()
    return zone


def zone_facts(zone: DeliveryZone) -> dict:
    return {
        "prefix": zone.prefix,
        "serviceable": zone.serviceable,
        "days_min": zone.days_min,
        "days_max": zone.days_max,
        "note": zone.note,
    }
