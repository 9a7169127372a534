"""Queries per category page: a fixed number, whatever the products, blocks, segments and restrictions.

Where the queries of `/c/<slug>/` come from (counted on SQLite and PostgreSQL alike):

anonymous visitor (ANONYMOUS_QUERIES = 11)
   1      the category by slug
   2-4    the shop calendar: calendar row, closed days, cut-offs
   5      the visitor's assortment: hidden categories and restricted products, as ids (personalization)
   6      paginator: number of listed products
   7      the page of products (prices annotated in the same query for a buyer)
   8      number of products not deliverable on the moment ("also show N ...")
   9      content blocks of both placements, category_top and product_list
   10     category tree for the navigation
   11     menu items

logged-in buyer with an open cart: PERSONALIZED_EXTRA = 2 more
   +1     the user, as a Contact with its company (accounts.backends.ShopUserBackend)
   +1     open cart, with its line count for the header badge (its moment wins over the session's)
   The session costs no query on a cache hit (cached_db sessions); the buyer's segment ids
   cost nothing on a cache hit (segments.selectors.contact_segment_ids), one query when the
   cache is cold or down.
"""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from catalog.services import category_tree_rebuild
from personalization.models import ContentBlock
from segments.selectors import contact_segments_cache_clear
from tests.catalog.factories import CategoryFactory, PriceFactory, ProductFactory
from tests.orders.factories import CartFactory, CartLineFactory
from tests.personalization.factories import (
    CategoryRestrictionFactory,
    ContentBlockFactory,
    ProductRestrictionFactory,
)
from tests.segments.factories import SegmentFactory, SegmentMembershipFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.shop.urls")]

URL = "/c/flowers/"
ANONYMOUS_QUERIES = 11
PERSONALIZED_EXTRA = 2


@pytest.fixture
def shop(shop_data):
    """The shop of tests/shop/conftest.py, a segment of buyer A with its banner, and an open cart with a moment."""
    category_tree_rebuild()
    dealers = SegmentFactory(slug="dealers", name="Dealers")
    SegmentMembershipFactory(segment=dealers, contact=shop_data["buyer_a"])
    ContentBlockFactory(placement=ContentBlock.Placement.CATEGORY_TOP, headline="Dealer days", include_segments=[dealers])
    ContentBlockFactory(placement=ContentBlock.Placement.CATEGORY_TOP, headline="Welcome", fallback=True)
    cart = CartFactory(
        contact=shop_data["buyer_a"],
        departure_date=datetime.date(2026, 11, 26),
        delivery_date=datetime.date(2026, 11, 27),
    )
    CartLineFactory(cart=cart, product=shop_data["tulip"], quantity=3)
    return {**shop_data, "dealers": dealers}


def _visitor(shop, visitor: str) -> Client:
    client = Client()
    if visitor == "buyer":
        client.force_login(shop["buyer_a"])
    assert client.get(URL).status_code == 200  # warm: the segment ids are cached from here on
    return client


def _page_queries(client: Client) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(URL)
    assert response.status_code == 200
    return [query["sql"] for query in captured.captured_queries]


def _more_products(shop) -> None:
    """A full page and more: 60 deliverable products with company prices, in the category and below."""
    for index in range(60):
        product = ProductFactory(category=shop["roses"] if index % 2 else shop["flowers"], list_price=Decimal("4.00"))
        PriceFactory(product=product, company=shop["company_a"], price=Decimal("3.10"))


def _more_blocks(shop) -> None:
    """25 more blocks in both placements of the page: targeted, excluded, scoped, scheduled, fallback."""
    others = [SegmentFactory(slug=f"other-{index}") for index in range(3)]
    placements = (ContentBlock.Placement.CATEGORY_TOP, ContentBlock.Placement.PRODUCT_LIST)
    for index in range(25):
        ContentBlockFactory(
            placement=placements[index % 2],
            priority=index,
            include_segments=[shop["dealers"], others[index % 3]] if index % 3 else [],
            exclude_segments=[others[(index + 1) % 3]] if index % 4 == 0 else [],
            category=shop["flowers"] if index % 5 == 0 else None,
            fallback=index % 7 == 0,
        )


def _more_segments(shop) -> None:
    """Buyer A in 12 segments instead of 1 (banners target some of them)."""
    for index in range(11):
        segment = SegmentFactory(slug=f"extra-{index}")
        SegmentMembershipFactory(segment=segment, contact=shop["buyer_a"])
        if index % 3 == 0:
            ContentBlockFactory(placement=ContentBlock.Placement.PRODUCT_LIST, include_segments=[segment])
    contact_segments_cache_clear([shop["buyer_a"].pk])


def _more_restrictions(shop) -> None:
    """10 product and 4 category restrictions, some for the buyer's segment, some excluding another one."""
    other = SegmentFactory(slug="other")
    for index in range(10):
        product = ProductFactory(category=shop["flowers"] if index % 2 else shop["roses"])
        if index % 2:
            ProductRestrictionFactory(product=product, include_segments=[shop["dealers"]])
        else:
            ProductRestrictionFactory(product=product, exclude_segments=[other])
    for index in range(4):
        hidden = CategoryFactory(slug=f"restricted-{index}", parent=shop["flowers"] if index % 2 else None)
        ProductFactory(category=hidden)
        CategoryRestrictionFactory(category=hidden, include_segments=[shop["dealers"]] if index % 2 else [other])
    category_tree_rebuild()


GROWTH = {
    "products": _more_products,
    "content_blocks": _more_blocks,
    "segments": _more_segments,
    "restrictions": _more_restrictions,
}


class CategoryPageQueryTests:
    def test_an_anonymous_visitor_costs_a_fixed_number_of_queries(self, shop, django_assert_num_queries):
        client = _visitor(shop, "anonymous")
        with django_assert_num_queries(ANONYMOUS_QUERIES):
            html = client.get(URL).content.decode()
        assert "Welcome" in html and "Dealer days" not in html

    def test_a_buyer_costs_a_small_fixed_number_more(self, shop, django_assert_num_queries):
        client = _visitor(shop, "buyer")
        with django_assert_num_queries(ANONYMOUS_QUERIES + PERSONALIZED_EXTRA):
            html = client.get(URL).content.decode()
        assert "Dealer days" in html and "€ 8.40" in html  # the segment banner and the company price

    def test_a_cold_segment_cache_costs_one_query_once(self, shop, django_assert_num_queries):
        client = _visitor(shop, "buyer")
        contact_segments_cache_clear([shop["buyer_a"].pk])
        with django_assert_num_queries(ANONYMOUS_QUERIES + PERSONALIZED_EXTRA + 1):
            client.get(URL)
        with django_assert_num_queries(ANONYMOUS_QUERIES + PERSONALIZED_EXTRA):
            client.get(URL)

    @pytest.mark.parametrize("visitor", ["anonymous", "buyer"])
    @pytest.mark.parametrize("growth", sorted(GROWTH))
    def test_the_count_does_not_grow(self, shop, visitor, growth):
        client = _visitor(shop, visitor)
        before = _page_queries(client)

        GROWTH[growth](shop)
        if visitor == "buyer":
            client.get(URL)  # a membership change clears the cached ids: the first page re-reads them
        after = _page_queries(client)

        assert len(after) == len(before), "\n".join(after)
        if growth == "products":
            html = client.get(URL).content.decode()
            assert html.count('<li class="card') == 48  # a full page
