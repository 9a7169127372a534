import pytest

from personalization.models import MenuItem
from personalization.services import menu_tree_rebuild
from tests.personalization.factories import MenuItemFactory

pytestmark = pytest.mark.django_db


class MenuTreeRebuildTests:
    def test_orders_items_as_a_tree_by_position(self):
        plants = MenuItemFactory(label="Plants", position=2)
        MenuItemFactory(label="Cut", position=1)
        MenuItemFactory(label="Outdoor", parent=plants, position=2)
        MenuItemFactory(label="Indoor", parent=plants, position=1)

        menu_tree_rebuild()

        rows = list(MenuItem.objects.order_by("tree_order").values_list("label", "depth"))
        assert rows == [("Cut", 0), ("Plants", 0), ("Indoor", 1), ("Outdoor", 1)]

    def test_second_run_writes_nothing(self):
        parent = MenuItemFactory()
        MenuItemFactory(parent=parent)

        assert menu_tree_rebuild() == 2
        assert menu_tree_rebuild() == 0
