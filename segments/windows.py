"""Calendar arithmetic in SHOP_TIME_ZONE: local days, their UTC instants, sales windows."""

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings

from segments.rules import SalesWindow


def shop_zone() -> ZoneInfo:
    return ZoneInfo(settings.SHOP_TIME_ZONE)


def local_today(now: datetime.datetime) -> datetime.date:
    return now.astimezone(shop_zone()).date()


def start_of_day(day: datetime.date) -> datetime.datetime:
    """The instant the local calendar day begins (DST-safe: midnight exists in Europe/Amsterdam)."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=shop_zone())


def start_of_day_after(day: datetime.date, days: int = 0) -> datetime.datetime | None:
    """start_of_day(day + days), or None when that instant is beyond what a datetime holds.

    Rule dates may be anything from 0001-01-01 to 9999-12-31; None stands for "no bound".
    """
    try:
        instant = start_of_day(day + datetime.timedelta(days=days))
        instant.astimezone(datetime.timezone.utc)
    except OverflowError:
        return None
    return instant


@dataclass(frozen=True)
class Period:
    """Instants from `start` (inclusive) to `end` (exclusive, or inclusive when `end_inclusive`)."""

    start: datetime.datetime | None
    end: datetime.datetime | None
    end_inclusive: bool = False


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month_index = day.year * 12 + (day.month - 1) + months
    return datetime.date(month_index // 12, month_index % 12 + 1, 1)


def window_period(window: SalesWindow, *, now: datetime.datetime) -> Period:
    today = local_today(now)
    if window.kind == "all_time":
        return Period(None, None)
    if window.kind == "this_year":
        return Period(start_of_day(today.replace(month=1, day=1)), start_of_day(datetime.date(today.year + 1, 1, 1)))
    if window.kind == "last_year":
        return Period(start_of_day(datetime.date(today.year - 1, 1, 1)), start_of_day(today.replace(month=1, day=1)))
    if window.kind == "this_quarter":
        first = datetime.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        return Period(start_of_day(first), start_of_day(_add_months(first, 3)))
    if window.kind == "this_month":
        first = today.replace(day=1)
        return Period(start_of_day(first), start_of_day(_add_months(first, 1)))
    if window.kind == "last_days":
        # From the start of (today - N) up to now: N + 1 calendar days including today.
        return Period(start_of_day(today - datetime.timedelta(days=window.days or 0)), now, end_inclusive=True)
    assert window.start is not None and window.end is not None
    return Period(start_of_day_after(window.start), start_of_day_after(window.end, 1))


def value_period(*, now: datetime.datetime) -> Period:
    """The 12 months of value.*: local days in [today - 12 months, yesterday]."""
    today = local_today(now)
    try:
        first = today.replace(year=today.year - 1)
    except ValueError:  # 29 February: twelve months back is 28 February
        first = today.replace(year=today.year - 1, day=28)
    return Period(start_of_day(first), start_of_day(today))
