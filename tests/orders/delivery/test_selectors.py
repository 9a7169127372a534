"""Loading the shop calendar and the delivery profiles from the database."""

import datetime
from datetime import date, time

import pytest
from django.contrib.auth.models import AnonymousUser

from orders.delivery_calendar import (
    GENERIC_PROFILE,
    CompanyDeliveryProfile,
    DeliveryMoment,
    NoDeliveryMomentError,
    ShopCalendarRules,
    delivery_moments,
)
from orders.models import CutOff
from orders.selectors import (
    anonymous_delivery_profile,
    company_delivery_moments,
    company_delivery_profile,
    company_next_delivery_moment,
    shop_calendar_rules,
    user_delivery_profile,
)
from tests.accounts.factories import CompanyFactory, ContactFactory, StaffUserFactory
from tests.orders.delivery.clock import amsterdam
from tests.orders.delivery.factories import ClosedDayFactory, CutOffFactory, ShopCalendarFactory

NOW = amsterdam(2026, 11, 30, 10, 0)


@pytest.mark.django_db
class ShopCalendarRulesTests:
    def test_defaults_without_any_calendar_rows(self):
        assert shop_calendar_rules() == ShopCalendarRules()
        assert shop_calendar_rules().cut_off_time(0) == time(14, 0)
        assert shop_calendar_rules().horizon_days == 28

    def test_loads_weekdays_horizon_closed_days_and_cut_offs(self):
        ShopCalendarFactory(working_weekdays="mon,tue,wed,thu,fri,sat", horizon_days=14)
        ClosedDayFactory(christmas=True)
        ClosedDayFactory(kings_day=True)
        ClosedDayFactory(date=date(2026, 5, 14), label="Ascension")
        CutOffFactory(weekday=CutOff.Weekday.FRIDAY, time=time(11, 0))
        rules = shop_calendar_rules()
        assert rules.working_weekdays == frozenset(range(6))
        assert rules.horizon_days == 14
        assert rules.closed_dates == frozenset({date(2026, 5, 14)})
        assert rules.recurring_closed == frozenset({(12, 25), (4, 27)})
        assert rules.cut_off_time(4) == time(11, 0)
        assert rules.cut_off_time(3) == time(14, 0)
        assert rules.is_closed(date(2031, 4, 27)) is True

    def test_closed_days_without_a_calendar_row_still_apply(self):
        ClosedDayFactory(new_year=True)
        assert shop_calendar_rules() == ShopCalendarRules(recurring_closed=frozenset({(1, 1)}))

    def test_is_three_queries_however_many_closed_days(self, django_assert_num_queries):
        ShopCalendarFactory()
        for offset in range(30):
            ClosedDayFactory(date=date(2026, 1, 1) + datetime.timedelta(days=offset))
        CutOffFactory(weekday=CutOff.Weekday.MONDAY)
        with django_assert_num_queries(3):
            shop_calendar_rules()


@pytest.mark.django_db
class DeliveryProfileTests:
    def test_company_profile_from_its_departure_weekdays_and_transit_days(self):
        company = CompanyFactory(departure_weekdays="mon,wed,fri", transit_days=2)
        assert company_delivery_profile(company) == CompanyDeliveryProfile(
            departure_weekdays=frozenset({0, 2, 4}), transit_days=2
        )

    def test_company_without_departure_weekdays_departs_every_working_day(self):
        assert company_delivery_profile(CompanyFactory(departure_weekdays="")).departure_weekdays == frozenset()

    def test_anonymous_profile_is_every_working_day_with_one_day_transit(self):
        assert anonymous_delivery_profile() == GENERIC_PROFILE == CompanyDeliveryProfile(transit_days=1)

    def test_user_profile_is_the_contacts_company_otherwise_generic(self):
        contact = ContactFactory(company=CompanyFactory(departure_weekdays="tue", transit_days=3))
        expected = CompanyDeliveryProfile(departure_weekdays=frozenset({1}), transit_days=3)
        assert user_delivery_profile(contact) == expected
        assert user_delivery_profile(AnonymousUser()) == GENERIC_PROFILE
        assert user_delivery_profile(StaffUserFactory()) == GENERIC_PROFILE


@pytest.mark.django_db
class CompanyDeliveryMomentsTests:
    def test_company_moments_use_the_stored_calendar(self):
        ClosedDayFactory(date=date(2026, 12, 2))
        company = CompanyFactory(departure_weekdays="mon,wed,fri")
        moments = company_delivery_moments(company=company, now=NOW)
        assert moments[:2] == [
            DeliveryMoment(departure_date=date(2026, 11, 30), delivery_date=date(2026, 12, 1)),
            DeliveryMoment(departure_date=date(2026, 12, 4), delivery_date=date(2026, 12, 5)),
        ]

    def test_no_company_gets_the_generic_moments(self):
        assert company_delivery_moments(company=None, now=NOW) == delivery_moments(
            calendar=ShopCalendarRules(), profile=GENERIC_PROFILE, now=NOW
        )

    def test_next_moment_of_a_company(self):
        company = CompanyFactory(departure_weekdays="wed")
        assert company_next_delivery_moment(company=company, now=NOW) == DeliveryMoment(
            departure_date=date(2026, 12, 2), delivery_date=date(2026, 12, 3)
        )

    def test_company_without_a_possible_moment_gets_the_message_in_its_language(self):
        company = CompanyFactory(departure_weekdays="sun")
        with pytest.raises(NoDeliveryMomentError, match=r"^Keiner Ihrer Versandtage \(Sonntag\)"):
            company_next_delivery_moment(company=company, now=NOW, language="de")

    def test_a_loaded_calendar_is_reused_without_queries(self, django_assert_num_queries):
        calendar = shop_calendar_rules()
        company = CompanyFactory()
        with django_assert_num_queries(0):
            company_delivery_moments(company=company, now=NOW, calendar=calendar)
