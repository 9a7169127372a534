"""content_blocks_for: each point of the spec's precise semantics for blocks has its own test."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from catalog.services import category_tree_rebuild
from personalization.models import ContentBlock
from personalization.selectors import content_block_product_list, content_blocks_by_placement, content_blocks_for
from tests.catalog.factories import CategoryFactory, ProductFactory
from tests.personalization.factories import (
    ContentBlockFactory,
    ProductRestrictionFactory,
)
from tests.segments.factories import SegmentFactory

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NOW = datetime.datetime(2026, 6, 15, 12, 0, tzinfo=AMSTERDAM)
HERO = ContentBlock.Placement.HOME_HERO

pytestmark = pytest.mark.django_db


def shown(*, segment_ids=frozenset(), is_authenticated=False, now=NOW, placement=HERO, limit=1, **scope):
    return [
        block.name
        for block in content_blocks_for(
            placement=placement, segment_ids=frozenset(segment_ids), is_authenticated=is_authenticated,
            now=now, limit=limit, **scope,
        )
    ]


class ContentBlocksPriorityTests:
    def test_higher_priority_first(self):
        ContentBlockFactory(name="low", priority=1)
        ContentBlockFactory(name="high", priority=5)
        ContentBlockFactory(name="mid", priority=3)

        assert shown(limit=3) == ["high", "mid", "low"]

    def test_tie_goes_to_the_later_starts_at(self):
        ContentBlockFactory(name="earlier", priority=2, starts_at=NOW - datetime.timedelta(days=3))
        ContentBlockFactory(name="later", priority=2, starts_at=NOW - datetime.timedelta(days=1))
        ContentBlockFactory(name="no start", priority=2, starts_at=None)

        assert shown(limit=3) == ["later", "earlier", "no start"]

    def test_tie_on_priority_and_start_goes_to_the_higher_id(self):
        start = NOW - datetime.timedelta(hours=1)
        first = ContentBlockFactory(name="first", priority=2, starts_at=start)
        second = ContentBlockFactory(name="second", priority=2, starts_at=start)
        assert second.pk > first.pk

        assert shown(limit=2) == ["second", "first"]

    def test_other_placements_inactive_blocks_are_not_shown(self):
        ContentBlockFactory(name="cart", placement=ContentBlock.Placement.CART)
        ContentBlockFactory(name="off", inactive=True)

        assert shown() == []
        assert shown(placement=ContentBlock.Placement.CART) == ["cart"]


class ContentBlocksScheduleTests:
    def test_ends_at_is_exclusive(self):
        end = datetime.datetime(2026, 7, 1, 0, 0, tzinfo=AMSTERDAM)
        ContentBlockFactory(name="june", ends_at=end)

        assert shown(now=end - datetime.timedelta(microseconds=1)) == ["june"]
        assert shown(now=end) == []

    def test_starts_at_is_inclusive(self):
        start = datetime.datetime(2026, 7, 1, 0, 0, tzinfo=AMSTERDAM)
        ContentBlockFactory(name="july", starts_at=start)

        assert shown(now=start - datetime.timedelta(microseconds=1)) == []
        assert shown(now=start) == ["july"]

    def test_schedule_is_in_amsterdam_time_not_utc(self):
        # Midnight in Amsterdam (summer) is 22:00 UTC the day before.
        end = datetime.datetime(2026, 7, 1, 0, 0, tzinfo=AMSTERDAM)
        ContentBlockFactory(name="june", ends_at=end)
        utc = datetime.UTC

        assert shown(now=datetime.datetime(2026, 6, 30, 21, 59, tzinfo=utc)) == ["june"]
        assert shown(now=datetime.datetime(2026, 6, 30, 22, 0, tzinfo=utc)) == []

    def test_schedule_across_the_dst_change(self):
        # 29 March 2026: clocks go from 02:00 to 03:00 in Amsterdam.
        start = datetime.datetime(2026, 3, 29, 3, 0, tzinfo=AMSTERDAM)
        ContentBlockFactory(name="spring", starts_at=start)

        assert shown(now=datetime.datetime(2026, 3, 29, 0, 59, tzinfo=datetime.UTC)) == []
        assert shown(now=datetime.datetime(2026, 3, 29, 1, 0, tzinfo=datetime.UTC)) == ["spring"]

    def test_naive_now_is_refused(self):
        with pytest.raises(ValueError, match="aware"):
            shown(now=datetime.datetime(2026, 6, 15, 12, 0))


class ContentBlocksSegmentTests:
    def test_block_without_include_segments_is_for_everyone_including_anonymous(self):
        ContentBlockFactory(name="all")

        assert shown() == ["all"]
        assert shown(is_authenticated=True) == ["all"]

    def test_anonymous_sees_only_blocks_without_include_segments(self):
        dealers = SegmentFactory()
        ContentBlockFactory(name="dealers", priority=9, include_segments=[dealers])
        ContentBlockFactory(name="all", priority=1)

        assert shown(limit=5) == ["all"]
        # Even a (forged) anonymous viewer with segment ids is not a logged-in member.
        assert shown(segment_ids={dealers.pk}, is_authenticated=False, limit=5) == ["all"]

    def test_include_is_any_of_for_logged_in_members(self):
        dealers, florists, growers = SegmentFactory(), SegmentFactory(), SegmentFactory()
        ContentBlockFactory(name="trade", include_segments=[dealers, florists])

        assert shown(segment_ids={florists.pk}, is_authenticated=True) == ["trade"]
        assert shown(segment_ids={growers.pk}, is_authenticated=True) == []
        assert shown(is_authenticated=True) == []

    def test_exclude_wins_over_include(self):
        dealers, blocked = SegmentFactory(), SegmentFactory()
        ContentBlockFactory(name="trade", include_segments=[dealers], exclude_segments=[blocked])

        assert shown(segment_ids={dealers.pk}, is_authenticated=True) == ["trade"]
        assert shown(segment_ids={dealers.pk, blocked.pk}, is_authenticated=True) == []

    def test_exclude_without_include_hides_only_from_excluded_members(self):
        blocked = SegmentFactory()
        ContentBlockFactory(name="most", exclude_segments=[blocked])

        assert shown() == ["most"]
        assert shown(segment_ids={blocked.pk}, is_authenticated=True) == []


class ContentBlocksFallbackTests:
    def test_fallback_shows_when_nothing_else_matches(self):
        dealers = SegmentFactory()
        ContentBlockFactory(name="dealers", include_segments=[dealers])
        ContentBlockFactory(name="fallback", fallback=True)

        assert shown() == ["fallback"]

    def test_fallback_is_not_shown_when_something_else_matches_even_with_higher_priority(self):
        ContentBlockFactory(name="normal", priority=0)
        ContentBlockFactory(name="fallback", fallback=True, priority=100)

        assert shown(limit=3) == ["normal"]

    def test_fallback_does_not_fill_up_a_multi_block_placement(self):
        ContentBlockFactory(name="normal")
        ContentBlockFactory(name="fallback", fallback=True)

        assert shown(limit=5) == ["normal"]

    def test_an_expired_block_does_not_suppress_the_fallback(self):
        ContentBlockFactory(name="expired", ends_at=NOW - datetime.timedelta(days=1))
        ContentBlockFactory(name="fallback", fallback=True)

        assert shown() == ["fallback"]


class ContentBlocksLimitTests:
    def test_limit_caps_the_blocks_of_a_carousel_placement(self):
        ContentBlockFactory.create_batch(5, placement=ContentBlock.Placement.PRODUCT_LIST)

        assert len(shown(placement=ContentBlock.Placement.PRODUCT_LIST, limit=3)) == 3
        assert len(shown(placement=ContentBlock.Placement.PRODUCT_LIST)) == 1

    def test_carousel_products_are_capped_and_respect_restrictions(self):
        dealers = SegmentFactory()
        products = [ProductFactory(name=f"Rose {n}") for n in range(5)]
        ProductRestrictionFactory(product=products[0], include_segments=[dealers])
        block = ContentBlockFactory(carousel=True, products=products)

        anonymous = content_block_product_list(block=block, segment_ids=frozenset(), is_authenticated=False, limit=3)
        dealer = content_block_product_list(
            block=block, segment_ids=frozenset({dealers.pk}), is_authenticated=True, limit=3
        )

        assert [product.name for product in anonymous] == ["Rose 1", "Rose 2", "Rose 3"]
        assert [product.name for product in dealer] == ["Rose 0", "Rose 1", "Rose 2"]


class ContentBlocksScopeTests:
    def test_category_scope_applies_to_the_category_and_below(self):
        roses = CategoryFactory(slug="roses")
        red = CategoryFactory(slug="red-roses", parent=roses)
        tulips = CategoryFactory(slug="tulips")
        category_tree_rebuild()
        top = ContentBlock.Placement.CATEGORY_TOP
        ContentBlockFactory(name="roses", placement=top, category=roses)

        assert shown(placement=top, category=roses) == ["roses"]
        assert shown(placement=top, category=red) == ["roses"]
        assert shown(placement=top, category=tulips) == []
        assert shown(placement=top) == []

    def test_product_scope_applies_to_that_product_only(self):
        rose, tulip = ProductFactory(), ProductFactory()
        detail = ContentBlock.Placement.PRODUCT_DETAIL
        ContentBlockFactory(name="rose", placement=detail, product=rose)
        ContentBlockFactory(name="any", placement=detail, priority=-1)

        assert shown(placement=detail, product=rose, limit=2) == ["rose", "any"]
        assert shown(placement=detail, product=tulip, limit=2) == ["any"]


class ContentBlocksQueryCountTests:
    @pytest.mark.parametrize("count", [5, 25])
    def test_one_query_whatever_the_number_of_blocks_and_segments(self, count, django_assert_num_queries):
        segments = SegmentFactory.create_batch(3)
        for n in range(count):
            ContentBlockFactory(
                priority=n, include_segments=segments[: n % 3], exclude_segments=[segments[2]] if n % 4 == 0 else []
            )
        ContentBlockFactory(fallback=True)

        with django_assert_num_queries(1):
            blocks = content_blocks_for(
                placement=HERO, segment_ids=frozenset({segments[0].pk, segments[1].pk}), is_authenticated=True,
                now=NOW, limit=10,
            )
        assert len(blocks) == min(count, 10)
        assert not any(block.is_fallback for block in blocks)


class SeveralPlacementsTests:
    """content_blocks_by_placement: a page's placements in one query, each chosen as content_blocks_for chooses."""

    def test_each_placement_gets_its_own_best_blocks_and_fallback_rule_in_one_query(self, django_assert_num_queries):
        top, listing = ContentBlock.Placement.CATEGORY_TOP, ContentBlock.Placement.PRODUCT_LIST
        ContentBlockFactory(name="top low", placement=top, priority=1)
        ContentBlockFactory(name="top high", placement=top, priority=9)
        ContentBlockFactory(name="top fallback", placement=top, is_fallback=True)
        ContentBlockFactory(name="list fallback", placement=listing, is_fallback=True)
        ContentBlockFactory(name="hero", placement=HERO, priority=99)

        with django_assert_num_queries(1):
            chosen = content_blocks_by_placement(
                placements=(top, listing), segment_ids=frozenset(), is_authenticated=False, now=NOW, limit=2,
            )

        assert {placement: [block.name for block in blocks] for placement, blocks in chosen.items()} == {
            top: ["top high", "top low"],  # no fallback beside a real block
            listing: ["list fallback"],  # the fallback when nothing else matches
        }
        for placement in (top, listing):
            assert [block.name for block in chosen[placement]] == shown(placement=placement, limit=2)
