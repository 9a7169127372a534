import datetime

import factory
from factory.django import DjangoModelFactory

from orders.models import ClosedDay, CutOff, ShopCalendar


class ShopCalendarFactory(DjangoModelFactory):
    class Meta:
        model = ShopCalendar
        django_get_or_create = ("singleton",)

    singleton = 1
    working_weekdays = "mon,tue,wed,thu,fri"
    horizon_days = 28


class ClosedDayFactory(DjangoModelFactory):
    class Meta:
        model = ClosedDay

    date = factory.Sequence(lambda n: datetime.date(2026, 1, 1) + datetime.timedelta(days=n))
    label = "Closed"

    class Params:
        christmas = factory.Trait(date=datetime.date(2000, 12, 25), recurs_yearly=True, label="Christmas")
        new_year = factory.Trait(date=datetime.date(2000, 1, 1), recurs_yearly=True, label="New Year's Day")
        kings_day = factory.Trait(date=datetime.date(2000, 4, 27), recurs_yearly=True, label="King's Day")


class CutOffFactory(DjangoModelFactory):
    class Meta:
        model = CutOff
        django_get_or_create = ("weekday",)

    weekday = CutOff.Weekday.MONDAY
    time = datetime.time(14, 0)
