import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from orders.delivery_calendar import DeliveryMoment, DeliveryMomentClosedError
from orders.models import Cart, CartLine, OrderList, OrderListItem
from orders.order_list_services import (
    OrderListDefaultError,
    OrderListLimitError,
    OrderListNameError,
    OrderListNotFoundError,
    OrderListProductNotFoundError,
    OrderListQuantityError,
    order_list_cart_add,
    order_list_cart_save,
    order_list_create,
    order_list_default_ensure,
    order_list_delete,
    order_list_item_add,
    order_list_item_set,
    order_list_rename,
)
from orders.services import cart_line_set
from tests.accounts.factories import ContactFactory
from tests.catalog.factories import ProductFactory
from tests.orders.factories import CartFactory, CartLineFactory

pytestmark = pytest.mark.django_db

NO_SEGMENTS = frozenset()
FRIDAY = DeliveryMoment(departure_date=datetime.date(2026, 11, 26), delivery_date=datetime.date(2026, 11, 27))
TUESDAY = DeliveryMoment(departure_date=datetime.date(2026, 11, 30), delivery_date=datetime.date(2026, 12, 1))


def _item(order_list, product, quantity, now):
    return OrderListItem.objects.create(order_list=order_list, product=product, quantity=quantity, added_at=now)


class OrderListCreateTests:
    def test_creates_a_list_of_the_contacts_company_with_a_cleaned_name(self, shop_data):
        order_list = order_list_create(contact=shop_data["buyer_a"], name="  Weekly   roses ")
        assert order_list.name == "Weekly roses"
        assert order_list.company == shop_data["company_a"]
        assert order_list.created_by_id == shop_data["buyer_a"].pk
        assert order_list.is_default is False

    def test_names_are_unique_per_company_ignoring_case(self, shop_data):
        order_list_create(contact=shop_data["buyer_a"], name="Weekly")
        with pytest.raises(OrderListNameError, match="already has a list called “WEEKLY”"):
            order_list_create(contact=shop_data["buyer_a"], name="WEEKLY")
        assert order_list_create(contact=shop_data["buyer_b"], name="Weekly").company == shop_data["company_b"]

    @pytest.mark.parametrize("name", ["", "   ", None])
    def test_a_name_is_required(self, shop_data, name):
        with pytest.raises(OrderListNameError, match="Give the list a name"):
            order_list_create(contact=shop_data["buyer_a"], name=name)

    def test_a_name_has_at_most_80_characters(self, shop_data):
        order_list_create(contact=shop_data["buyer_a"], name="x" * 80)
        with pytest.raises(OrderListNameError, match="at most 80 characters"):
            order_list_create(contact=shop_data["buyer_a"], name="y" * 81)

    def test_the_favourites_name_gives_the_default_list(self, shop_data):
        order_list = order_list_create(contact=shop_data["buyer_a"], name="favourites")
        assert order_list.is_default is True
        assert OrderList.objects.filter(company=shop_data["company_a"]).count() == 1

    def test_a_company_keeps_a_limited_number_of_lists(self, shop_data, monkeypatch):
        monkeypatch.setattr("orders.order_list_services.ORDER_LIST_MAX_LISTS", 2)
        order_list_create(contact=shop_data["buyer_a"], name="One")
        order_list_create(contact=shop_data["buyer_a"], name="Two")
        with pytest.raises(OrderListLimitError, match="at most 2 lists"):
            order_list_create(contact=shop_data["buyer_a"], name="Three")


class OrderListDefaultEnsureTests:
    def test_creates_favourites_once_per_company(self, shop_data):
        first = order_list_default_ensure(company=shop_data["company_a"])
        again = order_list_default_ensure(company=shop_data["company_a"])
        other = order_list_default_ensure(company=shop_data["company_b"])
        assert first == again and first.name == "Favourites" and first.is_default is True
        assert other != first and other.company == shop_data["company_b"]

    def test_the_database_refuses_a_second_default_list(self, shop_data):
        order_list_default_ensure(company=shop_data["company_a"])
        with pytest.raises(IntegrityError), transaction.atomic():
            OrderList.objects.create(company=shop_data["company_a"], name="Other", is_default=True)

    def test_a_list_named_favourites_that_is_not_the_default_becomes_it(self, shop_data):
        stray = OrderList.objects.create(company=shop_data["company_a"], name="FAVOURITES")
        assert order_list_default_ensure(company=shop_data["company_a"]) == stray
        stray.refresh_from_db()
        assert stray.is_default is True


class OrderListRenameDeleteTests:
    def test_rename(self, shop_data):
        order_list = order_list_create(contact=shop_data["buyer_a"], name="Old")
        order_list_rename(contact=shop_data["buyer_a"], order_list=order_list, name="New")
        order_list.refresh_from_db()
        assert order_list.name == "New"

    def test_rename_to_an_existing_name_or_favourites_is_refused(self, shop_data):
        order_list_create(contact=shop_data["buyer_a"], name="Taken")
        order_list = order_list_create(contact=shop_data["buyer_a"], name="Mine")
        with pytest.raises(OrderListNameError):
            order_list_rename(contact=shop_data["buyer_a"], order_list=order_list, name="taken")
        with pytest.raises(OrderListNameError):
            order_list_rename(contact=shop_data["buyer_a"], order_list=order_list, name="Favourites")

    def test_renaming_to_the_same_name_in_another_case_is_allowed(self, shop_data):
        order_list = order_list_create(contact=shop_data["buyer_a"], name="mine")
        assert order_list_rename(contact=shop_data["buyer_a"], order_list=order_list, name="Mine").name == "Mine"

    def test_favourites_cannot_be_renamed_or_deleted(self, shop_data):
        favourites = order_list_default_ensure(company=shop_data["company_a"])
        with pytest.raises(OrderListDefaultError, match="cannot be renamed"):
            order_list_rename(contact=shop_data["buyer_a"], order_list=favourites, name="Other")
        with pytest.raises(OrderListDefaultError, match="cannot be deleted"):
            order_list_delete(contact=shop_data["buyer_a"], order_list=favourites)

    def test_delete_removes_the_list_and_its_items(self, shop_data, now):
        order_list = order_list_create(contact=shop_data["buyer_a"], name="Gone")
        _item(order_list, shop_data["rose"], 5, now)
        order_list_delete(contact=shop_data["buyer_a"], order_list=order_list)
        assert not OrderList.objects.filter(pk=order_list.pk).exists()
        assert not OrderListItem.objects.filter(order_list_id=order_list.pk).exists()

    def test_a_colleague_may_rename_and_delete_a_shared_list(self, shop_data):
        colleague = ContactFactory(company=shop_data["company_a"])
        order_list = order_list_create(contact=shop_data["buyer_a"], name="Shared")
        order_list_rename(contact=colleague, order_list=order_list, name="Shared too")
        order_list_delete(contact=colleague, order_list=order_list)
        assert not OrderList.objects.filter(pk=order_list.pk).exists()

    @pytest.mark.parametrize("action", ["rename", "delete"])
    def test_another_companys_list_is_not_found(self, shop_data, action):
        order_list = order_list_create(contact=shop_data["buyer_b"], name="B's list")
        with pytest.raises(OrderListNotFoundError) as raised:
            if action == "rename":
                order_list_rename(contact=shop_data["buyer_a"], order_list=order_list, name="Mine now")
            else:
                order_list_delete(contact=shop_data["buyer_a"], order_list=order_list)
        assert raised.value.status_code == 404
        order_list.refresh_from_db()
        assert order_list.name == "B's list"


class OrderListItemSetTests:
    def test_sets_changes_and_removes_an_item(self, shop_data, now):
        order_list = order_list_default_ensure(company=shop_data["company_a"])
        kwargs = {"contact": shop_data["buyer_a"], "order_list": order_list, "product": shop_data["rose"],
                  "segment_ids": NO_SEGMENTS, "now": now}
        assert order_list_item_set(quantity=10, **kwargs).quantity == 10
        assert order_list_item_set(quantity=4, **kwargs).quantity == 4
        assert OrderListItem.objects.get(order_list=order_list).quantity == 4
        assert order_list_item_set(quantity=0, **kwargs) is None
        assert not OrderListItem.objects.filter(order_list=order_list).exists()

    def test_a_quantity_below_the_minimum_or_negative_is_refused(self, shop_data, now):
        product = ProductFactory(min_order_quantity=10)
        order_list = order_list_default_ensure(company=shop_data["company_a"])
        kwargs = {"contact": shop_data["buyer_a"], "order_list": order_list, "product": product,
                  "segment_ids": NO_SEGMENTS, "now": now}
        with pytest.raises(OrderListQuantityError, match="is sold from 10"):
            order_list_item_set(quantity=9, **kwargs)
        with pytest.raises(OrderListQuantityError, match="cannot be negative"):
            order_list_item_set(quantity=-1, **kwargs)
        assert order_list_item_set(quantity=10, **kwargs).quantity == 10

    def test_a_hidden_or_inactive_product_cannot_be_added_but_can_be_removed(self, shop_data, hidden_product, now):
        order_list = order_list_default_ensure(company=shop_data["company_a"])
        inactive = ProductFactory(is_active=False)
        for product in (hidden_product, inactive):
            kwargs = {"contact": shop_data["buyer_a"], "order_list": order_list, "product": product,
                      "segment_ids": NO_SEGMENTS, "now": now}
            with pytest.raises(OrderListProductNotFoundError) as raised:
                order_list_item_set(quantity=3, **kwargs)
            assert raised.value.status_code == 404
            _item(order_list, product, 3, now)
            assert order_list_item_set(quantity=0, **kwargs) is None
        assert not OrderListItem.objects.filter(order_list=order_list).exists()

    def test_a_member_of_the_segment_may_add_the_restricted_product(self, shop_data, hidden_product, now):
        from segments.models import Segment

        segment_ids = frozenset({Segment.objects.get(slug="dealers").pk})
        order_list = order_list_default_ensure(company=shop_data["company_a"])
        item = order_list_item_set(contact=shop_data["buyer_a"], order_list=order_list, product=hidden_product,
                                   quantity=2, segment_ids=segment_ids, now=now)
        assert item.quantity == 2

    def test_another_companys_list_is_not_found(self, shop_data, now):
        order_list = order_list_default_ensure(company=shop_data["company_b"])
        with pytest.raises(OrderListNotFoundError):
            order_list_item_set(contact=shop_data["buyer_a"], order_list=order_list, product=shop_data["rose"],
                                quantity=1, segment_ids=NO_SEGMENTS, now=now)
        assert not OrderListItem.objects.exists()

    def test_a_list_holds_a_limited_number_of_products(self, shop_data, now, monkeypatch):
        monkeypatch.setattr("orders.order_list_services.ORDER_LIST_MAX_ITEMS", 2)
        order_list = order_list_default_ensure(company=shop_data["company_a"])
        for product in (shop_data["rose"], shop_data["tulip"]):
            order_list_item_set(contact=shop_data["buyer_a"], order_list=order_list, product=product, quantity=1,
                                segment_ids=NO_SEGMENTS, now=now)
        with pytest.raises(OrderListLimitError, match="at most 2 products"):
            order_list_item_set(contact=shop_data["buyer_a"], order_list=order_list,
                                product=shop_data["tuesday_only"], quantity=1, segment_ids=NO_SEGMENTS, now=now)
        # Changing an item already on the full list still works.
        order_list_item_set(contact=shop_data["buyer_a"], order_list=order_list, product=shop_data["rose"],
                            quantity=7, segment_ids=NO_SEGMENTS, now=now)
        assert OrderListItem.objects.get(order_list=order_list, product=shop_data["rose"]).quantity == 7


class OrderListItemAddTests:
    def test_a_new_item_gets_the_minimum_and_an_existing_one_keeps_its_quantity(self, shop_data, now):
        product = ProductFactory(min_order_quantity=5)
        order_list = order_list_default_ensure(company=shop_data["company_a"])
        kwargs = {"contact": shop_data["buyer_a"], "order_list": order_list, "product": product,
                  "segment_ids": NO_SEGMENTS, "now": now}
        assert order_list_item_add(**kwargs).quantity == 5
        order_list_item_set(quantity=20, **kwargs)
        assert order_list_item_add(**kwargs).quantity == 20
        assert order_list_item_add(quantity=15, **kwargs).quantity == 15

    @pytest.mark.parametrize("quantity", [0, -2, 3])
    def test_an_explicit_quantity_must_be_at_least_the_minimum(self, shop_data, now, quantity):
        product = ProductFactory(min_order_quantity=5)
        order_list = order_list_default_ensure(company=shop_data["company_a"])
        with pytest.raises(OrderListQuantityError):
            order_list_item_add(contact=shop_data["buyer_a"], order_list=order_list, product=product,
                                quantity=quantity, segment_ids=NO_SEGMENTS, now=now)

    def test_a_hidden_product_is_not_found(self, shop_data, hidden_product, now):
        order_list = order_list_default_ensure(company=shop_data["company_a"])
        with pytest.raises(OrderListProductNotFoundError):
            order_list_item_add(contact=shop_data["buyer_a"], order_list=order_list, product=hidden_product,
                                segment_ids=NO_SEGMENTS, now=now)


class OrderListCartSaveTests:
    def test_puts_the_cart_lines_on_the_list_with_their_quantities(self, shop_data, hidden_product, now):
        cart = CartFactory(contact=shop_data["buyer_a"])
        CartLineFactory(cart=cart, product=shop_data["rose"], quantity=12)
        CartLineFactory(cart=cart, product=shop_data["tulip"], quantity=3)
        CartLineFactory(cart=cart, product=hidden_product, quantity=1)  # no longer visible to the buyer
        order_list = order_list_create(contact=shop_data["buyer_a"], name="From cart")
        _item(order_list, shop_data["tulip"], 50, now)
        saved = order_list_cart_save(contact=shop_data["buyer_a"], order_list=order_list, segment_ids=NO_SEGMENTS,
                                     now=now)
        assert saved == 2
        assert dict(order_list.items.values_list("product__sku", "quantity")) == {"ROSE-RED": 12, "TULIP-YEL": 3}

    def test_another_contacts_cart_is_not_used(self, shop_data, now):
        CartLineFactory(cart=CartFactory(contact=ContactFactory(company=shop_data["company_a"])),
                        product=shop_data["rose"])
        order_list = order_list_default_ensure(company=shop_data["company_a"])
        assert order_list_cart_save(contact=shop_data["buyer_a"], order_list=order_list, segment_ids=NO_SEGMENTS,
                                    now=now) == 0

    def test_into_another_companys_list_is_not_found(self, shop_data, now):
        with pytest.raises(OrderListNotFoundError):
            order_list_cart_save(contact=shop_data["buyer_a"],
                                 order_list=order_list_default_ensure(company=shop_data["company_b"]),
                                 segment_ids=NO_SEGMENTS, now=now)


class OrderListCartAddTests:
    def _list(self, shop_data, hidden_product, now):
        order_list = order_list_default_ensure(company=shop_data["company_a"])
        _item(order_list, shop_data["rose"], 10, now)
        _item(order_list, shop_data["tuesday_only"], 5, now)
        _item(order_list, hidden_product, 1, now)
        return order_list

    def test_adds_the_orderable_products_and_reports_the_rest(self, shop_data, hidden_product, now):
        order_list = self._list(shop_data, hidden_product, now)
        result = order_list_cart_add(contact=shop_data["buyer_a"], order_list=order_list, moment=FRIDAY, now=now,
                                     segment_ids=NO_SEGMENTS)
        assert [(product.sku, quantity) for product, quantity in result.added] == [("ROSE-RED", 10)]
        assert [(product.sku, reason) for product, reason in result.skipped] == [
            ("PEONY-TUE", "Not deliverable on Fridays")
        ]
        cart = Cart.objects.get(contact=shop_data["buyer_a"], status=Cart.Status.OPEN)
        assert (cart.departure_date, cart.delivery_date) == (FRIDAY.departure_date, FRIDAY.delivery_date)
        line = CartLine.objects.get(cart=cart)
        assert (line.product, line.quantity, line.unit_price) == (shop_data["rose"], 10, Decimal("8.40"))

    def test_another_moment_changes_what_is_added(self, shop_data, hidden_product, now):
        order_list = self._list(shop_data, hidden_product, now)
        result = order_list_cart_add(contact=shop_data["buyer_a"], order_list=order_list, moment=TUESDAY, now=now,
                                     segment_ids=NO_SEGMENTS)
        assert sorted(product.sku for product, _ in result.added) == ["PEONY-TUE", "ROSE-RED"]
        assert result.skipped == ()
        assert Cart.objects.get(contact=shop_data["buyer_a"]).delivery_date == TUESDAY.delivery_date

    def test_quantities_add_up_and_are_raised_to_the_minimum(self, shop_data, now):
        product = ProductFactory(min_order_quantity=6)
        order_list = order_list_default_ensure(company=shop_data["company_a"])
        _item(order_list, product, 2, now)  # the minimum was raised after the item was saved
        cart_line_set(contact=shop_data["buyer_a"], product=product, quantity=6, now=now)
        result = order_list_cart_add(contact=shop_data["buyer_a"], order_list=order_list, moment=FRIDAY, now=now,
                                     segment_ids=NO_SEGMENTS)
        assert result.added == ((product, 6),)
        assert CartLine.objects.get(product=product).quantity == 12

    def test_a_moment_that_closed_adds_nothing(self, shop_data, hidden_product, now):
        order_list = self._list(shop_data, hidden_product, now)
        after_cut_off = now.replace(hour=14)
        with pytest.raises(DeliveryMomentClosedError):
            order_list_cart_add(contact=shop_data["buyer_a"], order_list=order_list, moment=FRIDAY,
                                now=after_cut_off, segment_ids=NO_SEGMENTS)
        assert not CartLine.objects.exists()

    def test_another_companys_list_is_not_found(self, shop_data, now):
        order_list = order_list_default_ensure(company=shop_data["company_b"])
        _item(order_list, shop_data["rose"], 1, now)
        with pytest.raises(OrderListNotFoundError):
            order_list_cart_add(contact=shop_data["buyer_a"], order_list=order_list, moment=FRIDAY, now=now,
                                segment_ids=NO_SEGMENTS)
        assert not CartLine.objects.exists()
