"""Reads of the orders app: the shop calendar, delivery profiles and moments, orderable products."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from accounts.models import Company, User
from b2bshop.weekdays import weekday_numbers
from catalog.models import Product
from orders.delivery_calendar import (
    GENERIC_PROFILE,
    CompanyDeliveryProfile,
    DeliveryMoment,
    ShopCalendarRules,
    delivery_moments,
    local_today,
    next_delivery_moment,
    orderable_products_filter,
)
from orders.models import ClosedDay, CutOff, ShopCalendar


def shop_calendar_rules() -> ShopCalendarRules:
    """The shop calendar as plain values, in three queries; the defaults while no calendar row exists.

    Load it once per request (or per task) and pass it on: everything downstream is pure.
    """
    calendar = ShopCalendar.objects.values_list("working_weekdays", "horizon_days").first()
    closed_dates: set[datetime.date] = set()
    recurring: set[tuple[int, int]] = set()
    for day, recurs_yearly in ClosedDay.objects.values_list("date", "recurs_yearly"):
        if recurs_yearly:
            recurring.add((day.month, day.day))
        else:
            closed_dates.add(day)
    closed = {
        "closed_dates": frozenset(closed_dates),
        "recurring_closed": frozenset(recurring),
        "cut_offs": tuple(CutOff.objects.values_list("weekday", "time")),
    }
    if calendar is None:
        return ShopCalendarRules(**closed)
    working_weekdays, horizon_days = calendar
    return ShopCalendarRules(working_weekdays=weekday_numbers(working_weekdays), horizon_days=horizon_days, **closed)


def anonymous_delivery_profile() -> CompanyDeliveryProfile:
    """Anonymous visitors (and staff) browse by the shop's generic moments: every working day, transit 1."""
    return GENERIC_PROFILE


def company_delivery_profile(company: Company) -> CompanyDeliveryProfile:
    return CompanyDeliveryProfile.from_canonical(
        departure_weekdays=company.departure_weekdays, transit_days=company.transit_days
    )


def user_delivery_profile(user: User | AnonymousUser) -> CompanyDeliveryProfile:
    """The logged-in contact's company profile; the generic profile for anonymous visitors and staff."""
    company = getattr(user, "company", None) if user.is_authenticated else None
    return anonymous_delivery_profile() if company is None else company_delivery_profile(company)


def company_delivery_moments(
    *, company: Company | None, now: datetime.datetime, calendar: ShopCalendarRules | None = None
) -> list[DeliveryMoment]:
    """The company's moments at `now`, earliest first (the generic ones for None); may be empty."""
    profile = anonymous_delivery_profile() if company is None else company_delivery_profile(company)
    return delivery_moments(calendar=calendar or shop_calendar_rules(), profile=profile, now=now)


def company_next_delivery_moment(
    *,
    company: Company | None,
    now: datetime.datetime,
    calendar: ShopCalendarRules | None = None,
    language: str = "en",
) -> DeliveryMoment:
    """The default moment of the company (generic for None); raises NoDeliveryMomentError when none exists."""
    profile = anonymous_delivery_profile() if company is None else company_delivery_profile(company)
    return next_delivery_moment(
        calendar=calendar or shop_calendar_rules(), profile=profile, now=now, language=language
    )


def orderable_product_list(
    *,
    moment: DeliveryMoment,
    calendar: ShopCalendarRules,
    now: datetime.datetime,
    products: QuerySet[Product] | None = None,
) -> QuerySet[Product]:
    """The products (all, or the given queryset) orderable for `moment`, filtered in SQL."""
    queryset = Product.objects.all() if products is None else products
    return queryset.filter(orderable_products_filter(moment=moment, calendar=calendar, today=local_today(now)))
