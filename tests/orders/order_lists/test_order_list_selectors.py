import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.delivery_calendar import DeliveryMoment, delivery_moments
from orders.models import OrderListItem
from orders.order_list_selectors import (
    company_order_lists,
    order_list_get,
    order_list_rows,
)
from orders.order_list_services import order_list_create, order_list_default_ensure
from orders.selectors import company_delivery_profile, shop_calendar_rules
from tests.catalog.factories import ProductFactory

pytestmark = pytest.mark.django_db

NO_SEGMENTS = frozenset()
FRIDAY = DeliveryMoment(departure_date=datetime.date(2026, 11, 26), delivery_date=datetime.date(2026, 11, 27))


def _item(order_list, product, quantity, now):
    return OrderListItem.objects.create(order_list=order_list, product=product, quantity=quantity, added_at=now)


def _rows(shop_data, order_list, now, **kwargs):
    calendar = shop_calendar_rules()
    company = shop_data["company_a"]
    moments = delivery_moments(calendar=calendar, profile=company_delivery_profile(company), now=now)
    return order_list_rows(
        order_list=order_list, company=company, moment=FRIDAY, moments=moments, calendar=calendar, now=now,
        language="en", segment_ids=kwargs.pop("segment_ids", NO_SEGMENTS), is_authenticated=True, **kwargs,
    )


class CompanyOrderListsTests:
    def test_lists_of_the_company_only_favourites_first_with_visible_item_counts(self, shop_data, hidden_product, now):
        weekly = order_list_create(contact=shop_data["buyer_a"], name="A weekly")
        favourites = order_list_default_ensure(company=shop_data["company_a"])
        order_list_create(contact=shop_data["buyer_b"], name="B's list")
        _item(favourites, shop_data["rose"], 1, now)
        _item(favourites, hidden_product, 1, now)
        lists = list(company_order_lists(company_id=shop_data["company_a"].pk, segment_ids=NO_SEGMENTS,
                                         is_authenticated=True))
        assert [(order_list.name, order_list.item_count) for order_list in lists] == [
            ("Favourites", 1), ("A weekly", 0)
        ]
        assert weekly in lists

    def test_order_list_get_is_none_for_another_companys_list(self, shop_data):
        order_list = order_list_create(contact=shop_data["buyer_b"], name="B's list")
        assert order_list_get(company_id=shop_data["company_a"].pk, pk=order_list.pk) is None
        assert order_list_get(company_id=shop_data["company_b"].pk, pk=order_list.pk) == order_list


class OrderListRowsTests:
    def test_marks_unavailable_items_with_reason_and_first_date_and_leaves_out_hidden_ones(
        self, shop_data, hidden_product, now
    ):
        order_list = order_list_default_ensure(company=shop_data["company_a"])
        _item(order_list, shop_data["rose"], 10, now)
        _item(order_list, shop_data["tuesday_only"], 5, now)
        _item(order_list, hidden_product, 1, now)
        rows = _rows(shop_data, order_list, now)
        assert [row.product.sku for row in rows] == ["ROSE-RED", "PEONY-TUE"]  # by name
        rose, peony = rows
        assert rose.shop_product.availability.orderable is True
        assert rose.shop_product.price == Decimal("8.40")  # company A's price
        assert rose.item.quantity == 10
        assert peony.shop_product.availability.orderable is False
        assert peony.shop_product.availability.reason == "Not deliverable on Fridays"
        assert peony.shop_product.first_label == "Tue 1 Dec"

    def test_a_member_sees_the_restricted_product(self, shop_data, hidden_product, now):
        from segments.models import Segment

        order_list = order_list_default_ensure(company=shop_data["company_a"])
        _item(order_list, hidden_product, 1, now)
        rows = _rows(shop_data, order_list, now, segment_ids=frozenset({Segment.objects.get(slug="dealers").pk}))
        assert [row.product.sku for row in rows] == ["DEALER-ONLY"]

    def test_deliverable_only_filters_in_sql(self, shop_data, now):
        order_list = order_list_default_ensure(company=shop_data["company_a"])
        _item(order_list, shop_data["rose"], 10, now)
        _item(order_list, shop_data["tuesday_only"], 5, now)
        _item(order_list, ProductFactory(is_active=False, name="Old fern"), 5, now)
        assert [row.product.sku for row in _rows(shop_data, order_list, now, deliverable_only=True)] == ["ROSE-RED"]

    def test_an_inactive_product_stays_on_the_list_marked(self, shop_data, now):
        order_list = order_list_default_ensure(company=shop_data["company_a"])
        _item(order_list, ProductFactory(is_active=False, name="Old fern"), 5, now)
        (row,) = _rows(shop_data, order_list, now)
        assert row.shop_product.availability.orderable is False
        assert row.shop_product.availability.reason == "No longer available"

    def test_quantity_to_order_is_raised_to_the_current_minimum(self, shop_data, now):
        order_list = order_list_default_ensure(company=shop_data["company_a"])
        _item(order_list, ProductFactory(min_order_quantity=12), 5, now)
        (row,) = _rows(shop_data, order_list, now)
        assert row.quantity_to_order == 12

    def test_two_queries_whatever_the_number_of_items(self, shop_data, now):
        order_list = order_list_default_ensure(company=shop_data["company_a"])
        _item(order_list, shop_data["rose"], 1, now)
        calendar = shop_calendar_rules()
        company = shop_data["company_a"]
        moments = delivery_moments(calendar=calendar, profile=company_delivery_profile(company), now=now)
        kwargs = {"order_list": order_list, "company": company, "moment": FRIDAY, "moments": moments,
                  "calendar": calendar, "now": now, "language": "en", "segment_ids": NO_SEGMENTS,
                  "is_authenticated": True}
        with CaptureQueriesContext(connection) as few:
            assert len(order_list_rows(**kwargs)) == 1
        for product in ProductFactory.create_batch(12, category=shop_data["flowers"]):
            _item(order_list, product, 1, now)
        with CaptureQueriesContext(connection) as many:
            assert len(order_list_rows(**kwargs)) == 13
        assert len(few) == len(many) == 2
