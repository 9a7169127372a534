"""The demo's banners, menu and segment assortment (b2bshop/demo/personalization.py)."""

import datetime

import pytest

from b2bshop.demo.personalization import DEMO_BLOCKS, demo_personalization_ensure
from catalog.models import Category
from catalog.services import category_tree_rebuild
from personalization.models import CategoryRestriction, ContentBlock, MenuItem
from personalization.selectors import content_blocks_for, hidden_category_ids, menu_for
from tests.catalog.factories import CategoryFactory
from tests.segments.factories import SegmentFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
SEGMENT_SLUGS = (
    "champions", "at-risk", "garden-centres", "dealers", "tulip-buyers", "abandoned-carts", "web-first", "top-25",
)


@pytest.fixture
def segments():
    return {slug: SegmentFactory(slug=slug, name=slug.title()) for slug in SEGMENT_SLUGS}


@pytest.fixture
def categories():
    tree = {"cut-flowers": ("roses", "tulips", "seasonal-flowers"), "garden-plants": ("perennials", "shrubs-hedges"),
            "pot-plants": ("orchids", "indoor-plants"), "bulbs": (), "supplies": ("packaging",)}
    for top, children in tree.items():
        parent = CategoryFactory(slug=top, name=top.title())
        for child in children:
            CategoryFactory(slug=child, name=child.title(), parent=parent)
    category_tree_rebuild()


def _hero(segment_ids):
    blocks = content_blocks_for(placement=ContentBlock.Placement.HOME_HERO, segment_ids=frozenset(segment_ids),
                                is_authenticated=True, now=NOW)
    return [block.name for block in blocks]


def _menu_labels(segment_ids, *, is_authenticated=True):
    def walk(nodes):
        for node in nodes:
            yield node.label
            yield from walk(node.children)

    return list(walk(menu_for(segment_ids=frozenset(segment_ids), is_authenticated=is_authenticated)))


class DemoPersonalizationTests:
    def test_creates_blocks_menu_and_restriction_once(self, segments, categories):
        first = demo_personalization_ensure()

        assert ContentBlock.objects.count() == len(DEMO_BLOCKS)
        assert first == len(DEMO_BLOCKS) + MenuItem.objects.count() + CategoryRestriction.objects.count()
        assert demo_personalization_ensure() == 0
        assert ContentBlock.objects.count() == len(DEMO_BLOCKS)

    def test_a_champion_sees_the_reward_banner_and_others_the_fallback(self, segments, categories):
        demo_personalization_ensure()

        assert _hero({segments["champions"].pk}) == ["Champions: loyalty reward"]
        assert _hero({segments["at-risk"].pk}) == ["At risk: come back"]
        assert _hero(set()) == ["Everyone: fresh every morning"]

    def test_garden_plants_are_only_for_garden_centres_and_dealers(self, segments, categories):
        demo_personalization_ensure()
        shrubs = Category.objects.get(slug="shrubs-hedges")

        florist = _menu_labels(set())
        garden_centre = _menu_labels({segments["garden-centres"].pk})

        assert "Garden plants" not in florist and "Shrubs and hedges" not in florist
        assert "Garden plants" in garden_centre and "Shrubs and hedges" in garden_centre
        assert "Dealer corner" in _menu_labels({segments["dealers"].pk}) and "Dealer corner" not in garden_centre
        assert shrubs.pk in hidden_category_ids(segment_ids=frozenset(), is_authenticated=True)
        assert shrubs.pk not in hidden_category_ids(
            segment_ids=frozenset({segments["dealers"].pk}), is_authenticated=True
        )

    def test_blocks_of_a_missing_segment_are_skipped_not_shown_to_everyone(self, categories):
        SegmentFactory(slug="champions", name="Champions")

        demo_personalization_ensure()

        assert set(ContentBlock.objects.values_list("name", flat=True)) == {
            "Champions: loyalty reward", "Everyone: fresh every morning",
        }
        assert MenuItem.objects.filter(label="Cut flowers").exists()
        assert not MenuItem.objects.filter(label__in=["Garden plants", "Dealer corner"]).exists()
        assert not CategoryRestriction.objects.exists()
