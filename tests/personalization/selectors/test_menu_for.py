"""menu_for: visibility everyone / logged-in / segments, hidden parents and hidden categories."""

import pytest

from catalog.services import category_tree_rebuild
from personalization.selectors import menu_for
from tests.catalog.factories import CategoryFactory
from tests.personalization.factories import CategoryRestrictionFactory, MenuItemFactory
from tests.segments.factories import SegmentFactory

pytestmark = pytest.mark.django_db

ANONYMOUS = {"segment_ids": frozenset(), "is_authenticated": False}
LOGGED_IN = {"segment_ids": frozenset(), "is_authenticated": True}


def member_of(*segments):
    return {"segment_ids": frozenset(segment.pk for segment in segments), "is_authenticated": True}


def outline(nodes):
    return [(node.label, outline(node.children)) if node.children else node.label for node in nodes]


class MenuVisibilityTests:
    def test_everyone_items_are_shown_to_anonymous_visitors(self):
        MenuItemFactory(label="Roses")

        assert outline(menu_for(**ANONYMOUS)) == ["Roses"]

    def test_logged_in_items_need_a_login(self):
        MenuItemFactory(label="Order history", logged_in_only=True)

        assert outline(menu_for(**ANONYMOUS)) == []
        assert outline(menu_for(**LOGGED_IN)) == ["Order history"]

    def test_segment_items_need_a_logged_in_member_of_any_included_segment(self):
        dealers, florists = SegmentFactory(), SegmentFactory()
        MenuItemFactory(label="Dealer range", for_segments=True, include_segments=[dealers, florists])

        assert outline(menu_for(**ANONYMOUS)) == []
        assert outline(menu_for(**LOGGED_IN)) == []
        assert outline(menu_for(**member_of(florists))) == ["Dealer range"]

    def test_exclude_wins_for_every_visibility(self):
        blocked = SegmentFactory()
        MenuItemFactory(label="Sale", exclude_segments=[blocked])
        MenuItemFactory(label="Orders", logged_in_only=True, exclude_segments=[blocked])

        assert outline(menu_for(**member_of(blocked))) == []
        assert outline(menu_for(**LOGGED_IN)) == ["Sale", "Orders"]

    def test_inactive_items_are_hidden(self):
        MenuItemFactory(label="Old", is_active=False)

        assert outline(menu_for(**ANONYMOUS)) == []


class MenuTreeTests:
    def test_tree_is_ordered_by_position_then_id(self):
        plants = MenuItemFactory(label="Plants", position=2)
        MenuItemFactory(label="Cut flowers", position=1)
        MenuItemFactory(label="Outdoor", parent=plants, position=5)
        MenuItemFactory(label="Indoor", parent=plants, position=1)

        assert outline(menu_for(**ANONYMOUS)) == ["Cut flowers", ("Plants", ["Indoor", "Outdoor"])]

    def test_a_hidden_item_removes_its_children(self):
        trade = MenuItemFactory(label="Trade", logged_in_only=True)
        MenuItemFactory(label="Price lists", parent=trade)

        assert outline(menu_for(**ANONYMOUS)) == []
        assert outline(menu_for(**LOGGED_IN)) == [("Trade", ["Price lists"])]

    def test_an_item_of_a_hidden_category_is_removed(self):
        dealers = SegmentFactory()
        plants = CategoryFactory(slug="plants")
        outdoor = CategoryFactory(slug="outdoor", parent=plants)
        category_tree_rebuild()
        CategoryRestrictionFactory(category=plants, include_segments=[dealers])
        MenuItemFactory(label="Outdoor", category=outdoor, url="")

        assert outline(menu_for(**ANONYMOUS)) == []
        nodes = menu_for(**member_of(dealers))
        assert (nodes[0].label, nodes[0].category_slug, nodes[0].url) == ("Outdoor", "outdoor", "")

    @pytest.mark.parametrize("count", [5, 25])
    def test_one_query_whatever_the_size_of_the_menu(self, count, django_assert_num_queries):
        segments = SegmentFactory.create_batch(3)
        parent = None
        for n in range(count):
            item = MenuItemFactory(
                parent=parent, for_segments=bool(n % 2), include_segments=segments[: 1 + n % 3],
                exclude_segments=[segments[2]] if n % 5 == 0 else [],
            )
            parent = item if n % 4 == 0 else parent

        with django_assert_num_queries(1):
            menu_for(**member_of(segments[0]))
