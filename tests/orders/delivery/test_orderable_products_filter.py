"""The SQL filter for listings agrees with the Python check, product by product (SQLite and PostgreSQL)."""

import itertools
from datetime import date

import pytest
from django.db.models import Q

from catalog.models import Product
from orders.delivery_calendar import (
    GENERIC_PROFILE,
    CompanyDeliveryProfile,
    DeliveryMoment,
    ShopCalendarRules,
    delivery_moments,
    orderable_products_filter,
    product_availability,
)
from orders.selectors import orderable_product_list
from tests.catalog.factories import CategoryFactory, ProductFactory
from tests.orders.delivery.clock import amsterdam

# Wed 2 Dec is closed, so lead times across it differ from counting calendar days.
CALENDAR = ShopCalendarRules(closed_dates=frozenset({date(2026, 12, 2)}), recurring_closed=frozenset({(12, 25)}))
NOW = amsterdam(2026, 11, 30, 10, 0)
TODAY = date(2026, 11, 30)

FROM_DATES = (None, date(2026, 12, 1), date(2026, 12, 4), date(2026, 12, 9))
UNTIL_DATES = (None, date(2026, 12, 1), date(2026, 12, 5), date(2026, 12, 10))
WEEKDAYS = ("", "tue", "mon,wed,fri", "tue,thu,sat", "sun")
LEAD_TIMES = (0, 1, 2, 3, 6)


@pytest.fixture
def products(db):
    category = CategoryFactory()
    rows = [
        Product(
            sku=f"GRID-{number:04d}", name=f"Grid {number}", category=category, list_price=1,
            is_active=active, available_from=start, available_until=end, available_weekdays=weekdays,
            lead_time_days=lead,
        )
        for number, (active, start, end, weekdays, lead) in enumerate(
            itertools.product((True, False), FROM_DATES, UNTIL_DATES, WEEKDAYS, LEAD_TIMES)
        )
        if start is None or end is None or start <= end
    ]
    return Product.objects.bulk_create(rows)


def moments_under_test() -> list[DeliveryMoment]:
    generic = delivery_moments(calendar=CALENDAR, profile=GENERIC_PROFILE, now=NOW)[:8]
    two_days = delivery_moments(calendar=CALENDAR, profile=CompanyDeliveryProfile(transit_days=2), now=NOW)[:6]
    return generic + two_days


@pytest.mark.django_db
class OrderableProductsFilterTests:
    def test_sql_filter_agrees_with_product_availability(self, products):
        assert len(products) > 500
        for moment in moments_under_test():
            in_sql = set(
                Product.objects.filter(orderable_products_filter(moment=moment, calendar=CALENDAR, today=TODAY))
                .values_list("sku", flat=True)
            )
            in_python = {
                product.sku
                for product in products
                if product_availability(
                    product_fields=product, moment=moment, calendar=CALENDAR, today=TODAY, now=NOW, moments=[]
                ).orderable
            }
            assert in_sql == in_python, moment
            assert in_sql, moment  # every moment has some orderable products: the comparison means something

    def test_lead_time_is_compared_with_working_days_in_sql(self, products):
        # Departure Thu 3 Dec: Tue 1 and Thu 3 count, the closed Wed 2 does not.
        moment = DeliveryMoment(departure_date=date(2026, 12, 3), delivery_date=date(2026, 12, 4))
        leads = set(
            Product.objects.filter(orderable_products_filter(moment=moment, calendar=CALENDAR, today=TODAY))
            .values_list("lead_time_days", flat=True)
        )
        assert leads == {0, 1, 2}

    def test_filter_combines_with_other_conditions(self, products):
        moment = delivery_moments(calendar=CALENDAR, profile=GENERIC_PROFILE, now=NOW)[0]
        delivery_filter = orderable_products_filter(moment=moment, calendar=CALENDAR, today=TODAY)
        restricted = Product.objects.filter(delivery_filter & Q(available_weekdays="tue"))
        assert restricted.exists()
        assert all(product.available_weekdays == "tue" for product in restricted)

    def test_orderable_product_list_is_one_query(self, products, django_assert_num_queries):
        moment = delivery_moments(calendar=CALENDAR, profile=GENERIC_PROFILE, now=NOW)[0]
        with django_assert_num_queries(1):
            listed = list(orderable_product_list(moment=moment, calendar=CALENDAR, now=NOW))
        assert listed
        only_some = Product.objects.filter(sku__in=["GRID-0000", "GRID-0001"])
        subset = orderable_product_list(moment=moment, calendar=CALENDAR, now=NOW, products=only_some)
        assert {product.sku for product in subset} <= {"GRID-0000", "GRID-0001"}

    def test_product_from_the_factory_is_orderable(self, db):
        product = ProductFactory()
        moment = delivery_moments(calendar=CALENDAR, profile=GENERIC_PROFILE, now=NOW)[0]
        assert list(orderable_product_list(moment=moment, calendar=CALENDAR, now=NOW)) == [product]
