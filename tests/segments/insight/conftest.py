import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from rest_framework.test import APIClient

from orders.models import Order
from tests.accounts.factories import ContactFactory
from tests.orders.factories import OrderFactory

AMS = ZoneInfo("Europe/Amsterdam")
NOW = datetime.datetime(2026, 6, 15, 9, 0, tzinfo=AMS)  # the 12 months: 15 June 2025 .. 14 June 2026
YESTERDAY = datetime.date(2026, 6, 14)


def order(company, *, day: datetime.date, amount: str, channel=Order.Channel.WEB, status=Order.Status.SHIPPED, hour: int = 12):
    return OrderFactory(
        company=company, ordered_at=datetime.datetime.combine(day, datetime.time(hour), tzinfo=AMS),
        total_amount=Decimal(amount), channel=channel, status=status,
    )


def days_ago(days: int) -> datetime.date:
    return NOW.date() - datetime.timedelta(days=days)


@pytest.fixture
def marketer_api(marketer):
    client = APIClient()
    client.force_authenticate(marketer)
    return client


@pytest.fixture
def buyer_api(db):
    client = APIClient()
    client.force_authenticate(ContactFactory())
    return client
