"""Pure delivery rules: address validation, phone and pincode formats, zone matching."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shop.delivery import rules
from shop.delivery.rules import AddressInvalid, Zone, match_zone, serviceability, validate_address

GOOD = {
    "name": "Asha Rao",
    "phone": "9845012345",
    "line1": "12 MG Road",
    "line2": "",
    "city": "Bengaluru",
    "state": "29",
    "pincode": "560001",
}


def problems(**changes) -> dict[str, str]:
    with pytest.raises(AddressInvalid) as invalid:
        validate_address({**GOOD, **changes})
    return invalid.value.errors


def test_a_good_address_is_kept_and_normalised():
    data = validate_address({**GOOD, "name": "  Asha   Rao ", "phone": "+91 98450-12345"})
    assert data.name == "Asha Rao" and data.phone == "+919845012345"
    assert data.state_name == "Karnataka" and data.line2 == ""


@pytest.mark.parametrize(
    "raw",
    [
        "9845012345",
        "+919845012345",
        "+91 98450 12345",
        "09845012345",
        "919845012345",
        "(984) 501-2345",
        "6000000000",
    ],
)
def test_indian_mobile_numbers_are_stored_as_plus_91(raw):
    assert rules.normalise_phone(raw) in ("+919845012345", "+916000000000")


@pytest.mark.parametrize(
    "raw",
    [
        "12345",
        "+1 415 555 0100",
        "5845012345",
        "98450123456",
        "+92 9845012345",
        "98450abcde",
        "",
        "+91",
        "0000000000",
    ],
)
def test_other_phone_numbers_are_refused(raw):
    assert rules.normalise_phone(raw) is None
    assert "phone" in problems(phone=raw)


@pytest.mark.parametrize("pincode", ["012345", "56000A", "56000", "5600011", "", " ", "56 001"])
def test_malformed_pincodes_are_refused(pincode):
    assert "pincode" in problems(pincode=pincode)


@pytest.mark.parametrize("state", ["", "00", "25", "28", "99", "KA", "29 "[:3] + "x"])
def test_unknown_state_codes_are_refused(state):
    assert "state" in problems(state=state)


@pytest.mark.parametrize(
    ("field", "limit"), [("name", 100), ("line1", 200), ("line2", 200), ("city", 80)]
)
def test_too_long_fields_are_refused_and_the_limit_is_accepted(field, limit):
    assert field in problems(**{field: "a" * (limit + 1)})
    assert getattr(validate_address({**GOOD, field: "a" * limit}), field) == "a" * limit


@pytest.mark.parametrize("field", ["name", "phone", "line1", "city", "state", "pincode"])
def test_each_required_field_empty_is_named(field):
    assert set(problems(**{field: "   "})) == {field}


def test_every_problem_is_reported_at_once():
    errors = problems(name="", phone="12345", pincode="012345", state="99", city="", line1="")
    assert set(errors) == {"name", "phone", "pincode", "state", "city", "line1"}


def test_unicode_and_right_to_left_names_are_kept():
    name = "محمد علي · ಆಶಾ राव"
    assert validate_address({**GOOD, "name": name, "city": "ಬೆಂಗಳೂರು"}).name == name


def test_control_characters_are_refused():
    assert "line1" in problems(line1="12 MG\x00 Road")


def test_the_gst_state_list_names_the_states_the_spec_names():
    assert (rules.STATES["29"], rules.STATES["27"], rules.STATES["07"]) == (
        "Karnataka",
        "Maharashtra",
        "Delhi",
    )
    assert all(len(code) == 2 and code.isdigit() for code in rules.STATES)
    assert len(rules.STATES) == 36  # 28 states and 8 union territories


ZONES = [
    Zone("5", 3, 7, True),
    Zone("56", 2, 4, True),
    Zone("560", 1, 3, True),
    Zone("5600", 1, 1, True),
    Zone("744", 0, 0, False),
    Zone("7", 3, 7, True),
]


@pytest.mark.parametrize(
    ("pincode", "prefix"),
    [
        ("560001", "5600"),
        ("560100", "560"),
        ("561001", "56"),
        ("500001", "5"),
        ("744101", "744"),
        ("700001", "7"),
        ("110001", None),
    ],
)
def test_the_longest_matching_prefix_wins(pincode, prefix):
    zone = match_zone(pincode, ZONES)
    assert (zone.prefix if zone else None) == prefix
    assert match_zone(pincode, list(reversed(ZONES))) == zone  # order does not matter


def test_messages_say_days_or_not_yet():
    assert serviceability("560100", ZONES).message == "Delivery in 1–3 days."
    assert serviceability("560001", ZONES).message == "Delivery in 1 day."
    assert serviceability("744101", ZONES).message == "We do not deliver to 744101 yet."
    assert serviceability("110001", ZONES).message == "We do not deliver to 110001 yet."


@given(
    pincode=st.from_regex(r"[1-9][0-9]{5}", fullmatch=True),
    prefixes=st.lists(st.from_regex(r"[1-9][0-9]{0,5}", fullmatch=True), unique=True),
)
def test_the_match_is_a_prefix_and_no_longer_prefix_matches(pincode, prefixes):
    zones = [Zone(p, 1, 2, True) for p in prefixes]
    zone = match_zone(pincode, zones)
    matching = [p for p in prefixes if pincode.startswith(p)]
    if zone is None:
        assert matching == []
    else:
        assert pincode.startswith(zone.prefix)
        assert len(zone.prefix) == max(len(p) for p in matching)


@pytest.mark.parametrize(
    ("prefix", "low", "high", "served", "bad"),
    [
        ("0", "1", "2", True, {"prefix"}),
        ("1234567", "1", "2", True, {"prefix"}),
        ("56", "", "2", True, {"days_min"}),
        ("56", "3", "2", True, {"days_max"}),
        ("56", "0", "2", True, {"days_min"}),
        ("56", "1", "61", True, {"days_max"}),
        ("744", "", "", False, set()),
        ("56a", "1", "2", True, {"prefix"}),
    ],
)
def test_zone_problems(prefix, low, high, served, bad):
    assert set(rules.zone_problems(prefix, low, high, served)) == bad


def test_tracking_urls_quote_the_number_and_know_only_listed_carriers():
    assert rules.tracking_url("delhivery", "AB 1/2") == (
        "https://www.delhivery.com/track/package/AB%201%2F2"
    )
    assert rules.tracking_url("pigeon", "1234") is None
    assert all("{number}" in template for _, template in rules.CARRIERS.values())
