"""Delivery moments (spec/delivery.md steps 1-5 and its precise semantics). Pure: no database."""

import datetime
from datetime import date, time

import pytest

from orders.delivery_calendar import (
    GENERIC_PROFILE,
    CompanyDeliveryProfile,
    DeliveryMoment,
    DeliveryMomentClosedError,
    NoDeliveryMomentError,
    ShopCalendarRules,
    delivery_moment_check,
    delivery_moments,
    local_today,
    next_delivery_moment,
)
from tests.orders.delivery.clock import UTC, amsterdam, utc

MON_TO_FRI = ShopCalendarRules()
EVERY_DAY = ShopCalendarRules(working_weekdays=frozenset(range(7)))
HOLIDAYS = ShopCalendarRules(recurring_closed=frozenset({(12, 25), (12, 26), (1, 1), (4, 27)}))
MON_WED_FRI = CompanyDeliveryProfile(departure_weekdays=frozenset({0, 2, 4}))


def moment(departure: date, delivery: date) -> DeliveryMoment:
    return DeliveryMoment(departure_date=departure, delivery_date=delivery)


def moments_at(now, *, calendar=MON_TO_FRI, profile=GENERIC_PROFILE) -> list[DeliveryMoment]:
    return delivery_moments(calendar=calendar, profile=profile, now=now)


def departures(moments: list[DeliveryMoment]) -> list[date]:
    return [item.departure_date for item in moments]


class DeliveryMomentsTests:
    def test_next_moment_of_a_monday_morning_is_todays_departure(self):
        # The seed's example: a buyer on Monday 30 Nov 2026 sees "next delivery: Tue 1 Dec".
        now = amsterdam(2026, 11, 30, 10, 0)
        assert next_delivery_moment(calendar=MON_TO_FRI, profile=GENERIC_PROFILE, now=now) == moment(
            date(2026, 11, 30), date(2026, 12, 1)
        )

    def test_moments_are_the_departure_weekdays_of_the_company_earliest_first(self):
        moments = delivery_moments(calendar=MON_TO_FRI, profile=MON_WED_FRI, now=amsterdam(2026, 11, 30, 10, 0))
        assert departures(moments)[:4] == [date(2026, 11, 30), date(2026, 12, 2), date(2026, 12, 4), date(2026, 12, 7)]
        assert all(item.departure_date.weekday() in {0, 2, 4} for item in moments)
        assert moments == sorted(moments)

    def test_empty_departure_weekdays_mean_every_shop_working_day(self):
        moments = moments_at(amsterdam(2026, 11, 30, 10, 0))
        assert departures(moments)[:6] == [
            date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 3), date(2026, 12, 4),
            date(2026, 12, 7),
        ]

    def test_company_departure_weekday_that_is_no_shop_working_day_is_ignored(self):
        fri_sat = CompanyDeliveryProfile(departure_weekdays=frozenset({4, 5}))
        moments = delivery_moments(calendar=MON_TO_FRI, profile=fri_sat, now=amsterdam(2026, 11, 30, 10, 0))
        assert {item.departure_date.weekday() for item in moments} == {4}

    def test_anonymous_visitors_get_the_generic_moments_every_working_day_transit_one(self):
        assert GENERIC_PROFILE == CompanyDeliveryProfile(departure_weekdays=frozenset(), transit_days=1)
        moments = moments_at(amsterdam(2026, 12, 1, 15, 0))
        assert moments[:3] == [
            moment(date(2026, 12, 2), date(2026, 12, 3)),
            moment(date(2026, 12, 3), date(2026, 12, 4)),
            moment(date(2026, 12, 4), date(2026, 12, 5)),
        ]

    def test_delivery_is_departure_plus_transit_calendar_days(self):
        two_days = CompanyDeliveryProfile(transit_days=2)
        moments = delivery_moments(calendar=MON_TO_FRI, profile=two_days, now=amsterdam(2026, 11, 30, 10, 0))
        assert all(item.delivery_date - item.departure_date == datetime.timedelta(days=2) for item in moments)

    def test_transit_of_two_days_delivers_over_the_weekend(self):
        # Deliveries may fall on any calendar day that is not closed: Thu -> Sat, Fri -> Sun.
        two_days = CompanyDeliveryProfile(departure_weekdays=frozenset({3, 4}), transit_days=2)
        moments = delivery_moments(calendar=MON_TO_FRI, profile=two_days, now=amsterdam(2026, 11, 30, 10, 0))
        assert moments[:2] == [
            moment(date(2026, 12, 3), date(2026, 12, 5)),
            moment(date(2026, 12, 4), date(2026, 12, 6)),
        ]

    def test_horizon_runs_from_today_to_today_plus_horizon_days_inclusive(self):
        now = amsterdam(2026, 11, 30, 10, 0)  # a Monday
        moments = delivery_moments(calendar=ShopCalendarRules(horizon_days=7), profile=GENERIC_PROFILE, now=now)
        assert departures(moments)[0] == date(2026, 11, 30)
        assert departures(moments)[-1] == date(2026, 12, 7)

    def test_default_horizon_is_28_days(self):
        moments = moments_at(amsterdam(2026, 11, 30, 10, 0))
        assert departures(moments)[-1] == date(2026, 12, 28)
        assert len(moments) == 21

    def test_horizon_argument_overrides_the_calendar(self):
        moments = delivery_moments(
            calendar=MON_TO_FRI, profile=GENERIC_PROFILE, now=amsterdam(2026, 11, 30, 10, 0), horizon_days=2
        )
        assert departures(moments) == [date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2)]

    def test_now_must_be_aware(self):
        with pytest.raises(ValueError, match="aware"):
            delivery_moments(calendar=MON_TO_FRI, profile=GENERIC_PROFILE, now=datetime.datetime(2026, 11, 30, 10))


class WeekendOrderTests:
    def test_saturday_order_departs_on_monday(self):
        now = amsterdam(2026, 12, 5, 9, 0)
        assert next_delivery_moment(calendar=MON_TO_FRI, profile=GENERIC_PROFILE, now=now) == moment(
            date(2026, 12, 7), date(2026, 12, 8)
        )

    def test_sunday_order_departs_on_monday_even_late_at_night(self):
        for now in (amsterdam(2026, 12, 6, 9, 0), amsterdam(2026, 12, 6, 23, 59, 59)):
            assert next_delivery_moment(calendar=MON_TO_FRI, profile=MON_WED_FRI, now=now) == moment(
                date(2026, 12, 7), date(2026, 12, 8)
            )

    def test_saturday_departure_when_the_shop_works_on_saturday(self):
        mon_to_sat = ShopCalendarRules(working_weekdays=frozenset(range(6)))
        saturdays = CompanyDeliveryProfile(departure_weekdays=frozenset({5}))
        assert next_delivery_moment(calendar=mon_to_sat, profile=saturdays, now=amsterdam(2026, 12, 5, 9, 0)) == moment(
            date(2026, 12, 5), date(2026, 12, 6)
        )
        after_cut_off = amsterdam(2026, 12, 5, 14, 0)
        assert next_delivery_moment(calendar=mon_to_sat, profile=saturdays, now=after_cut_off) == moment(
            date(2026, 12, 12), date(2026, 12, 13)
        )

    def test_sunday_is_never_a_departure_when_the_shop_does_not_work_on_sunday(self):
        sundays = CompanyDeliveryProfile(departure_weekdays=frozenset({6, 0}))
        moments = delivery_moments(calendar=MON_TO_FRI, profile=sundays, now=amsterdam(2026, 12, 6, 9, 0))
        assert {item.departure_date.weekday() for item in moments} == {0}


class CutOffTests:
    def test_default_cut_off_is_14_00_local_time(self):
        assert MON_TO_FRI.cut_off_time(0) == time(14, 0)
        assert MON_TO_FRI.cut_off_instant(date(2026, 11, 30)) == amsterdam(2026, 11, 30, 14, 0)

    def test_departure_today_is_possible_at_13_59_59(self):
        moments = moments_at(amsterdam(2026, 11, 30, 13, 59, 59))
        assert moments[0] == moment(date(2026, 11, 30), date(2026, 12, 1))

    def test_departure_today_is_gone_at_exactly_14_00_00(self):
        moments = moments_at(amsterdam(2026, 11, 30, 14, 0, 0))
        assert moments[0] == moment(date(2026, 12, 1), date(2026, 12, 2))

    def test_microsecond_before_the_cut_off_still_departs_today(self):
        now = amsterdam(2026, 11, 30, 13, 59, 59).replace(microsecond=999_999)
        assert delivery_moments(calendar=MON_TO_FRI, profile=GENERIC_PROFILE, now=now)[0].departure_date == date(
            2026, 11, 30
        )

    def test_cut_off_per_departure_weekday(self):
        friday_at_eleven = ShopCalendarRules(cut_offs=((4, time(11, 0)),))
        assert friday_at_eleven.cut_off_time(4) == time(11, 0)
        assert friday_at_eleven.cut_off_time(3) == time(14, 0)
        friday = date(2026, 12, 4)
        kept = moments_at(amsterdam(2026, 12, 4, 10, 59, 59), calendar=friday_at_eleven)
        gone = moments_at(amsterdam(2026, 12, 4, 11, 0), calendar=friday_at_eleven)
        assert kept[0].departure_date == friday
        assert gone[0].departure_date == date(2026, 12, 7)
        thursday = moments_at(amsterdam(2026, 12, 3, 13, 0), calendar=friday_at_eleven)
        assert thursday[0].departure_date == date(2026, 12, 3)

    def test_cut_off_applies_only_to_todays_departure(self):
        # Tomorrow's departure is open all day today, even after today's cut-off time.
        moments = moments_at(amsterdam(2026, 11, 30, 23, 59))
        assert moments[0].departure_date == date(2026, 12, 1)

    def test_now_in_another_time_zone_is_the_same_instant(self):
        # 12:59:59 UTC is 13:59:59 in Amsterdam in winter; 13:00:00 UTC is the cut-off.
        before = moments_at(utc(2026, 11, 30, 12, 59, 59))
        at = moments_at(utc(2026, 11, 30, 13, 0, 0))
        assert before[0].departure_date == date(2026, 11, 30)
        assert at[0].departure_date == date(2026, 12, 1)


class DaylightSavingTimeTests:
    """Clocks go forward on the last Sunday of March (29 Mar 2026) and back on the last Sunday of October (25 Oct)."""

    def test_cut_off_instant_follows_the_clock_on_the_spring_change_day(self):
        assert EVERY_DAY.cut_off_instant(date(2026, 3, 28)).astimezone(UTC) == utc(2026, 3, 28, 13, 0)  # CET
        assert EVERY_DAY.cut_off_instant(date(2026, 3, 29)).astimezone(UTC) == utc(2026, 3, 29, 12, 0)  # CEST
        assert EVERY_DAY.cut_off_instant(date(2026, 3, 30)).astimezone(UTC) == utc(2026, 3, 30, 12, 0)

    def test_cut_off_instant_follows_the_clock_on_the_autumn_change_day(self):
        assert EVERY_DAY.cut_off_instant(date(2026, 10, 24)).astimezone(UTC) == utc(2026, 10, 24, 12, 0)  # CEST
        assert EVERY_DAY.cut_off_instant(date(2026, 10, 25)).astimezone(UTC) == utc(2026, 10, 25, 13, 0)  # CET
        assert EVERY_DAY.cut_off_instant(date(2026, 10, 26)).astimezone(UTC) == utc(2026, 10, 26, 13, 0)

    def test_departure_on_the_spring_change_day_closes_at_14_00_summer_time(self):
        change_day = date(2026, 3, 29)
        before = moments_at(utc(2026, 3, 29, 11, 59, 59), calendar=EVERY_DAY)
        at = moments_at(amsterdam(2026, 3, 29, 14, 0), calendar=EVERY_DAY)
        assert before[0] == moment(change_day, date(2026, 3, 30))
        assert at[0] == moment(date(2026, 3, 30), date(2026, 3, 31))

    def test_departure_on_the_autumn_change_day_closes_at_14_00_winter_time(self):
        change_day = date(2026, 10, 25)
        before = moments_at(utc(2026, 10, 25, 12, 59, 59), calendar=EVERY_DAY)
        at = moments_at(utc(2026, 10, 25, 13, 0, 0), calendar=EVERY_DAY)
        assert before[0] == moment(change_day, date(2026, 10, 26))
        assert at[0] == moment(date(2026, 10, 26), date(2026, 10, 27))

    def test_monday_departure_after_the_spring_change(self):
        # Ordered on Saturday (winter time), departing on Monday (summer time): the cut-off is 12:00 UTC.
        first = next_delivery_moment(calendar=MON_TO_FRI, profile=GENERIC_PROFILE, now=amsterdam(2026, 3, 28, 18, 0))
        assert first == moment(date(2026, 3, 30), date(2026, 3, 31))
        assert MON_TO_FRI.cut_off_instant(first.departure_date).astimezone(UTC) == utc(2026, 3, 30, 12, 0)
        still = moments_at(utc(2026, 3, 30, 11, 59, 59))
        gone = moments_at(utc(2026, 3, 30, 12, 0, 0))
        assert still[0].departure_date == date(2026, 3, 30)
        assert gone[0].departure_date == date(2026, 3, 31)

    def test_monday_departure_after_the_autumn_change(self):
        first = next_delivery_moment(calendar=MON_TO_FRI, profile=GENERIC_PROFILE, now=amsterdam(2026, 10, 24, 18, 0))
        assert first == moment(date(2026, 10, 26), date(2026, 10, 27))
        assert MON_TO_FRI.cut_off_instant(first.departure_date).astimezone(UTC) == utc(2026, 10, 26, 13, 0)

    def test_today_is_the_local_day_just_after_midnight_on_the_change_days(self):
        assert local_today(utc(2026, 3, 28, 23, 30)) == date(2026, 3, 29)  # 00:30 CET
        assert local_today(utc(2026, 10, 24, 22, 30)) == date(2026, 10, 25)  # 00:30 CEST
        assert local_today(utc(2026, 10, 24, 21, 59, 59)) == date(2026, 10, 24)
        moments = moments_at(utc(2026, 3, 28, 23, 30), calendar=EVERY_DAY)
        assert moments[0].departure_date == date(2026, 3, 29)

    def test_cut_off_in_the_skipped_hour_falls_when_the_clock_jumps(self):
        # 02:30 does not exist on 29 Mar 2026: the clock jumps from 02:00 CET to 03:00 CEST (01:00 UTC).
        night = ShopCalendarRules(working_weekdays=frozenset(range(7)), cut_offs=((6, time(2, 30)),))
        assert night.cut_off_instant(date(2026, 3, 29)).astimezone(UTC) == utc(2026, 3, 29, 1, 0)
        before = moments_at(utc(2026, 3, 29, 0, 59, 59), calendar=night)
        at = moments_at(utc(2026, 3, 29, 1, 0, 0), calendar=night)
        assert before[0].departure_date == date(2026, 3, 29)
        assert at[0].departure_date == date(2026, 3, 30)

    def test_cut_off_in_the_repeated_hour_is_its_first_reading(self):
        # 02:30 happens twice on 25 Oct 2026: first at 00:30 UTC (CEST), then at 01:30 UTC (CET).
        night = ShopCalendarRules(working_weekdays=frozenset(range(7)), cut_offs=((6, time(2, 30)),))
        assert night.cut_off_instant(date(2026, 10, 25)).astimezone(UTC) == utc(2026, 10, 25, 0, 30)
        second = ShopCalendarRules(working_weekdays=frozenset(range(7)), cut_offs=((6, time(2, 30, fold=1)),))
        assert second.cut_off_instant(date(2026, 10, 25)).astimezone(UTC) == utc(2026, 10, 25, 0, 30)
        second_reading = utc(2026, 10, 25, 1, 0)  # 02:00 CET, after the first 02:30
        moments = delivery_moments(calendar=night, profile=GENERIC_PROFILE, now=second_reading)
        assert moments[0].departure_date == date(2026, 10, 26)

    def test_delivery_block_spans_two_local_days_across_the_clock_changes(self):
        spring = moment(date(2026, 3, 27), date(2026, 3, 28)).block_instants()
        autumn = moment(date(2026, 10, 23), date(2026, 10, 24)).block_instants()
        assert spring == (amsterdam(2026, 3, 28), amsterdam(2026, 3, 30))
        assert spring[1].astimezone(UTC) - spring[0].astimezone(UTC) == datetime.timedelta(hours=47)
        assert autumn[1].astimezone(UTC) - autumn[0].astimezone(UTC) == datetime.timedelta(hours=49)


class DeliveryBlockTests:
    def test_block_is_48_hours_from_the_delivery_date_midnight(self):
        start, end = moment(date(2026, 11, 30), date(2026, 12, 1)).block_instants()
        assert start == amsterdam(2026, 12, 1, 0, 0)
        assert end == amsterdam(2026, 12, 3, 0, 0)
        assert end - start == datetime.timedelta(hours=48)

    def test_block_label_in_the_buyers_language(self):
        item = moment(date(2026, 11, 30), date(2026, 12, 1))
        assert item.block_label(language="en") == "between Tue 1 Dec 00:00 and Thu 3 Dec 00:00"
        assert item.block_label(language="nl") == "tussen di 1 dec 00:00 en do 3 dec 00:00"
        assert item.block_label(language="de") == "zwischen Di., 1. Dez. 00:00 und Do., 3. Dez. 00:00"
        assert item.block_label(language="fr") == "entre le mar. 1er déc. 00:00 et le jeu. 3 déc. 00:00"


class ClosedDayTests:
    def test_closed_departure_date_has_no_departure(self):
        closed_wednesday = ShopCalendarRules(closed_dates=frozenset({date(2026, 12, 2)}))
        moments = moments_at(amsterdam(2026, 12, 1, 15, 0), calendar=closed_wednesday)
        assert date(2026, 12, 2) not in departures(moments)
        assert moments[0] == moment(date(2026, 12, 3), date(2026, 12, 4))

    def test_closed_delivery_date_drops_the_moment_instead_of_moving_it(self):
        closed_wednesday = ShopCalendarRules(closed_dates=frozenset({date(2026, 12, 2)}))
        moments = moments_at(amsterdam(2026, 11, 30, 15, 0), calendar=closed_wednesday)
        # Tue 1 Dec would deliver on the closed Wed 2 Dec: that moment is gone, not moved to Thu 3 Dec.
        assert date(2026, 12, 1) not in departures(moments)
        assert moment(date(2026, 12, 1), date(2026, 12, 3)) not in moments
        assert moments[0] == moment(date(2026, 12, 3), date(2026, 12, 4))
        assert all(item.delivery_date != date(2026, 12, 2) for item in moments)

    def test_recurring_closed_day_is_closed_every_year(self):
        for year in (2026, 2027, 2030):
            assert HOLIDAYS.is_closed(date(year, 4, 27)) is True
            assert HOLIDAYS.is_working_day(date(year, 12, 25)) is False
        assert HOLIDAYS.is_closed(date(2026, 4, 28)) is False

    def test_christmas_delivery_is_dropped(self):
        # Thu 24 Dec 2026 would deliver on Christmas Day; Fri 25 is closed; next: Mon 28 -> Tue 29.
        moments = moments_at(amsterdam(2026, 12, 24, 9, 0), calendar=HOLIDAYS)
        assert moments[0] == moment(date(2026, 12, 28), date(2026, 12, 29))


class YearRolloverTests:
    def test_order_placed_on_31_december_skips_new_years_day(self):
        # Thu 31 Dec delivers on the closed 1 Jan; Fri 1 Jan is closed; the weekend is no working day.
        now = amsterdam(2026, 12, 31, 10, 0)
        moments = delivery_moments(calendar=HOLIDAYS, profile=GENERIC_PROFILE, now=now)
        assert moments[0] == moment(date(2027, 1, 4), date(2027, 1, 5))

    def test_order_placed_on_31_december_with_two_days_transit_departs_that_day(self):
        two_days = CompanyDeliveryProfile(transit_days=2)
        now = amsterdam(2026, 12, 31, 13, 59, 59)
        assert next_delivery_moment(calendar=HOLIDAYS, profile=two_days, now=now) == moment(
            date(2026, 12, 31), date(2027, 1, 2)
        )
        after_cut_off = amsterdam(2026, 12, 31, 14, 0)
        assert next_delivery_moment(calendar=HOLIDAYS, profile=two_days, now=after_cut_off) == moment(
            date(2027, 1, 4), date(2027, 1, 6)
        )

    def test_late_order_on_new_years_eve_after_midnight_utc_is_the_first_of_january(self):
        # 23:30 UTC on 31 Dec is 00:30 on 1 Jan in Amsterdam: today is the closed New Year's Day.
        now = utc(2026, 12, 31, 23, 30)
        assert local_today(now) == date(2027, 1, 1)
        assert next_delivery_moment(calendar=HOLIDAYS, profile=GENERIC_PROFILE, now=now) == moment(
            date(2027, 1, 4), date(2027, 1, 5)
        )

    def test_horizon_continues_into_the_new_year(self):
        moments = delivery_moments(calendar=HOLIDAYS, profile=MON_WED_FRI, now=amsterdam(2026, 12, 20, 12, 0))
        assert departures(moments)[-1] == date(2027, 1, 15)
        assert date(2027, 1, 1) not in departures(moments)  # a Friday, but closed


class NoDeliveryMomentTests:
    def test_company_whose_departure_weekdays_are_no_shop_working_days_gets_a_clear_message(self):
        weekend = CompanyDeliveryProfile(departure_weekdays=frozenset({5, 6}))
        now = amsterdam(2026, 11, 30, 10, 0)
        assert delivery_moments(calendar=MON_TO_FRI, profile=weekend, now=now) == []
        with pytest.raises(
            NoDeliveryMomentError,
            match=r"^None of your departure days \(Saturday, Sunday\) is a working day of the shop\. Please contact us",
        ):
            next_delivery_moment(calendar=MON_TO_FRI, profile=weekend, now=now)

    def test_company_with_no_departure_in_the_horizon_gets_a_clear_message(self):
        # Mondays only, a six-day horizon from Tuesday, and that Monday is closed.
        mondays = CompanyDeliveryProfile(departure_weekdays=frozenset({0}))
        calendar = ShopCalendarRules(closed_dates=frozenset({date(2026, 12, 7)}), horizon_days=6)
        now = amsterdam(2026, 12, 1, 10, 0)
        assert delivery_moments(calendar=calendar, profile=mondays, now=now) == []
        with pytest.raises(NoDeliveryMomentError, match=r"^No delivery is possible in the next 6 days\."):
            next_delivery_moment(calendar=calendar, profile=mondays, now=now)

    def test_message_in_the_buyers_language(self):
        weekend = CompanyDeliveryProfile(departure_weekdays=frozenset({5}))
        now = amsterdam(2026, 11, 30, 10, 0)
        with pytest.raises(NoDeliveryMomentError) as raised:
            next_delivery_moment(calendar=MON_TO_FRI, profile=weekend, now=now, language="nl")
        assert raised.value.message == (
            "Geen van uw vertrekdagen (zaterdag) is een werkdag van de shop. Neem contact met ons op."
        )
        assert raised.value.status_code == 400


class DeliveryMomentCheckTests:
    def check(self, chosen, now):
        delivery_moment_check(moment=chosen, calendar=MON_TO_FRI, profile=GENERIC_PROFILE, now=now)

    def test_moment_stays_valid_until_its_cut_off(self):
        self.check(moment(date(2026, 11, 30), date(2026, 12, 1)), amsterdam(2026, 11, 30, 13, 59, 59))

    def test_moment_past_its_cut_off_raises_with_the_next_moment(self):
        message = "^Delivery on Tue 1 Dec can no longer be ordered. The next delivery is Wed 2 Dec.$"
        with pytest.raises(DeliveryMomentClosedError, match=message) as raised:
            self.check(moment(date(2026, 11, 30), date(2026, 12, 1)), amsterdam(2026, 11, 30, 14, 0))
        assert raised.value.next_moment == moment(date(2026, 12, 1), date(2026, 12, 2))

    def test_moment_that_does_not_match_the_profile_is_invalid(self):
        wrong_transit = moment(date(2026, 12, 1), date(2026, 12, 3))
        with pytest.raises(DeliveryMomentClosedError):
            self.check(wrong_transit, amsterdam(2026, 11, 30, 10, 0))
