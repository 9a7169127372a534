"""Every shop page shows the content blocks of its own placement, chosen for the visitor."""

import pytest

from orders.delivery_calendar import DeliveryMoment
from orders.services import cart_line_set, cart_moment_set
from personalization.models import ContentBlock
from tests.personalization.factories import (
    ContentBlockFactory,
    ProductRestrictionFactory,
)
from tests.shop.conftest import NOW

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.shop.urls"), pytest.mark.usefixtures("category_tree")]

Placement = ContentBlock.Placement
PAGES = {
    Placement.HOME_HERO: "/",
    Placement.CATEGORY_TOP: "/c/flowers/",
    Placement.PRODUCT_LIST: "/c/flowers/",
    Placement.PRODUCT_DETAIL: "/p/ROSE-RED/",
    Placement.CART: "/cart/",
    Placement.CHECKOUT: "/checkout/",
}


@pytest.fixture
def buyer_with_cart(client, shop_data):
    buyer = shop_data["buyer_a"]
    cart_moment_set(contact=buyer, moment=DeliveryMoment(NOW.date(), NOW.date().replace(day=27)), now=NOW)
    cart_line_set(contact=buyer, product=shop_data["rose"], quantity=5, now=NOW)
    client.force_login(buyer)
    return client


@pytest.mark.parametrize("placement", list(PAGES))
def test_each_page_shows_its_placement_for_the_member_and_the_fallback_for_others(
    client, shop_data, dealers, buyer_with_cart, placement
):
    ContentBlockFactory(headline=f"Dealers {placement}", placement=placement, include_segments=[dealers], priority=3)
    ContentBlockFactory(headline=f"Everyone {placement}", placement=placement, fallback=True)
    url = PAGES[placement]

    member_page = buyer_with_cart.get(url).content.decode()
    assert f"Dealers {placement}<" in member_page and f"Everyone {placement}<" not in member_page
    assert f'data-placement="{placement}"' in member_page

    buyer_with_cart.force_login(shop_data["buyer_b"])
    other_page = buyer_with_cart.get(url)
    if placement == Placement.CHECKOUT:  # buyer B's cart is empty: the checkout sends them to the cart
        other_page = buyer_with_cart.get("/checkout/", follow=True)
        assert f"Everyone {placement}<" not in other_page.content.decode()
        return
    assert f"Everyone {placement}<" in other_page.content.decode()
    assert f"Dealers {placement}<" not in other_page.content.decode()


def test_a_page_shows_no_other_placements_blocks(buyer_with_cart):
    for placement in PAGES:
        ContentBlockFactory(headline=f"Only on {placement}", placement=placement)
    for placement, url in PAGES.items():
        html = buyer_with_cart.get(url).content.decode()
        shown = {other for other in PAGES if f"Only on {other}<" in html}
        expected = {Placement.CATEGORY_TOP, Placement.PRODUCT_LIST} if url == "/c/flowers/" else {placement}
        assert shown == expected, url


def test_search_shows_the_product_list_placement(client, shop_data):
    ContentBlockFactory(headline="Search tip", placement=Placement.PRODUCT_LIST)
    assert "Search tip" in client.get("/search/?q=rose").content.decode()


def test_a_carousel_block_lists_the_products_the_visitor_may_see(client, shop_data, dealers):
    ProductRestrictionFactory(product=shop_data["tulip"], include_segments=[dealers])
    ContentBlockFactory(headline="Our picks", carousel=True, products=[shop_data["rose"], shop_data["tulip"]])
    html = client.get("/").content.decode()
    assert 'data-testid="carousel"' in html and 'href="/p/ROSE-RED/"' in html and "TULIP-YEL" not in html
    client.force_login(shop_data["buyer_a"])
    assert 'href="/p/TULIP-YEL/"' in client.get("/").content.decode()
