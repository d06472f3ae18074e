"""Pure delivery rules: states and their GST codes, phone and pincode formats, address
validation, zone matching and carriers. No Flask, no database: plain values in and out.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from urllib.parse import quote

# The states and union territories of India with their two-digit GST state codes (the
# first two digits of a GSTIN). One list for checkout, the address book, the invoice's
# place of supply and the staff screens.
STATES: dict[str, str] = {
    "01": "Jammu and Kashmir",
    "02": "Himachal Pradesh",
    "03": "Punjab",
    "04": "Chandigarh",
    "05": "Uttarakhand",
    "06": "Haryana",
    "07": "Delhi",
    "08": "Rajasthan",
    "09": "Uttar Pradesh",
    "10": "Bihar",
    "11": "Sikkim",
    "12": "Arunachal Pradesh",
    "13": "Nagaland",
    "14": "Manipur",
    "15": "Mizoram",
    "16": "Tripura",
    "17": "Meghalaya",
    "18": "Assam",
    "19": "West Bengal",
    "20": "Jharkhand",
    "21": "Odisha",
    "22": "Chhattisgarh",
    "23": "Madhya Pradesh",
    "24": "Gujarat",
    "26": "Dadra and Nagar Haveli and Daman and Diu",
    "27": "Maharashtra",
    "29": "Karnataka",
    "30": "Goa",
    "31": "Lakshadweep",
    "32": "Kerala",
    "33": "Tamil Nadu",
    "34": "Puducherry",
    "35": "Andaman and Nicobar Islands",
    "36": "Telangana",
    "37": "Andhra Pradesh",
    "38": "Ladakh",
}

# Couriers staff can ship with: code → (name, tracking URL template with {number}).
CARRIERS: dict[str, tuple[str, str]] = {
    "delhivery": ("Delhivery", "https://www.delhivery.com/track/package/{number}"),
    "bluedart": (
        "Blue Dart",
        "https://www.bluedart.com/web/guest/trackdartresult?trackFor=0&trackNo={number}",
    ),
    "dtdc": ("DTDC", "https://www.dtdc.in/tracking.asp?strCnno={number}"),
    "xpressbees": ("Xpressbees", "https://www.xpressbees.com/shipment/tracking?awbNo={number}"),
    "indiapost": (
        "India Post (Speed Post)",
        "https://www.indiapost.gov.in/_layouts/15/dop.portal.tracking/"
        "trackconsignment.aspx?consignment={number}",
    ),
}

PINCODE_RE = re.compile(r"^[1-9][0-9]{5}$")
TRACKING_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{3,39}$")
_PHONE_RE = re.compile(r"^(?:\+91|0091|91|0)?([6-9][0-9]{9})$")
_PHONE_SEPARATORS = re.compile(r"[\s().-]")

# Longest values each field accepts (the database columns are as wide).
MAX_LENGTHS = {"name": 100, "line1": 200, "line2": 200, "city": 80}


class AddressInvalid(ValueError):
    """Some fields are wrong; `errors` maps each field name to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class AddressData:
    """A delivery address as validated: phone as +91XXXXXXXXXX, state as its GST code."""

    name: str
    phone: str
    line1: str
    line2: str
    city: str
    state: str
    pincode: str

    @property
    def state_name(self) -> str:
        return STATES[self.state]

    def as_dict(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


ADDRESS_FIELDS = tuple(f.name for f in fields(AddressData))


def normalise_phone(raw: str) -> str | None:
    """An Indian mobile number as +91XXXXXXXXXX, or None when it is not one."""
    digits = _PHONE_SEPARATORS.sub("", raw or "")
    match = _PHONE_RE.match(digits)
    return f"+91{match.group(1)}" if match else None


def pincode_problem(pincode: str) -> str | None:
    """Why `pincode` is not a valid Indian PIN code, or None when it is one."""
    if not pincode:
        return "Enter the 6-digit PIN code."
    if not PINCODE_RE.match(pincode):
        return "A PIN code is 6 digits and does not start with 0, such as 560001."
    return None


def _has_control_characters(text: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" for ch in text)


def _text(values: Mapping[str, str], name: str, label: str, errors: dict, *, required=True) -> str:
    text = " ".join((values.get(name) or "").split())  # one line, single spaces
    limit = MAX_LENGTHS[name]
    if not text:
        if required:
            errors[name] = f"Enter the {label}."
    elif len(text) > limit:
        errors[name] = f"Keep the {label} to {limit} characters or fewer."
    elif _has_control_characters(text):
        errors[name] = f"The {label} contains characters that cannot be printed."
    return text


def validate_address(values: Mapping[str, str]) -> AddressData:
    """Check every field of a submitted address; raise AddressInvalid naming each problem."""
    errors: dict[str, str] = {}
    name = _text(values, "name", "name of the person receiving the parcel", errors)
    raw_phone = (values.get("phone") or "").strip()
    phone = normalise_phone(raw_phone) if len(raw_phone) <= 20 else None
    if not raw_phone:
        errors["phone"] = "Enter a mobile number for the courier."
    elif phone is None:
        errors["phone"] = (
            "Enter a 10-digit Indian mobile number starting with 6, 7, 8 or 9 "
            "(with or without +91)."
        )
    line1 = _text(values, "line1", "house, building and street", errors)
    line2 = _text(values, "line2", "second address line", errors, required=False)
    city = _text(values, "city", "city or town", errors)
    state = (values.get("state") or "").strip()
    if not state:
        errors["state"] = "Choose the state or union territory."
    elif state not in STATES:
        errors["state"] = "Choose a state or union territory from the list."
    pincode = (values.get("pincode") or "").strip()
    problem = pincode_problem(pincode)
    if problem:
        errors["pincode"] = problem
    if errors:
        raise AddressInvalid(errors)
    return AddressData(
        name=name,
        phone=phone or "",
        line1=line1,
        line2=line2,
        city=city,
        state=state,
        pincode=pincode,
    )


# --- serviceability ------------------------------------------------------------------------


@dataclass(frozen=True)
class Zone:
    prefix: str
    days_min: int
    days_max: int
    serviceable: bool


@dataclass(frozen=True)
class Serviceability:
    pincode: str
    serviceable: bool
    days_min: int | None = None
    days_max: int | None = None

    @property
    def message(self) -> str:
        if not self.serviceable:
            return f"We do not deliver to {self.pincode} yet."
        if self.days_min == self.days_max:
            return f"Delivery in {self.days_min} day{'s' if self.days_min != 1 else ''}."
        return f"Delivery in {self.days_min}–{self.days_max} days."

    def as_dict(self) -> dict:
        return {
            "pincode": self.pincode,
            "serviceable": self.serviceable,
            "days_min": self.days_min,
            "days_max": self.days_max,
            "message": self.message,
        }


def match_zone(pincode: str, zones: Iterable[Zone]) -> Zone | None:
    """The zone whose prefix is the longest one `pincode` starts with (None: no zone)."""
    best: Zone | None = None
    for zone in zones:
        longer = best is None or len(zone.prefix) > len(best.prefix)
        if longer and pincode.startswith(zone.prefix):
            best = zone
    return best


def serviceability(pincode: str, zones: Iterable[Zone]) -> Serviceability:
    """Whether and how fast a valid pincode is served; no matching zone means not served."""
    zone = match_zone(pincode, zones)
    if zone is None or not zone.serviceable:
        return Serviceability(pincode=pincode, serviceable=False)
    return Serviceability(
        pincode=pincode, serviceable=True, days_min=zone.days_min, days_max=zone.days_max
    )


PREFIX_RE = re.compile(r"^[1-9][0-9]{0,5}$")


def zone_problems(prefix: str, days_min: str, days_max: str, serviceable: bool) -> dict[str, str]:
    """What is wrong with a zone as staff typed it (empty: nothing)."""
    errors: dict[str, str] = {}
    if not PREFIX_RE.match(prefix):
        errors["prefix"] = "A prefix is 1 to 6 digits of a PIN code, not starting with 0."
    if serviceable:
        low = int(days_min) if days_min.isdigit() and len(days_min) <= 3 else None
        high = int(days_max) if days_max.isdigit() and len(days_max) <= 3 else None
        if low is None or not 1 <= low <= 60:
            errors["days_min"] = "Enter the fewest days, a whole number from 1 to 60."
        if high is None or not 1 <= high <= 60:
            errors["days_max"] = "Enter the most days, a whole number from 1 to 60."
        elif low is not None and high < low:
            errors["days_max"] = "The most days cannot be fewer than the fewest days."
    return errors


# --- carriers ------------------------------------------------------------------------------


def carrier_name(code: str) -> str:
    return CARRIERS[code][0] if code in CARRIERS else code


def tracking_url(carrier: str, number: str) -> str | None:
    """The courier's tracking page for this consignment number, when the carrier is known."""
    if carrier not in CARRIERS:
        return None
    return CARRIERS[carrier][1].format(number=quote(number, safe=""))
