import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Category, CategoryAncestry
from catalog.services import CategoryCycleError, category_cycle_find, category_tree_rebuild


class CategoryCycleFindTests:
    def test_a_tree_has_no_cycles(self):
        assert category_cycle_find(parents={"a": None, "b": "a", "c": "b", "d": "outside"}) == []

    def test_finds_each_cycle_once_in_parent_order(self):
        parents = {"a": "b", "b": "c", "c": "a", "x": "x", "tail": "a"}
        assert category_cycle_find(parents=parents) == [["a", "b", "c"], ["x"]]


@pytest.mark.django_db
class CategoryTreeRebuildTests:
    def _category(self, slug: str, parent: Category | None = None) -> Category:
        return Category.objects.create(slug=slug, name=slug.title(), parent=parent)

    def test_fills_path_depth_and_ancestry(self):
        flowers = self._category("flowers")
        roses = self._category("roses", flowers)
        red = self._category("red", roses)
        assert category_tree_rebuild() == 3
        assert [(c.slug, c.path, c.depth) for c in Category.objects.order_by("depth")] == [
            ("flowers", "/flowers/", 0),
            ("roses", "/flowers/roses/", 1),
            ("red", "/flowers/roses/red/", 2),
        ]
        assert set(CategoryAncestry.objects.filter(category=red).values_list("ancestor__slug", "distance")) == {
            ("red", 0),
            ("roses", 1),
            ("flowers", 2),
        }

    def test_a_second_rebuild_writes_nothing(self):
        self._category("roses", self._category("flowers"))
        category_tree_rebuild()
        with CaptureQueriesContext(connection) as context:
            assert category_tree_rebuild() == 0
        statements = [query["sql"].split()[0].upper() for query in context.captured_queries]
        assert statements.count("SELECT") == 2
        assert not {"INSERT", "UPDATE", "DELETE"} & set(statements)

    def test_moving_a_branch_moves_its_ancestry(self):
        flowers, plants = self._category("flowers"), self._category("plants")
        roses = self._category("roses", flowers)
        self._category("red", roses)
        category_tree_rebuild()
        Category.objects.filter(pk=roses.pk).update(parent=plants)
        category_tree_rebuild()
        assert Category.objects.get(slug="red").path == "/plants/roses/red/"
        assert not CategoryAncestry.objects.filter(ancestor=flowers).exclude(category=flowers).exists()

    def test_a_cycle_in_the_stored_tree_is_refused(self):
        a = self._category("a")
        b = self._category("b", a)
        Category.objects.filter(pk=a.pk).update(parent=b)
        with pytest.raises(CategoryCycleError, match="these categories are their own ancestor: a, b"):
            category_tree_rebuild()
