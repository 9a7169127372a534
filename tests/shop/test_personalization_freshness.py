"""A personalization change shows on the buyer's next page view, and the page's rules match the SQL rules.

The category page evaluates segment rules in Python over rows that are the same for every
visitor (personalization.selectors: visitor_assortment, menu_for, content_blocks_for) and
keeps nothing between requests except the buyer's segment ids, whose cache the membership
changes clear. These tests change each kind of rule between two page views of one session.
"""

import itertools
import re

import pytest
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.models import Category, Product
from catalog.services import category_tree_rebuild
from personalization.models import CategoryRestriction, ContentBlock, ProductRestriction
from personalization.selectors import (
    _hidden_category_links,
    segment_conditions_hold,
    segment_rule_holds,
    visible_products_filter,
    visitor_assortment,
)
from personalization.services import content_block_save
from segments.selectors import contact_segments_cache_clear
from tests.catalog.factories import CategoryFactory, ProductFactory
from tests.personalization.factories import (
    CategoryRestrictionFactory,
    ContentBlockFactory,
    MenuItemFactory,
    ProductRestrictionFactory,
)
from tests.segments.factories import SegmentFactory, SegmentMembershipFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.shop.urls")]

URL = "/c/flowers/"


@pytest.fixture
def buyer(shop_data):
    category_tree_rebuild()
    client = Client()
    client.force_login(shop_data["buyer_a"])
    return client


@pytest.fixture
def dealers(shop_data):
    return SegmentFactory(slug="dealers", name="Dealers")


def _page(client: Client) -> str:
    response = client.get(URL)
    assert response.status_code == 200
    return response.content.decode()


def _headlines(html: str) -> list[str]:
    return re.findall(r'<h2 class="content-block-headline">([^<]*)</h2>', html)


def _skus(html: str) -> list[str]:
    return re.findall(r'<li class="card[^"]*" data-sku="([^"]*)"', html)


def _join(shop_data, segment) -> None:
    """As the segment engine does: a membership row, then the contact's cached ids cleared."""
    SegmentMembershipFactory(segment=segment, contact=shop_data["buyer_a"])
    contact_segments_cache_clear([shop_data["buyer_a"].pk])


class NextPageViewTests:
    def test_a_content_block_saved_through_the_service_shows_at_once(self, buyer, dealers, shop_data):
        block = ContentBlockFactory(placement=ContentBlock.Placement.CATEGORY_TOP, headline="Autumn")
        assert _headlines(_page(buyer)) == ["Autumn"]

        block.headline = "Winter"
        content_block_save(block=block)
        assert _headlines(_page(buyer)) == ["Winter"]

        block.include_segments.set([dealers])  # the buyer is not a dealer (yet)
        assert _headlines(_page(buyer)) == []

    def test_joining_and_leaving_a_segment_changes_blocks_menu_and_assortment(self, buyer, dealers, shop_data):
        ContentBlockFactory(placement=ContentBlock.Placement.CATEGORY_TOP, headline="Dealer days", include_segments=[dealers])
        MenuItemFactory(label="Dealer corner", url="/dealers/", for_segments=True, include_segments=[dealers])
        ProductRestrictionFactory(product=shop_data["tulip"], include_segments=[dealers])
        html = _page(buyer)
        assert _headlines(html) == [] and "Dealer corner" not in html and "TULIP-YEL" not in _skus(html)

        _join(shop_data, dealers)
        html = _page(buyer)
        assert _headlines(html) == ["Dealer days"] and "Dealer corner" in html and "TULIP-YEL" in _skus(html)

        dealers.memberships.all().delete()
        contact_segments_cache_clear([shop_data["buyer_a"].pk])
        html = _page(buyer)
        assert _headlines(html) == [] and "Dealer corner" not in html and "TULIP-YEL" not in _skus(html)

    def test_a_menu_item_change_shows_at_once(self, buyer, dealers, shop_data):
        item = MenuItemFactory(label="Weekly offers", url="/offers/")
        assert "Weekly offers" in _page(buyer)

        item.exclude_segments.set([dealers])
        _join(shop_data, dealers)
        assert "Weekly offers" not in _page(buyer)

        item.exclude_segments.clear()
        item.label = "Monthly offers"
        item.save()
        assert "Monthly offers" in _page(buyer)

    def test_a_restriction_change_shows_at_once(self, buyer, dealers, shop_data):
        assert "ROSE-RED" in _skus(_page(buyer))

        restriction = CategoryRestrictionFactory(category=shop_data["roses"], include_segments=[dealers])
        html = _page(buyer)
        assert "ROSE-RED" not in _skus(html)
        assert buyer.get("/c/roses/").status_code == 404

        restriction.include_segments.clear()
        restriction.exclude_segments.set([dealers])
        assert "ROSE-RED" in _skus(_page(buyer))  # not a dealer: the exclusion does not apply

        _join(shop_data, dealers)
        assert "ROSE-RED" not in _skus(_page(buyer))

        ProductRestrictionFactory(product=shop_data["tulip"], exclude_segments=[dealers])
        assert "TULIP-YEL" not in _skus(_page(buyer))

    def test_the_header_cart_count_follows_the_cart(self, buyer, shop_data):
        def count() -> str:
            return re.search(r'data-testid="cart-count">(\d+)<', _page(buyer)).group(1)

        assert count() == "0"
        response = buyer.post("/cart/lines/", {"product": shop_data["tulip"].pk, "quantity": 2, "add": 1})
        assert response.status_code in (302, 303)
        assert count() == "1"
        buyer.post("/cart/lines/", {"product": shop_data["rose"].pk, "quantity": 1, "add": 1})
        assert count() == "2"


# --- The rules in Python are the rules in SQL ----------------------------------------------------------------------

segment_sets = st.frozensets(st.integers(min_value=0, max_value=3), max_size=3)


@settings(max_examples=25)
@given(include=segment_sets, exclude=segment_sets, visitor=segment_sets, is_authenticated=st.booleans())
def test_segment_rule_holds_is_segment_conditions_hold(db, include, exclude, visitor, is_authenticated):
    segments = [SegmentFactory(slug=f"s{index}") for index in range(4)]
    restriction = ProductRestrictionFactory(
        include_segments=[segments[index] for index in include], exclude_segments=[segments[index] for index in exclude]
    )
    segment_ids = frozenset(segments[index].pk for index in visitor) if is_authenticated else frozenset()
    in_sql = ProductRestriction.objects.filter(
        segment_conditions_hold(ProductRestriction, segment_ids=segment_ids, is_authenticated=is_authenticated),
        pk=restriction.pk,
    ).exists()
    in_python = segment_rule_holds(
        include={segments[index].pk for index in include}, exclude={segments[index].pk for index in exclude},
        segment_ids=segment_ids, is_authenticated=is_authenticated,
    )
    assert in_python == in_sql
    ProductRestriction.objects.all().delete()


def test_visitor_assortment_hides_what_the_sql_filters_hide(db):
    """Nested restricted categories and product restrictions, for every combination of three segments."""
    a, b, c = (SegmentFactory(slug=slug) for slug in "abc")
    top = CategoryFactory(slug="top")
    middle = CategoryFactory(slug="middle", parent=top)
    low = CategoryFactory(slug="low", parent=middle)
    other = CategoryFactory(slug="other")
    free = CategoryFactory(slug="free", parent=other)
    category_tree_rebuild()
    CategoryRestrictionFactory(category=middle, include_segments=[a, b])
    CategoryRestrictionFactory(category=low, exclude_segments=[c])
    CategoryRestrictionFactory(category=other, include_segments=[a], exclude_segments=[b])
    CategoryRestrictionFactory(category=free)  # no segments: holds for everyone
    for category in (top, middle, low, other, free):
        ProductFactory(category=category)
        ProductRestrictionFactory(product=ProductFactory(category=category), include_segments=[c])
        ProductRestrictionFactory(product=ProductFactory(category=category), include_segments=[a], exclude_segments=[c])
        ProductRestrictionFactory(product=ProductFactory(category=category))
    segment_ids_all = [a.pk, b.pk, c.pk]
    visitors = [(frozenset(), False)] + [
        (frozenset(chosen), True)
        for size in range(4)
        for chosen in itertools.combinations(segment_ids_all, size)
    ]
    seen_hidden = set()
    for segment_ids, is_authenticated in visitors:
        audience = {"segment_ids": segment_ids, "is_authenticated": is_authenticated}
        assortment = visitor_assortment(**audience)
        hidden_in_sql = frozenset(_hidden_category_links(**audience).values_list("category_id", flat=True))
        assert assortment.hidden_category_ids == hidden_in_sql
        visible_in_sql = set(Product.objects.filter(visible_products_filter(**audience)).values_list("pk", flat=True))
        visible_by_ids = set(Product.objects.filter(assortment.products_filter()).values_list("pk", flat=True))
        assert visible_by_ids == visible_in_sql
        seen_hidden.add((assortment.hidden_category_ids, len(visible_in_sql)))
    assert len(seen_hidden) > 3  # the visitors really see different assortments
    assert Category.objects.count() == 5 and CategoryRestriction.objects.count() == 4
