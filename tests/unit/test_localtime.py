"""The shop's clock: wall-clock input to UTC and back, in a zone with and without DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st

from shop import create_app
from shop.config import ConfigError
from shop.localtime import UnknownZone, from_shop_time, load_zone, localtime, to_shop_time
from shop.pricing.gst import document_date

KOLKATA = ZoneInfo("Asia/Kolkata")
LONDON = ZoneInfo("Europe/London")


def test_kolkata_is_always_five_and_a_half_hours_ahead():
    for month in (1, 7):
        wall = datetime(2026, month, 1, 9, 0)
        assert from_shop_time(wall, KOLKATA) == datetime(2026, month, 1, 3, 30, tzinfo=UTC)
    stored = datetime(2026, 11, 29, 20, 0, tzinfo=UTC)
    assert to_shop_time(stored, KOLKATA).replace(tzinfo=None) == datetime(2026, 11, 30, 1, 30)


def test_london_follows_summer_time_both_ways():
    winter, summer = datetime(2026, 1, 15, 12, 0), datetime(2026, 7, 15, 12, 0)
    assert from_shop_time(winter, LONDON) == datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
    assert from_shop_time(summer, LONDON) == datetime(2026, 7, 15, 11, 0, tzinfo=UTC)  # BST
    back = to_shop_time(datetime(2026, 7, 15, 11, 0, tzinfo=UTC), LONDON)
    assert (back.hour, back.tzname()) == (12, "BST")
    assert to_shop_time(datetime(2026, 1, 15, 12, 0, tzinfo=UTC), LONDON).tzname() == "GMT"


def test_a_time_the_clocks_skip_is_refused():
    # 29 March 2026: London's clocks go from 01:00 straight to 02:00.
    with pytest.raises(ValueError, match="does not exist in Europe/London"):
        from_shop_time(datetime(2026, 3, 29, 1, 30), LONDON)
    assert from_shop_time(datetime(2026, 3, 29, 2, 0), LONDON) == datetime(
        2026, 3, 29, 1, 0, tzinfo=UTC
    )


def test_an_hour_that_happens_twice_means_the_first_one():
    # 25 October 2026: 01:30 happens in BST, then again in GMT; staff get the first.
    assert from_shop_time(datetime(2026, 10, 25, 1, 30), LONDON) == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )


@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
    st.sampled_from(["Asia/Kolkata", "Europe/London", "America/New_York", "UTC"]),
)
def test_what_is_shown_reads_back_as_the_same_moment(naive, name):
    zone = ZoneInfo(name)
    moment = naive.replace(tzinfo=UTC)
    wall = to_shop_time(moment, zone).replace(tzinfo=None)
    again = from_shop_time(wall, zone)
    # Exact, except in the repeated hour at a clock change, where the first one is meant.
    assert again == moment or timedelta(0) < moment - again <= timedelta(hours=1)


def test_localtime_formats_in_the_app_zone():
    app = Flask(__name__)
    stored = datetime(2026, 7, 1, 6, 30, tzinfo=UTC)
    with app.app_context():
        app.config["SHOP_TIMEZONE"] = "Asia/Kolkata"
        assert localtime(stored) == "01 Jul 2026 12:00 IST"
        app.config["SHOP_TIMEZONE"] = "Europe/London"
        assert localtime(stored) == "01 Jul 2026 07:30 BST"
        assert localtime(stored, "%Y-%m-%d") == "2026-07-01"
        assert localtime(None) == ""


@pytest.mark.parametrize("name", ["Mars/Olympus", "", " Asia/Kolkata", "../../etc/passwd", "IST"])
def test_unknown_zones_are_named_in_the_error(name):
    with pytest.raises(UnknownZone, match="SHOP_TIMEZONE"):
        load_zone(name)


def test_the_shop_refuses_to_start_in_an_unknown_zone(monkeypatch):
    monkeypatch.setenv("SHOP_TIMEZONE", "Asia/Bengaluru")
    with pytest.raises(ConfigError, match="SHOP_TIMEZONE='Asia/Bengaluru' is not a time zone"):
        create_app({"TESTING": True})


def test_the_default_zone_is_india_and_a_valid_one_is_kept(monkeypatch):
    monkeypatch.delenv("SHOP_TIMEZONE", raising=False)
    assert create_app({"TESTING": True}).config["SHOP_TIMEZONE"] == "Asia/Kolkata"
    monkeypatch.setenv("SHOP_TIMEZONE", "Europe/London")
    assert create_app({"TESTING": True}).config["SHOP_TIMEZONE"] == "Europe/London"


def test_tax_documents_are_dated_on_indias_calendar_whatever_the_shop_zone():
    # 20:00 UTC on 31 March is 01:30 on 1 April in India: the new financial year's date.
    moment = datetime(2026, 3, 31, 20, 0, tzinfo=UTC)
    assert str(document_date(moment)) == "2026-04-01"
    assert str(document_date(moment.replace(tzinfo=None))) == "2026-04-01"


def test_the_ends_of_the_calendar_never_fail():
    last = datetime(9999, 12, 31, 23, 0, tzinfo=UTC)
    assert to_shop_time(last, KOLKATA) == last  # shown in UTC rather than failing
    with pytest.raises(ValueError, match="outside the calendar"):
        from_shop_time(datetime(1, 1, 1, 2, 0), KOLKATA)
