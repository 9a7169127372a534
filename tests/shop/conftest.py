import datetime
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

from tests.accounts.factories import CompanyFactory, ContactFactory
from tests.catalog.factories import CategoryFactory, PriceFactory, ProductFactory

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
# Thursday 26 Nov 2026 10:00: the generic next moment departs today and delivers Friday 27 Nov.
NOW = datetime.datetime(2026, 11, 26, 10, 0, tzinfo=AMSTERDAM)


@pytest.fixture(autouse=True)
def _frozen_now():
    """Shop views read timezone.now(); pin it so moments are deterministic."""
    with (
        mock.patch("catalog.shop_views.timezone.now", return_value=NOW),
        mock.patch("orders.shop_api.timezone.now", return_value=NOW),
    ):
        yield NOW


@pytest.fixture(autouse=True)
def _no_celery():
    with mock.patch("segments.tasks.contacts_reevaluate_task.delay"):
        yield


@pytest.fixture
def shop_data(db):
    """Two companies; a Tuesday-delivery-only product; a company price for company A."""
    company_a = CompanyFactory(name="Bloemen A", departure_weekdays="")
    company_b = CompanyFactory(name="Bloemen B")
    buyer_a = ContactFactory(company=company_a, email="anna@a.example", language="en")
    buyer_b = ContactFactory(company=company_b, email="bert@b.example", language="en")
    flowers = CategoryFactory(slug="flowers", name="Flowers")
    roses = CategoryFactory(slug="roses", name="Roses", parent=flowers)
    rose = ProductFactory(sku="ROSE-RED", name="Red Naomi rose", category=roses, list_price=Decimal("10.00"))
    tulip = ProductFactory(sku="TULIP-YEL", name="Yellow tulip", category=flowers, list_price=Decimal("3.00"))
    tuesday_only = ProductFactory(
        sku="PEONY-TUE",
        name="Sarah Bernhardt peony",
        category=flowers,
        available_weekdays="tue",
        list_price=Decimal("6.00"),
    )
    PriceFactory(product=rose, company=company_a, price=Decimal("8.40"))
    return {
        "company_a": company_a,
        "company_b": company_b,
        "buyer_a": buyer_a,
        "buyer_b": buyer_b,
        "flowers": flowers,
        "roses": roses,
        "rose": rose,
        "tulip": tulip,
        "tuesday_only": tuesday_only,
    }


@pytest.fixture
def category_tree(shop_data):
    """The closure rows the ERP import keeps for the category tree (restrictions and menus read them)."""
    from catalog.services import category_tree_rebuild

    category_tree_rebuild()


@pytest.fixture
def dealers(shop_data):
    """A "dealers" segment with buyer A as its only member (segment ids are cached per contact: cleared)."""
    from django.core.cache import cache

    from tests.segments.factories import SegmentFactory, SegmentMembershipFactory

    segment = SegmentFactory(slug="dealers", name="Dealers")
    SegmentMembershipFactory(segment=segment, contact=shop_data["buyer_a"])
    cache.clear()
    return segment
