from decimal import Decimal

import pytest
from django.urls import reverse

from orders.models import Cart, Order, OrderList, OrderListItem
from tests.admin_support import page_query_count
from tests.accounts.factories import ContactFactory
from tests.catalog.factories import ProductFactory
from tests.orders.factories import CartFactory, CartLineFactory, OrderFactory, OrderLineFactory


@pytest.mark.django_db
class OrdersAdminPagesLoadTests:
    @pytest.mark.parametrize("role", ["superuser", "marketer"])
    def test_changelists_and_change_pages_load(self, request, admin_client_for, role):
        client = admin_client_for(request.getfixturevalue(role))
        contact = ContactFactory()
        order = OrderFactory(company=contact.company, contact=contact)
        OrderLineFactory.create_batch(2, order=order)
        cart = CartFactory(contact=contact)
        CartLineFactory(cart=cart)
        urls = [
            reverse("admin:orders_order_changelist"),
            reverse("admin:orders_order_change", args=[order.pk]),
            reverse("admin:orders_cart_changelist"),
            reverse("admin:orders_cart_change", args=[cart.pk]),
        ]
        for url in urls:
            assert client.get(url).status_code == 200, url


@pytest.mark.django_db
class OrderAdminTests:
    def test_orders_are_view_only_for_everyone(self, superuser, admin_client_for):
        client = admin_client_for(superuser)
        order = OrderFactory(status=Order.Status.SHIPPED)
        response = client.post(reverse("admin:orders_order_change", args=[order.pk]), {"status": "cancelled"})
        order.refresh_from_db()
        assert response.status_code == 403
        assert order.status == Order.Status.SHIPPED
        assert client.get(reverse("admin:orders_order_add")).status_code == 403
        assert client.get(reverse("admin:orders_order_delete", args=[order.pk])).status_code == 403

    def test_the_change_page_shows_the_lines_with_their_totals(self, marketer, admin_client_for):
        order = OrderFactory()
        OrderLineFactory(order=order, product__sku="ROSE-1", quantity=3, unit_price=Decimal("2.50"))
        content = admin_client_for(marketer).get(reverse("admin:orders_order_change", args=[order.pk])).content
        assert b"ROSE-1" in content
        assert b"7.50" in content

    def test_filter_by_channel_and_status(self, marketer, admin_client_for):
        wanted = OrderFactory(channel=Order.Channel.PHONE, status=Order.Status.OPEN)
        OrderFactory(channel=Order.Channel.PHONE, status=Order.Status.SHIPPED)
        OrderFactory(channel=Order.Channel.WEB, status=Order.Status.OPEN)
        response = admin_client_for(marketer).get(
            reverse("admin:orders_order_changelist"), {"channel__exact": "phone", "status__exact": "open"}
        )
        assert [o.pk for o in response.context["cl"].result_list] == [wanted.pk]

    def test_the_company_link_lists_the_company_orders(self, marketer, admin_client_for):
        wanted = OrderFactory()
        OrderFactory()
        response = admin_client_for(marketer).get(
            reverse("admin:orders_order_changelist"), {"company__id__exact": wanted.company_id}
        )
        assert [o.pk for o in response.context["cl"].result_list] == [wanted.pk]

    def test_changelist_query_count_does_not_grow_with_rows(self, marketer, admin_client_for):
        client = admin_client_for(marketer)
        url = reverse("admin:orders_order_changelist")
        for _ in range(5):
            contact = ContactFactory()
            OrderLineFactory(order=OrderFactory(company=contact.company, contact=contact))
        client.get(url)
        few = page_query_count(client, url)
        for _ in range(20):
            contact = ContactFactory()
            OrderLineFactory(order=OrderFactory(company=contact.company, contact=contact))
        assert page_query_count(client, url) == few


@pytest.mark.django_db
class CartAdminTests:
    def test_the_list_shows_line_count_and_value(self, marketer, admin_client_for):
        cart = CartFactory()
        CartLineFactory(cart=cart, quantity=2, unit_price=Decimal("3.00"))
        CartLineFactory(cart=cart, quantity=1, unit_price=Decimal("4.50"))
        CartFactory()
        response = admin_client_for(marketer).get(reverse("admin:orders_cart_changelist"))
        rows = {c.pk: (c.line_count_total, c.value_total) for c in response.context["cl"].result_list}
        assert rows[cart.pk] == (2, Decimal("10.50"))
        assert b"10.50" in response.content

    def test_carts_are_view_only_for_everyone(self, superuser, admin_client_for):
        cart = CartFactory()
        response = admin_client_for(superuser).post(
            reverse("admin:orders_cart_change", args=[cart.pk]), {"status": "abandoned"}
        )
        cart.refresh_from_db()
        assert response.status_code == 403
        assert cart.status == Cart.Status.OPEN

    def test_changelist_query_count_does_not_grow_with_rows(self, marketer, admin_client_for):
        client = admin_client_for(marketer)
        url = reverse("admin:orders_cart_changelist")
        CartLineFactory.create_batch(5)
        client.get(url)
        few = page_query_count(client, url)
        CartLineFactory.create_batch(20)
        assert page_query_count(client, url) == few


@pytest.mark.django_db
class OrderListAdminTests:
    def test_lists_and_their_items_show_read_only(self, superuser, admin_client_for):
        client = admin_client_for(superuser)
        contact = ContactFactory()
        order_list = OrderList.objects.create(company=contact.company, name="Weekly", created_by=contact)
        product = ProductFactory(name="Tulip Strong Gold")
        OrderListItem.objects.create(order_list=order_list, product=product, quantity=6, added_at="2026-11-26T09:00Z")

        changelist = client.get(reverse("admin:orders_orderlist_changelist")).content.decode()
        change = client.get(reverse("admin:orders_orderlist_change", args=[order_list.pk]))
        posted = client.post(reverse("admin:orders_orderlist_change", args=[order_list.pk]), {"name": "Renamed"})

        assert "Weekly" in changelist
        assert change.status_code == 200 and "Tulip Strong Gold" in change.content.decode()
        assert posted.status_code == 403
        order_list.refresh_from_db()
        assert order_list.name == "Weekly"
        assert client.get(reverse("admin:orders_orderlist_add")).status_code == 403
