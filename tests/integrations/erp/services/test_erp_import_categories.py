import pytest

from catalog.models import Category, CategoryAncestry
from tests.catalog.factories import CategoryFactory
from tests.integrations.erp.files import counts_of, csv_text, errors_of

HEADER = "slug,name,parent_slug"


def _tree() -> dict[str, tuple[str | None, str, int]]:
    return {
        c.slug: (c.parent.slug if c.parent else None, c.path, c.depth)
        for c in Category.objects.select_related("parent")
    }


@pytest.mark.django_db
class CategoryImportTests:
    def test_a_parent_may_come_later_in_the_file(self, run_import):
        run = run_import(
            "categories", csv_text(HEADER, "red-roses,Red roses,roses", "roses,Roses,flowers", "flowers,Flowers,")
        )
        assert counts_of(run) == {"rows": 3, "created": 3, "updated": 0, "unchanged": 0, "failed": 0}
        assert _tree() == {
            "flowers": (None, "/flowers/", 0),
            "roses": ("flowers", "/flowers/roses/", 1),
            "red-roses": ("roses", "/flowers/roses/red-roses/", 2),
        }

    def test_the_ancestry_closure_is_written(self, run_import):
        run_import("categories", csv_text(HEADER, "flowers,Flowers,", "roses,Roses,flowers"))
        links = set(CategoryAncestry.objects.values_list("category__slug", "ancestor__slug", "distance"))
        assert links == {("flowers", "flowers", 0), ("roses", "roses", 0), ("roses", "flowers", 1)}

    def test_a_cycle_is_reported_on_every_row_in_it_and_the_rest_is_imported(self, run_import):
        run = run_import("categories", csv_text(HEADER, "a,A,b", "b,B,c", "c,C,a", "plants,Plants,"))
        message = "categories may not form a cycle: a → b → c → a"
        assert errors_of(run) == [(2, "parent_slug", message), (3, "parent_slug", message), (4, "parent_slug", message)]
        assert list(Category.objects.values_list("slug", flat=True)) == ["plants"]

    def test_a_category_that_is_its_own_parent_is_a_cycle(self, run_import):
        run = run_import("categories", csv_text(HEADER, "a,A,a"))
        assert errors_of(run) == [(2, "parent_slug", "categories may not form a cycle: a → a")]

    def test_a_cycle_through_a_stored_category_is_found(self, run_import):
        run_import("categories", csv_text(HEADER, "a,A,", "b,B,a"))
        run = run_import("categories", csv_text(HEADER, "a,A,b"))
        assert errors_of(run) == [(2, "parent_slug", "categories may not form a cycle: a → b → a")]
        assert _tree()["a"] == (None, "/a/", 0)

    def test_an_unknown_parent_is_a_row_error(self, run_import):
        run = run_import("categories", csv_text(HEADER, "roses,Roses,nowhere"))
        assert errors_of(run) == [(2, "parent_slug", "no category with slug 'nowhere' in the file or the shop")]

    def test_a_child_of_a_rejected_category_is_rejected_too(self, run_import):
        run = run_import("categories", csv_text(HEADER, "a,A,a", "child,Child,a"))
        assert errors_of(run)[1] == (3, "parent_slug", "the parent category 'a' (line 2) could not be imported")
        assert Category.objects.count() == 0

    def test_moving_a_category_rewrites_the_paths_below_it(self, run_import):
        run_import(
            "categories", csv_text(HEADER, "flowers,Flowers,", "plants,Plants,", "roses,Roses,flowers", "red,Red,roses")
        )
        run = run_import("categories", csv_text(HEADER, "roses,Roses,plants"))
        assert counts_of(run)["updated"] == 1
        assert _tree()["red"] == ("roses", "/plants/roses/red/", 2)
        assert CategoryAncestry.objects.filter(category__slug="red", ancestor__slug="plants", distance=2).exists()
        assert not CategoryAncestry.objects.filter(ancestor__slug="flowers").exclude(category__slug="flowers").exists()

    def test_importing_the_same_file_again_changes_nothing(self, run_import):
        content = csv_text(HEADER, "flowers,Flowers,", "roses,Roses,flowers")
        run_import("categories", content)
        again = run_import("categories", content)
        assert counts_of(again) == {"rows": 2, "created": 0, "updated": 0, "unchanged": 2, "failed": 0}

    def test_without_a_parent_column_existing_categories_keep_their_parent(self, run_import):
        flowers = CategoryFactory(slug="flowers")
        CategoryFactory(slug="roses", parent=flowers)
        run = run_import("categories", csv_text("slug,name", "roses,Rozen", "tulips,Tulpen"))
        assert counts_of(run)["updated"] == 1
        assert _tree()["roses"] == ("flowers", "/flowers/roses/", 1)
        assert _tree()["tulips"] == (None, "/tulips/", 0)

    def test_an_invalid_slug_is_a_row_error(self, run_import):
        run = run_import("categories", csv_text(HEADER, "red roses,Red roses,"))
        assert errors_of(run) == [(2, "slug", "may contain only letters, digits, hyphens (-) and underscores (_)")]

    def test_the_same_slug_twice_reports_the_later_row(self, run_import):
        run = run_import("categories", csv_text(HEADER, "roses,Roses,", "roses,Rozen,"))
        assert errors_of(run) == [(3, "slug", "duplicate key: already on line 2; only the first one is imported")]
        assert Category.objects.get().name == "Roses"

    def test_a_dry_run_writes_no_category(self, run_import):
        run = run_import("categories", csv_text(HEADER, "roses,Roses,flowers", "flowers,Flowers,"), dry_run=True)
        assert run.created == 2
        assert Category.objects.count() == 0
