"""Constraints of the shop calendar models."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from orders.models import ClosedDay, CutOff, ShopCalendar
from tests.orders.delivery.factories import ClosedDayFactory, CutOffFactory, ShopCalendarFactory


@pytest.mark.django_db
class ShopCalendarModelTests:
    def test_defaults_are_monday_to_friday_and_28_days(self):
        calendar = ShopCalendar.objects.create()
        assert calendar.working_weekdays == "mon,tue,wed,thu,fri"
        assert calendar.horizon_days == 28

    def test_there_is_at_most_one_calendar(self):
        ShopCalendarFactory()
        with pytest.raises(IntegrityError), transaction.atomic():
            ShopCalendar.objects.create()

    def test_calendar_needs_a_working_weekday(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            ShopCalendar.objects.create(working_weekdays="")

    def test_horizon_is_at_least_one_day(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            ShopCalendar.objects.create(horizon_days=0)

    def test_working_weekdays_are_validated_as_canonical(self):
        with pytest.raises(ValidationError, match="write weekdays as 'mon,fri'"):
            ShopCalendar(working_weekdays="fri,mon").full_clean()


@pytest.mark.django_db
class ClosedDayModelTests:
    def test_a_date_is_closed_once(self):
        ClosedDayFactory(date=datetime.date(2026, 12, 31))
        with pytest.raises(IntegrityError), transaction.atomic():
            ClosedDayFactory(date=datetime.date(2026, 12, 31))

    def test_str_shows_yearly_days_without_the_year(self):
        assert str(ClosedDay(date=datetime.date(2000, 4, 27), recurs_yearly=True, label="King's Day")) == (
            "27 Apr (yearly) King's Day"
        )
        assert str(ClosedDay(date=datetime.date(2026, 5, 14), label="Ascension")) == "2026-05-14 Ascension"


@pytest.mark.django_db
class CutOffModelTests:
    def test_one_cut_off_per_weekday(self):
        CutOff.objects.create(weekday=CutOff.Weekday.FRIDAY, time=datetime.time(11))
        with pytest.raises(IntegrityError), transaction.atomic():
            CutOff.objects.create(weekday=CutOff.Weekday.FRIDAY, time=datetime.time(12))

    def test_default_time_is_14_00(self):
        assert CutOffFactory(weekday=CutOff.Weekday.MONDAY).time == datetime.time(14, 0)
        assert CutOff().time == datetime.time(14, 0)

    def test_weekday_is_0_to_6(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            CutOff.objects.create(weekday=7)
