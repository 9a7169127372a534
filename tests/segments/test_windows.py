"""Calendar arithmetic in SHOP_TIME_ZONE (Europe/Amsterdam): local days and sales windows (rules.md, semantics 1-3)."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from segments.rules import SalesWindow
from segments.windows import Period, local_today, start_of_day, value_period, window_period

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
UTC = datetime.UTC


def local(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=AMSTERDAM)


def utc(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=UTC)


def contains(period: Period, instant: datetime.datetime) -> bool:
    after_start = period.start is None or instant >= period.start
    if period.end is None:
        return after_start
    return after_start and (instant <= period.end if period.end_inclusive else instant < period.end)


class LocalTodayTests:
    def test_23_30_utc_in_summer_is_the_next_local_day(self):
        assert local_today(utc(2026, 6, 30, 23, 30)) == datetime.date(2026, 7, 1)

    def test_23_30_utc_on_new_years_eve_is_new_year_locally(self):
        assert local_today(utc(2025, 12, 31, 23, 30)) == datetime.date(2026, 1, 1)

    def test_22_59_utc_in_winter_is_still_the_same_local_day(self):
        assert local_today(utc(2026, 1, 15, 22, 59)) == datetime.date(2026, 1, 15)

    def test_an_amsterdam_datetime_is_its_own_day(self):
        assert local_today(local(2026, 4, 1, 0, 0)) == datetime.date(2026, 4, 1)


class StartOfDayTests:
    def test_is_local_midnight(self):
        assert start_of_day(datetime.date(2026, 1, 1)) == utc(2025, 12, 31, 23)
        assert start_of_day(datetime.date(2026, 7, 1)) == utc(2026, 6, 30, 22)

    def test_on_the_days_the_clocks_change(self):
        assert start_of_day(datetime.date(2026, 3, 29)) == utc(2026, 3, 28, 23)  # spring forward at 02:00
        assert start_of_day(datetime.date(2026, 10, 25)) == utc(2026, 10, 24, 22)  # fall back at 03:00
        day_length = start_of_day(datetime.date(2026, 3, 30)).astimezone(UTC) - start_of_day(datetime.date(2026, 3, 29))
        assert day_length == datetime.timedelta(hours=23)


class WindowPeriodTests:
    NOW = local(2026, 5, 15, 10, 0)

    def test_all_time_is_unbounded(self):
        assert window_period(SalesWindow("all_time"), now=self.NOW) == Period(None, None)

    def test_this_year_is_the_whole_local_calendar_year(self):
        period = window_period(SalesWindow("this_year"), now=self.NOW)
        assert period == Period(local(2026, 1, 1), local(2027, 1, 1))
        assert contains(period, utc(2025, 12, 31, 23, 30)) is True  # 00:30 on 1 January locally
        assert contains(period, utc(2025, 12, 31, 22, 59)) is False
        assert contains(period, local(2026, 12, 31, 23, 59)) is True  # later this year counts too

    def test_this_year_on_new_years_day_just_after_midnight(self):
        period = window_period(SalesWindow("this_year"), now=utc(2025, 12, 31, 23, 30))
        assert period.start == local(2026, 1, 1)

    def test_last_year_is_the_previous_calendar_year(self):
        period = window_period(SalesWindow("last_year"), now=self.NOW)
        assert period == Period(local(2025, 1, 1), local(2026, 1, 1))
        assert contains(period, utc(2025, 12, 31, 23, 30)) is False
        assert contains(period, utc(2024, 12, 31, 23, 30)) is True

    @pytest.mark.parametrize(
        ("today", "start", "end"),
        [
            (datetime.date(2026, 1, 1), datetime.date(2026, 1, 1), datetime.date(2026, 4, 1)),
            (datetime.date(2026, 5, 15), datetime.date(2026, 4, 1), datetime.date(2026, 7, 1)),
            (datetime.date(2026, 9, 30), datetime.date(2026, 7, 1), datetime.date(2026, 10, 1)),
            (datetime.date(2026, 12, 31), datetime.date(2026, 10, 1), datetime.date(2027, 1, 1)),
        ],
    )
    def test_this_quarter_is_the_calendar_quarter_containing_today(self, today, start, end):
        now = local(today.year, today.month, today.day, 12)
        assert window_period(SalesWindow("this_quarter"), now=now) == Period(start_of_day(start), start_of_day(end))

    def test_this_quarter_starts_at_local_midnight(self):
        period = window_period(SalesWindow("this_quarter"), now=local(2026, 4, 1, 10))
        assert contains(period, utc(2026, 3, 31, 22, 30)) is True  # 00:30 on 1 April locally
        assert contains(period, utc(2026, 3, 31, 21, 59)) is False

    @pytest.mark.parametrize(
        ("now", "start", "end"),
        [
            (local(2026, 2, 28, 12), local(2026, 2, 1), local(2026, 3, 1)),
            (local(2026, 12, 1, 0, 0), local(2026, 12, 1), local(2027, 1, 1)),
            (utc(2026, 4, 30, 22, 30), local(2026, 5, 1), local(2026, 6, 1)),  # 00:30 on 1 May locally
        ],
    )
    def test_this_month_is_the_local_calendar_month(self, now, start, end):
        assert window_period(SalesWindow("this_month"), now=now) == Period(start, end)

    def test_last_days_starts_at_the_beginning_of_today_minus_n_and_ends_now(self):
        period = window_period(SalesWindow("last_days", days=7), now=self.NOW)
        assert period == Period(local(2026, 5, 8), self.NOW, end_inclusive=True)
        assert contains(period, self.NOW) is True
        assert contains(period, local(2026, 5, 8, 0, 0)) is True
        assert contains(period, local(2026, 5, 7, 23, 59)) is False

    def test_last_days_zero_is_today_up_to_now(self):
        period = window_period(SalesWindow("last_days", days=0), now=self.NOW)
        assert period == Period(local(2026, 5, 15), self.NOW, end_inclusive=True)

    def test_last_days_is_n_plus_one_calendar_days(self):
        period = window_period(SalesWindow("last_days", days=30), now=local(2026, 3, 1, 9))
        assert (local_today(period.end) - local_today(period.start)).days + 1 == 31

    def test_a_date_range_includes_both_days_whole(self):
        window = SalesWindow("range", start=datetime.date(2026, 1, 1), end=datetime.date(2026, 1, 31))
        period = window_period(window, now=self.NOW)
        assert period == Period(local(2026, 1, 1), local(2026, 2, 1))
        assert contains(period, utc(2025, 12, 31, 23, 0)) is True
        assert contains(period, utc(2026, 1, 31, 22, 59, 59)) is True
        assert contains(period, utc(2026, 1, 31, 23, 0)) is False

    def test_a_single_day_range(self):
        window = SalesWindow("range", start=datetime.date(2026, 3, 29), end=datetime.date(2026, 3, 29))
        assert window_period(window, now=self.NOW) == Period(local(2026, 3, 29), local(2026, 3, 30))


class ValuePeriodTests:
    def test_twelve_calendar_months_up_to_yesterday(self):
        period = value_period(now=local(2026, 4, 1, 10))
        assert period == Period(local(2025, 4, 1), local(2026, 4, 1))
        assert contains(period, local(2026, 3, 31, 23, 59)) is True
        assert contains(period, local(2026, 4, 1, 0, 0)) is False  # orders placed today are excluded

    def test_on_29_february_the_window_starts_on_28_february(self):
        assert value_period(now=local(2028, 2, 29, 12)).start == local(2027, 2, 28)

    def test_uses_the_local_day_of_now(self):
        assert value_period(now=utc(2025, 12, 31, 23, 30)) == Period(local(2025, 1, 1), local(2026, 1, 1))
