"""Properties of delivery moments over random calendars, companies and instants (DST days included)."""

import datetime
from datetime import date, time

from hypothesis import given
from hypothesis import strategies as st

from orders.delivery_calendar import (
    CompanyDeliveryProfile,
    ShopCalendarRules,
    delivery_moments,
    local_today,
)
from tests.orders.delivery.clock import AMSTERDAM, UTC

weekday_sets = st.frozensets(st.integers(min_value=0, max_value=6), max_size=7)
days = st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31))
calendars = st.builds(
    ShopCalendarRules,
    working_weekdays=weekday_sets.filter(bool),
    closed_dates=st.frozensets(days, max_size=40),
    recurring_closed=st.frozensets(st.sampled_from([(1, 1), (4, 27), (12, 25), (12, 26), (5, 5)]), max_size=5),
    cut_offs=st.dictionaries(
        st.integers(min_value=0, max_value=6), st.times(min_value=time(0, 0), max_value=time(23, 59))
    ).map(lambda mapping: tuple(mapping.items())),
    horizon_days=st.integers(min_value=0, max_value=40),
)
profiles = st.builds(CompanyDeliveryProfile, departure_weekdays=weekday_sets, transit_days=st.integers(0, 4))
# Instants around the clock changes of 2026 and 2027, and anywhere else.
change_instants = st.sampled_from(
    [datetime.datetime(2026, 3, 29, 1, tzinfo=UTC), datetime.datetime(2026, 10, 25, 1, tzinfo=UTC),
     datetime.datetime(2027, 3, 28, 1, tzinfo=UTC), datetime.datetime(2027, 10, 31, 1, tzinfo=UTC)]
).flatmap(
    lambda change: st.integers(-36 * 3600, 36 * 3600).map(lambda seconds: change + datetime.timedelta(seconds=seconds))
)
any_instants = st.datetimes(min_value=datetime.datetime(2026, 1, 1), max_value=datetime.datetime(2027, 12, 1)).map(
    lambda naive: naive.replace(tzinfo=UTC)
)
instants = st.one_of(change_instants, any_instants)


def _clock_has_reached(now: datetime.datetime, cut_off: time) -> bool:
    """Has the Amsterdam clock shown `cut_off` or later today? Read from the clock, not from the code under test.

    In the repeated hour after clocks go back (fold=1) the clock has already shown 02:59:59.
    """
    local = now.astimezone(AMSTERDAM)
    highest_reading = local.time() if local.fold == 0 else time(2, 59, 59, 999_999)
    return highest_reading >= cut_off


@given(calendar=calendars, profile=profiles, now=instants)
def test_moments_are_exactly_the_dates_the_rules_allow(calendar, profile, now):
    today = local_today(now)
    moments = delivery_moments(calendar=calendar, profile=profile, now=now.astimezone(AMSTERDAM))

    expected = []
    for offset in range(calendar.horizon_days + 1):
        departure = today + datetime.timedelta(days=offset)
        delivery = departure + datetime.timedelta(days=profile.transit_days)
        if (
            departure.weekday() in (profile.departure_weekdays or calendar.working_weekdays)
            and departure.weekday() in calendar.working_weekdays
            and not calendar.is_closed(departure)
            and not calendar.is_closed(delivery)
            and (departure > today or not _clock_has_reached(now, calendar.cut_off_time(departure.weekday())))
        ):
            expected.append((departure, delivery))

    assert [(moment.departure_date, moment.delivery_date) for moment in moments] == expected


@given(calendar=calendars, now=instants)
def test_cut_off_instant_reads_the_cut_off_time_on_the_local_clock(calendar, now):
    departure = local_today(now)
    instant = calendar.cut_off_instant(departure)
    local = instant.astimezone(AMSTERDAM)
    assert local.date() == departure
    assert local.time() >= calendar.cut_off_time(departure.weekday())
    # Just before the instant the local clock had not reached the cut-off time (or was on the previous day).
    earlier = (instant.astimezone(UTC) - datetime.timedelta(seconds=1)).astimezone(AMSTERDAM)
    assert earlier.date() < departure or earlier.time() < calendar.cut_off_time(departure.weekday())
