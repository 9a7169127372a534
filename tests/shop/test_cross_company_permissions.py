"""A buyer of company A never sees or changes company B's objects: every shop URL and buyer API route that
takes an id answers 404 for B's id (never 403, never 200).

Both companies hold the same things under the same names: the same product SKU in an order, a cart and an
order list called "Weekly", similar order numbers and a company price each. Each case first runs against A's
own object (it must work, so the case can fail) and then against B's (404, and B's object unchanged).
"""

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import Contact
from orders.models import Cart, CartLine, OrderList, OrderListItem
from tests.accounts.factories import ContactFactory
from tests.catalog.factories import PriceFactory
from tests.orders.factories import (
    CartFactory,
    CartLineFactory,
    OrderFactory,
    OrderLineFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.shop.urls")]


@dataclass(frozen=True)
class Side:
    buyer: Contact
    admin: Contact
    colleague: Contact
    order_number: str
    order_pk: int
    list_pk: int
    price: str


def _side(shop_data, key: str, order_number: str, price: str, now) -> Side:
    company = shop_data[f"company_{key}"]
    company.departure_weekdays = ""
    company.save(update_fields=["departure_weekdays"])
    buyer = shop_data[f"buyer_{key}"]
    admin = ContactFactory(company=company, company_admin=True, email=f"admin@{key}.example")
    colleague = ContactFactory(company=company, email=f"colleague@{key}.example")
    rose = shop_data["rose"]
    if key == "b":
        PriceFactory(product=rose, company=company, price=Decimal(price))
    order = OrderFactory(company=company, contact=buyer, order_number=order_number)
    OrderLineFactory(order=order, product=rose, line_no=1, quantity=4, unit_price=Decimal(price))
    order_list = OrderList.objects.create(company=company, name="Weekly")
    OrderListItem.objects.create(order_list=order_list, product=rose, quantity=9, added_at=now)
    CartLineFactory(cart=CartFactory(contact=buyer), product=rose, quantity=3, unit_price=Decimal(price))
    return Side(buyer, admin, colleague, order_number, order.pk, order_list.pk, price)


@pytest.fixture
def sides(shop_data, _frozen_now):
    # Same SKU on both sides; order numbers one digit apart; company prices 8.40 (A) and 7.77 (B).
    return _side(shop_data, "a", "SO2026001", "8.40", _frozen_now), _side(shop_data, "b", "SO2026002", "7.77", _frozen_now)


@dataclass(frozen=True)
class Case:
    """One id-taking route: who acts (buyer or admin of A), how, and which of the side's objects it names."""

    url_name: str
    method: str
    object_id: str  # "order", "list" or "user" (the colleague)
    actor: str = "buyer"
    data: tuple[tuple[str, str], ...] = ()

    def url(self, side: Side) -> str:
        pk = {"order": side.order_pk, "list": side.list_pk, "user": side.colleague.pk}[self.object_id]
        return reverse(self.url_name, args=[pk])


CASES = [
    Case("shop-order", "get", "order"),
    Case("shop-reorder", "post", "order"),
    Case("shop-list", "get", "list"),
    Case("shop-list-item", "post", "list", data=(("product", "ROSE"), ("quantity", "0"))),
    Case("shop-list-rename", "post", "list", data=(("name", "Renamed"),)),
    Case("shop-list-delete", "post", "list", data=(("confirm", "1"),)),
    Case("shop-list-to-cart", "post", "list"),
    Case("shop-company-user-role", "post", "user", actor="admin", data=(("shop_role", "approver"),)),
    Case("shop-company-user-deactivate", "post", "user", actor="admin"),
    Case("shop-company-user-reactivate", "post", "user", actor="admin"),
    Case("shop-company-user-invite", "post", "user", actor="admin"),
    # A buyer (not an admin) gets the same 404 for another company's user, not a 403 that depends on the id.
    Case("shop-company-user-role", "post", "user", actor="buyer", data=(("shop_role", "admin"),)),
    Case("shop-company-user-deactivate", "post", "user", actor="buyer"),
]


def _snapshot(side: Side) -> tuple:
    """Everything a case could change on one side."""
    return (
        sorted(Contact.objects.filter(company_id=side.buyer.company_id).values_list("email", "shop_role", "is_active")),
        sorted(OrderList.objects.filter(company_id=side.buyer.company_id).values_list("pk", "name")),
        sorted(OrderListItem.objects.filter(order_list_id=side.list_pk).values_list("product__sku", "quantity")),
        sorted(CartLine.objects.filter(cart__contact=side.buyer).values_list("product__sku", "quantity")),
        Cart.objects.filter(contact=side.buyer).count(),
    )


def _request(client, case: Case, side: Side, rose_pk: int):
    data = {key: (str(rose_pk) if value == "ROSE" else value) for key, value in case.data}
    return getattr(client, case.method)(case.url(side), data)


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case.actor}-{case.method}-{case.url_name}")
def test_another_companys_object_is_404_by_every_id_route(client, sides, shop_data, case):
    side_a, side_b = sides
    actor = side_a.admin if case.actor == "admin" else side_a.buyer
    client.force_login(actor)
    before_b = _snapshot(side_b)
    response = _request(client, case, side_b, shop_data["rose"].pk)
    assert response.status_code == 404, case
    assert _snapshot(side_b) == before_b
    own = _request(client, case, side_a, shop_data["rose"].pk)
    expected_own = 403 if (case.object_id == "user" and case.actor == "buyer") else None
    if expected_own:
        assert own.status_code == expected_own  # their own company's user: a buyer is simply not allowed
    else:
        assert own.status_code in (200, 302), case


@pytest.mark.parametrize("target", ["list", "from-cart"])
def test_forms_naming_another_companys_list_are_404(client, sides, shop_data, target):
    side_a, side_b = sides
    client.force_login(side_a.buyer)
    before_b = _snapshot(side_b)
    if target == "list":
        response = client.post(reverse("shop-list-add"), {"product": shop_data["tulip"].pk, "list": side_b.list_pk})
    else:
        response = client.post(reverse("shop-list-from-cart"), {"list": side_b.list_pk})
    assert response.status_code == 404
    assert _snapshot(side_b) == before_b


def test_cart_line_form_only_ever_touches_the_buyers_own_cart(client, sides, shop_data):
    side_a, side_b = sides
    client.force_login(side_a.buyer)
    before_b = _snapshot(side_b)
    client.post(reverse("shop-cart-line"), {"product": shop_data["rose"].pk, "quantity": "0"})
    assert _snapshot(side_b) == before_b
    assert not CartLine.objects.filter(cart__contact=side_a.buyer).exists()


def test_pages_without_ids_show_only_the_own_companys_data(client, sides):
    side_a, side_b = sides
    client.force_login(side_a.buyer)
    pages = {
        "orders": client.get(reverse("shop-orders")).content.decode(),
        "cart": client.get(reverse("shop-cart")).content.decode(),
        "lists": client.get(reverse("shop-lists")).content.decode(),
        "product": client.get(reverse("shop-product", args=["ROSE-RED"])).content.decode(),
    }
    assert side_a.order_number in pages["orders"] and side_b.order_number not in pages["orders"]
    assert f'href="{reverse("shop-list", args=[side_a.list_pk])}"' in pages["lists"]
    assert f'href="{reverse("shop-list", args=[side_b.list_pk])}"' not in pages["lists"]
    for name, html in pages.items():
        assert "7.77" not in html, name  # company B's price
        assert "bert@b.example" not in html and "admin@b.example" not in html, name
    assert "8.40" in pages["product"] and "8.40" in pages["cart"]
    client.force_login(side_a.admin)
    users = client.get(reverse("shop-company-users")).content.decode()
    assert "colleague@a.example" in users and "colleague@b.example" not in users


def _routes(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.name


def test_every_api_shop_route_shows_the_buyer_only_their_companys_data(client, sides):
    side_a, side_b = sides
    client.force_login(side_a.buyer)
    api_routes = [(route, name) for route, name in _routes(get_resolver().url_patterns) if route.startswith("api/shop/")]
    assert api_routes, "no buyer API routes found"
    for route, name in api_routes:
        assert "<" not in route, f"{route} takes an id: add it to the cases of this module"
        response = client.get("/" + route, {"placement": "home_hero"} if "content" in route else {})
        assert response.status_code == 200, route
        body = response.content.decode()
        assert "7.77" not in body and side_b.order_number not in body and "Bloemen B" not in body, route
    products = client.get(reverse("shop-api-products")).json()
    assert "8.40" in str(products)


def test_every_shop_route_with_an_id_has_a_cross_company_case():
    """A new shop URL taking an object id must get a case above (the admin's URLs are staff-only).

    Category slugs and product SKUs name the shared catalog; the one per-company thing they show, the
    price, is checked on the product page above.
    """
    covered = {case.url_name for case in CASES}
    id_routes = {
        name
        for route, name in _routes(get_resolver().url_patterns)
        if "<int:" in route and not route.startswith(("admin/", "api/")) and name and name.startswith("shop-")
    }
    assert id_routes, "no id routes found"
    assert id_routes - covered == set()


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case.method}-{case.url_name}")
def test_anonymous_visitors_are_sent_to_the_login_by_every_id_route(client, sides, shop_data, case):
    side_a, _ = sides
    before = _snapshot(side_a)
    response = _request(client, case, side_a, shop_data["rose"].pk)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("shop-login") + "?next=")
    assert _snapshot(side_a) == before
