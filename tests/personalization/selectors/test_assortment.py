"""hidden_category_ids and visible_products_filter: segment assortments (spec "Precise semantics")."""

import pytest
from django.db.models import Q

from catalog.models import Category, Product
from catalog.services import category_tree_rebuild
from personalization.selectors import (
    hidden_category_ids,
    invisible_product_ids,
    product_is_visible,
    visible_categories_filter,
    visible_product_list,
    visible_products_filter,
)
from tests.catalog.factories import CategoryFactory, ProductFactory
from tests.personalization.factories import (
    CategoryRestrictionFactory,
    ProductRestrictionFactory,
)
from tests.segments.factories import SegmentFactory

pytestmark = pytest.mark.django_db

ANONYMOUS = {"segment_ids": frozenset(), "is_authenticated": False}


def member_of(*segments):
    return {"segment_ids": frozenset(segment.pk for segment in segments), "is_authenticated": True}


def visible_skus(**viewer):
    return sorted(visible_product_list(**viewer).values_list("sku", flat=True))


@pytest.fixture
def tree():
    """plants > outdoor > roses-outdoor; cut-flowers (unrestricted)."""
    plants = CategoryFactory(slug="plants")
    outdoor = CategoryFactory(slug="outdoor", parent=plants)
    roses = CategoryFactory(slug="roses-outdoor", parent=outdoor)
    cut = CategoryFactory(slug="cut-flowers")
    category_tree_rebuild()
    return {"plants": plants, "outdoor": outdoor, "roses": roses, "cut": cut}


class HiddenCategoryTests:
    def test_hidden_category_hides_its_descendants(self, tree):
        dealers = SegmentFactory()
        CategoryRestrictionFactory(category=tree["outdoor"], include_segments=[dealers])

        assert hidden_category_ids(**ANONYMOUS) == {tree["outdoor"].pk, tree["roses"].pk}
        assert hidden_category_ids(**member_of(dealers)) == frozenset()

    def test_hidden_category_hides_the_products_of_its_descendants(self, tree):
        dealers = SegmentFactory()
        CategoryRestrictionFactory(category=tree["outdoor"], include_segments=[dealers])
        ProductFactory(sku="PLANT", category=tree["plants"])
        ProductFactory(sku="OUTDOOR", category=tree["outdoor"])
        ProductFactory(sku="ROSE", category=tree["roses"])
        ProductFactory(sku="CUT", category=tree["cut"])

        assert visible_skus(**ANONYMOUS) == ["CUT", "PLANT"]
        assert visible_skus(**member_of(dealers)) == ["CUT", "OUTDOOR", "PLANT", "ROSE"]

    def test_restriction_without_include_segments_applies_to_everyone(self, tree):
        CategoryRestrictionFactory(category=tree["plants"])

        assert hidden_category_ids(**ANONYMOUS) == frozenset()

    def test_include_segments_need_a_logged_in_member(self, tree):
        dealers = SegmentFactory()
        CategoryRestrictionFactory(category=tree["plants"], include_segments=[dealers])

        assert tree["plants"].pk in hidden_category_ids(segment_ids=frozenset({dealers.pk}), is_authenticated=False)
        assert tree["plants"].pk in hidden_category_ids(segment_ids=frozenset(), is_authenticated=True)

    def test_exclude_on_an_ancestor_wins_over_include_below(self, tree):
        dealers, blocked = SegmentFactory(), SegmentFactory()
        CategoryRestrictionFactory(category=tree["plants"], exclude_segments=[blocked])
        CategoryRestrictionFactory(category=tree["roses"], include_segments=[dealers])

        hidden = hidden_category_ids(**member_of(dealers, blocked))

        assert hidden == {tree["plants"].pk, tree["outdoor"].pk, tree["roses"].pk}

    def test_visible_categories_filter_matches_hidden_category_ids(self, tree):
        dealers = SegmentFactory()
        CategoryRestrictionFactory(category=tree["outdoor"], include_segments=[dealers])

        visible = set(Category.objects.filter(visible_categories_filter(**ANONYMOUS)).values_list("pk", flat=True))

        assert visible == {tree["plants"].pk, tree["cut"].pk}


class RestrictedProductTests:
    def test_restricted_product_is_invisible_outside_its_segments(self):
        dealers, florists = SegmentFactory(), SegmentFactory()
        ProductRestrictionFactory(product=ProductFactory(sku="DEALER"), include_segments=[dealers])
        ProductFactory(sku="OPEN")

        assert visible_skus(**ANONYMOUS) == ["OPEN"]
        assert visible_skus(**member_of(florists)) == ["OPEN"]
        assert visible_skus(**member_of(dealers)) == ["DEALER", "OPEN"]

    def test_excluded_members_never_see_the_product(self):
        dealers, blocked = SegmentFactory(), SegmentFactory()
        ProductRestrictionFactory(
            product=ProductFactory(sku="DEALER"), include_segments=[dealers], exclude_segments=[blocked]
        )

        assert visible_skus(**member_of(dealers, blocked)) == []

    def test_product_url_check_answers_false_for_outsiders(self):
        dealers = SegmentFactory()
        product = ProductFactory()
        ProductRestrictionFactory(product=product, include_segments=[dealers])

        assert product_is_visible(product_id=product.pk, **ANONYMOUS) is False
        assert product_is_visible(product_id=product.pk, **member_of(dealers)) is True

    def test_filter_combines_with_other_filters(self):
        dealers = SegmentFactory()
        ProductRestrictionFactory(product=ProductFactory(sku="DEALER"), include_segments=[dealers])
        ProductFactory(sku="OPEN")
        ProductFactory(sku="OFF", is_active=False)

        skus = Product.objects.filter(visible_products_filter(**ANONYMOUS) & Q(is_active=True)).values_list("sku", flat=True)

        assert sorted(skus) == ["OPEN"]


    def test_invisible_product_ids_marks_cart_lines_of_restricted_products(self, django_assert_num_queries):
        dealers = SegmentFactory()
        restricted, open_product = ProductFactory(), ProductFactory()
        ProductRestrictionFactory(product=restricted, include_segments=[dealers])

        with django_assert_num_queries(1):
            hidden = invisible_product_ids(product_ids=[restricted.pk, open_product.pk], **ANONYMOUS)

        assert hidden == {restricted.pk}
        assert invisible_product_ids(product_ids=[restricted.pk], **member_of(dealers)) == frozenset()


class AssortmentQueryCountTests:
    @pytest.mark.parametrize("count", [5, 25])
    def test_query_counts_do_not_grow_with_restrictions(self, count, django_assert_num_queries):
        segments = SegmentFactory.create_batch(3)
        root = CategoryFactory(slug="root")
        for n in range(count):
            category = CategoryFactory(slug=f"c{n}", parent=root)
            CategoryRestrictionFactory(category=category, include_segments=segments[: n % 3])
            ProductRestrictionFactory(product=ProductFactory(category=category), exclude_segments=[segments[n % 3]])
        category_tree_rebuild()
        viewer = member_of(segments[0])

        with django_assert_num_queries(1):
            hidden_category_ids(**viewer)
        with django_assert_num_queries(1):
            list(visible_product_list(**viewer))
