"""The marketer-defined navigation menu in the shop header, per visitor."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.personalization.factories import CategoryRestrictionFactory, MenuItemFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.shop.urls"), pytest.mark.usefixtures("category_tree")]


@pytest.fixture
def menu(shop_data, dealers):
    """Flowers (category) > Roses (category) and Offers (URL); 'Dealer corner' for dealers; 'My lists' logged in."""
    flowers = MenuItemFactory(label="All flowers", category=shop_data["flowers"], url="", position=1)
    MenuItemFactory(label="Our roses", category=shop_data["roses"], url="", parent=flowers, position=1)
    MenuItemFactory(label="Weekly offers", url="/c/flowers/?all=1", parent=flowers, position=2)
    MenuItemFactory(label="Dealer corner", url="/dealers/", position=2, for_segments=True, include_segments=[dealers])
    MenuItemFactory(label="My lists", url="/orders/", position=3, logged_in_only=True)
    MenuItemFactory(label="Switched off", url="/off/", position=4, is_active=False)
    return flowers


def _menu_html(response) -> str:
    match = re.search(r'<nav class="main-menu".*?</nav>', response.content.decode(), re.DOTALL)
    return match.group(0) if match else ""


def _labels(response) -> list[str]:
    return re.findall(r">([^<>]+)</a>", _menu_html(response))


class HeaderMenuTests:
    def test_anonymous_visitors_see_the_items_for_everyone_as_a_nested_accessible_nav(self, client, menu):
        response = client.get("/")
        nav = _menu_html(response)
        assert 'aria-label="Main menu"' in nav
        assert _labels(response) == ["All flowers", "Our roses", "Weekly offers"]
        # The children are a list inside the parent's item, with a toggle that controls it.
        pk = menu.pk
        assert re.search(
            rf'data-menu-id="{pk}">.*?aria-controls="menu-sub-{pk}".*?<ul id="menu-sub-{pk}" class="submenu">.*Our roses',
            nav,
            re.DOTALL,
        )
        assert 'href="/c/flowers/"' in nav and 'href="/c/roses/"' in nav and 'href="/c/flowers/?all=1"' in nav

    def test_members_of_the_segment_see_its_item_others_do_not(self, client, shop_data, menu):
        client.force_login(shop_data["buyer_a"])
        assert _labels(client.get("/")) == ["All flowers", "Our roses", "Weekly offers", "Dealer corner", "My lists"]
        client.force_login(shop_data["buyer_b"])
        assert _labels(client.get("/")) == ["All flowers", "Our roses", "Weekly offers", "My lists"]

    def test_excluded_segment_hides_the_item_and_its_children(self, client, shop_data, dealers, menu):
        menu.exclude_segments.set([dealers])
        client.force_login(shop_data["buyer_a"])
        assert _labels(client.get("/")) == ["Dealer corner", "My lists"]

    def test_an_item_of_a_hidden_category_stays_hidden(self, client, shop_data, dealers, menu):
        CategoryRestrictionFactory(category=shop_data["roses"], include_segments=[dealers])
        client.force_login(shop_data["buyer_b"])
        labels = _labels(client.get("/c/flowers/"))
        assert "Our roses" not in labels and "All flowers" in labels
        client.force_login(shop_data["buyer_a"])
        assert "Our roses" in _labels(client.get("/c/flowers/"))

    def test_the_current_category_is_marked(self, client, menu):
        nav = _menu_html(client.get("/c/roses/"))
        assert re.search(r'href="/c/roses/" aria-current="page">Our roses<', nav)

    def test_no_items_no_menu(self, client, shop_data):
        assert _menu_html(client.get("/")) == ""

    def test_the_menu_costs_one_query_however_many_items(self, client, shop_data, dealers, menu):
        client.force_login(shop_data["buyer_a"])
        client.get("/")
        with CaptureQueriesContext(connection) as few:
            client.get("/")
        for number in range(10):
            MenuItemFactory(label=f"Extra {number}", parent=menu, for_segments=True, include_segments=[dealers])
        with CaptureQueriesContext(connection) as many:
            response = client.get("/")
        assert "Extra 9" in _labels(response)
        assert len(many) == len(few)
        assert sum("personalization_menuitem" in query["sql"] for query in many.captured_queries) == 1

