import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.models import Cart, CartLine, OrderList, OrderListItem
from orders.order_list_services import order_list_create, order_list_default_ensure
from tests.accounts.factories import ContactFactory, StaffUserFactory
from tests.catalog.factories import ProductFactory
from tests.orders.factories import CartFactory, CartLineFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.shop.urls")]

TUESDAY = "2026-11-30_2026-12-01"


def _login(client, contact):
    client.force_login(contact)
    return client


def _item(order_list, product, quantity, now):
    return OrderListItem.objects.create(order_list=order_list, product=product, quantity=quantity, added_at=now)


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]] if response.context else []


class AccessTests:
    def _urls(self, shop_data):
        order_list = order_list_create(contact=shop_data["buyer_a"], name="Weekly")
        pk = order_list.pk
        return [
            ("get", reverse("shop-lists")),
            ("post", reverse("shop-lists")),
            ("get", reverse("shop-list", args=[pk])),
            ("get", reverse("shop-list-add") + "?product=ROSE-RED"),
            ("post", reverse("shop-list-add")),
            ("post", reverse("shop-list-from-cart")),
            ("post", reverse("shop-list-item", args=[pk])),
            ("post", reverse("shop-list-rename", args=[pk])),
            ("post", reverse("shop-list-delete", args=[pk])),
            ("post", reverse("shop-list-to-cart", args=[pk])),
        ]

    def test_anonymous_visitors_are_sent_to_the_login(self, client, shop_data):
        for method, url in self._urls(shop_data):
            response = getattr(client, method)(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith(reverse("shop-login") + "?next="), url
        assert OrderList.objects.count() == 1

    def test_staff_without_a_company_get_403(self, client, shop_data):
        client.force_login(StaffUserFactory())
        for method, url in self._urls(shop_data):
            assert getattr(client, method)(url).status_code == 403, url

    def test_every_form_needs_the_csrf_token(self, shop_data):
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(shop_data["buyer_a"])
        for method, url in self._urls(shop_data):
            if method == "post":
                response = strict.post(url, {"name": "x", "product": shop_data["rose"].pk, "quantity": "1"})
                assert response.status_code == 403, url
        assert OrderList.objects.get().name == "Weekly"
        assert not OrderListItem.objects.exists()

    def test_the_header_links_to_lists_and_company_users_only_for_company_admins(self, client, shop_data):
        html = _login(client, shop_data["buyer_a"]).get(reverse("shop-home")).content.decode()
        assert f'href="{reverse("shop-lists")}"' in html
        assert reverse("shop-company-users") not in html
        admin = ContactFactory(company=shop_data["company_a"], company_admin=True)
        html = _login(client, admin).get(reverse("shop-home")).content.decode()
        assert f'href="{reverse("shop-company-users")}"' in html


class IndexTests:
    def test_shows_the_companys_lists_and_a_favourites_placeholder(self, client, shop_data):
        order_list_create(contact=shop_data["buyer_a"], name="Weekly roses")
        order_list_create(contact=shop_data["buyer_b"], name="Bert's secret list")
        html = _login(client, shop_data["buyer_a"]).get(reverse("shop-lists")).content.decode()
        assert "Weekly roses" in html and "Favourites" in html
        assert "Bert's secret list" not in html
        assert not OrderList.objects.filter(is_default=True).exists()  # a GET never writes

    def test_a_colleague_sees_the_shared_list(self, client, shop_data):
        order_list_create(contact=shop_data["buyer_a"], name="Weekly roses")
        colleague = ContactFactory(company=shop_data["company_a"])
        assert "Weekly roses" in _login(client, colleague).get(reverse("shop-lists")).content.decode()

    def test_create_a_list(self, client, shop_data):
        response = _login(client, shop_data["buyer_a"]).post(reverse("shop-lists"), {"name": "Monday"})
        order_list = OrderList.objects.get(name="Monday")
        assert response["Location"] == reverse("shop-list", args=[order_list.pk])
        assert order_list.company == shop_data["company_a"]

    def test_a_duplicate_name_is_a_400_with_the_reason(self, client, shop_data):
        order_list_create(contact=shop_data["buyer_a"], name="Monday")
        response = _login(client, shop_data["buyer_a"]).post(reverse("shop-lists"), {"name": "monday"})
        assert response.status_code == 400
        assert "already has a list called" in response.content.decode()


class DetailTests:
    def test_items_are_marked_for_the_selected_moment_and_hidden_ones_left_out(
        self, client, shop_data, hidden_product, now
    ):
        order_list = order_list_default_ensure(company=shop_data["company_a"])
        _item(order_list, shop_data["rose"], 10, now)
        _item(order_list, shop_data["tuesday_only"], 5, now)
        _item(order_list, hidden_product, 1, now)
        client = _login(client, shop_data["buyer_a"])
        html = client.get(reverse("shop-list", args=[order_list.pk])).content.decode()
        assert "Red Naomi rose" in html and "€ 8.40" in html
        assert "Sarah Bernhardt peony" in html
        assert "Not deliverable on Fridays · first possible delivery Tue 1 Dec" in html
        assert "Dealer-only orchid" not in html
        assert "1 of 2 products can be delivered on <strong>Fri 27 Nov</strong>" in html
        only = client.get(reverse("shop-list", args=[order_list.pk]) + "?deliverable=1").content.decode()
        assert "Red Naomi rose" in only and "Sarah Bernhardt peony" not in only

    def test_changing_the_moment_changes_the_marks(self, client, shop_data, now):
        order_list = order_list_default_ensure(company=shop_data["company_a"])
        _item(order_list, shop_data["tuesday_only"], 5, now)
        client = _login(client, shop_data["buyer_a"])
        client.post(reverse("shop-moment-set"), {"moment": TUESDAY})
        html = client.get(reverse("shop-list", args=[order_list.pk])).content.decode()
        assert "Not deliverable" not in html
        assert "1 of 1 product can be delivered on <strong>Tue 1 Dec</strong>" in html

    def test_query_count_does_not_grow_with_items(self, client, shop_data, now):
        order_list = order_list_default_ensure(company=shop_data["company_a"])
        _item(order_list, shop_data["rose"], 1, now)
        client = _login(client, shop_data["buyer_a"])
        url = reverse("shop-list", args=[order_list.pk])
        client.get(url)  # warm the session
        with CaptureQueriesContext(connection) as few:
            assert client.get(url).status_code == 200
        for product in ProductFactory.create_batch(15, category=shop_data["flowers"]):
            _item(order_list, product, 2, now)
        _item(order_list, shop_data["tuesday_only"], 1, now)
        with CaptureQueriesContext(connection) as many:
            response = client.get(url)
        assert response.content.decode().count("data-sku=") == 17
        assert len(many) == len(few)
        assert len(few) <= 16  # the shop's header and state, + the list, its items and the priced products

    def test_another_companys_list_is_404(self, client, shop_data):
        order_list = order_list_create(contact=shop_data["buyer_b"], name="B's list")
        assert _login(client, shop_data["buyer_a"]).get(reverse("shop-list", args=[order_list.pk])).status_code == 404


class ItemFormTests:
    def test_set_and_remove_an_item(self, client, shop_data, now):
        order_list = order_list_default_ensure(company=shop_data["company_a"])
        client = _login(client, shop_data["buyer_a"])
        url = reverse("shop-list-item", args=[order_list.pk])
        assert client.post(url, {"product": shop_data["rose"].pk, "quantity": "7"}).status_code == 302
        assert OrderListItem.objects.get(order_list=order_list).quantity == 7
        client.post(url, {"product": shop_data["rose"].pk, "quantity": "0"})
        assert not OrderListItem.objects.exists()

    def test_a_hidden_product_is_404(self, client, shop_data, hidden_product):
        order_list = order_list_default_ensure(company=shop_data["company_a"])
        response = _login(client, shop_data["buyer_a"]).post(
            reverse("shop-list-item", args=[order_list.pk]), {"product": hidden_product.pk, "quantity": "1"}
        )
        assert response.status_code == 404
        assert not OrderListItem.objects.exists()

    def test_a_bad_quantity_is_reported(self, client, shop_data):
        order_list = order_list_default_ensure(company=shop_data["company_a"])
        response = _login(client, shop_data["buyer_a"]).post(
            reverse("shop-list-item", args=[order_list.pk]), {"product": shop_data["rose"].pk, "quantity": "x"},
            follow=True,
        )
        assert "Choose a product and a whole quantity." in _messages(response)


class AddToListTests:
    def test_product_page_and_cards_offer_add_to_favourites(self, client, shop_data):
        client = _login(client, shop_data["buyer_a"])
        product_page = client.get(reverse("shop-product", args=["ROSE-RED"])).content.decode()
        assert 'data-testid="add-favourite"' in product_page
        assert reverse("shop-list-add") + "?product=ROSE-RED" in product_page
        assert 'data-testid="add-favourite"' in client.get("/c/flowers/").content.decode()

    def test_anonymous_visitors_see_no_list_forms(self, client, shop_data):
        assert 'data-testid="add-favourite"' not in client.get(reverse("shop-product", args=["ROSE-RED"])).content.decode()

    def test_add_to_favourites_creates_the_list_on_first_use(self, client, shop_data):
        response = _login(client, shop_data["buyer_a"]).post(
            reverse("shop-list-add"),
            {"product": shop_data["rose"].pk, "list": "default", "next": "/p/ROSE-RED/"},
        )
        assert response["Location"] == "/p/ROSE-RED/"
        favourites = OrderList.objects.get(company=shop_data["company_a"], is_default=True)
        assert favourites.items.get().quantity == 1

    def test_the_choose_a_list_page_adds_to_a_new_list_with_a_quantity(self, client, shop_data):
        client = _login(client, shop_data["buyer_a"])
        page = client.get(reverse("shop-list-add") + "?product=ROSE-RED")
        assert page.status_code == 200 and "Add Red Naomi rose to a list" in page.content.decode()
        client.post(reverse("shop-list-add"),
                    {"product": shop_data["rose"].pk, "list": "new", "name": "Wedding", "quantity": "40"})
        assert OrderList.objects.get(name="Wedding").items.get().quantity == 40

    def test_to_another_companys_list_is_404(self, client, shop_data):
        other = order_list_create(contact=shop_data["buyer_b"], name="B's list")
        response = _login(client, shop_data["buyer_a"]).post(
            reverse("shop-list-add"), {"product": shop_data["rose"].pk, "list": str(other.pk)}
        )
        assert response.status_code == 404
        assert not OrderListItem.objects.exists()

    def test_a_hidden_product_is_404_on_both_pages(self, client, shop_data, hidden_product):
        client = _login(client, shop_data["buyer_a"])
        assert client.get(reverse("shop-list-add") + "?product=DEALER-ONLY").status_code == 404
        assert client.post(reverse("shop-list-add"), {"product": hidden_product.pk}).status_code == 404
        assert not OrderList.objects.exists()


class CartFormsTests:
    def test_save_the_cart_as_a_new_list(self, client, shop_data):
        cart = CartFactory(contact=shop_data["buyer_a"])
        CartLineFactory(cart=cart, product=shop_data["rose"], quantity=20)
        client = _login(client, shop_data["buyer_a"])
        assert 'data-testid="save-cart"' in client.get(reverse("shop-cart")).content.decode()
        response = client.post(reverse("shop-list-from-cart"), {"list": "new", "name": "Saturday market"})
        order_list = OrderList.objects.get(name="Saturday market")
        assert response["Location"] == reverse("shop-list", args=[order_list.pk])
        assert order_list.items.get().quantity == 20

    def test_add_all_to_cart_adds_the_orderable_ones_and_reports_the_rest(self, client, shop_data, now):
        order_list = order_list_default_ensure(company=shop_data["company_a"])
        _item(order_list, shop_data["rose"], 10, now)
        _item(order_list, shop_data["tuesday_only"], 5, now)
        response = _login(client, shop_data["buyer_a"]).post(
            reverse("shop-list-to-cart", args=[order_list.pk]), follow=True
        )
        assert response.redirect_chain[-1][0] == reverse("shop-cart")
        texts = _messages(response)
        assert "1 product(s) from Favourites added to your cart for Fri 27 Nov." in texts
        assert "Sarah Bernhardt peony (PEONY-TUE) was not added: Not deliverable on Fridays." in texts
        assert list(CartLine.objects.values_list("product__sku", "quantity")) == [("ROSE-RED", 10)]
        assert Cart.objects.get(contact=shop_data["buyer_a"]).delivery_date.isoformat() == "2026-11-27"


class RenameDeleteFormTests:
    def test_rename_and_delete_a_list(self, client, shop_data):
        order_list = order_list_create(contact=shop_data["buyer_a"], name="Old name")
        client = _login(client, shop_data["buyer_a"])
        client.post(reverse("shop-list-rename", args=[order_list.pk]), {"name": "New name"})
        order_list.refresh_from_db()
        assert order_list.name == "New name"
        response = client.post(reverse("shop-list-delete", args=[order_list.pk]), {"confirm": "1"})
        assert response["Location"] == reverse("shop-lists")
        assert not OrderList.objects.filter(pk=order_list.pk).exists()

    def test_favourites_offers_no_rename_or_delete_and_refuses_them(self, client, shop_data):
        favourites = order_list_default_ensure(company=shop_data["company_a"])
        client = _login(client, shop_data["buyer_a"])
        assert reverse("shop-list-delete", args=[favourites.pk]) not in client.get(
            reverse("shop-list", args=[favourites.pk])
        ).content.decode()
        response = client.post(reverse("shop-list-delete", args=[favourites.pk]), follow=True)
        assert "The Favourites list cannot be deleted; remove its items instead." in _messages(response)
        assert OrderList.objects.filter(pk=favourites.pk).exists()
