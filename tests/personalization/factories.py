import factory
from factory.django import DjangoModelFactory

from personalization.models import (
    CategoryRestriction,
    ContentBlock,
    MenuItem,
    ProductRestriction,
)
from tests.catalog.factories import CategoryFactory, ProductFactory


def _many_to_many(field: str) -> factory.PostGeneration:
    """`Factory(<field>=[...])` sets that many-to-many relation after the row is created."""

    def assign(instance, create, extracted, **kwargs):
        if create and extracted:
            getattr(instance, field).set(extracted)

    return factory.PostGeneration(assign)


class ContentBlockFactory(DjangoModelFactory):
    class Meta:
        model = ContentBlock
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Block {n}")
    placement = ContentBlock.Placement.HOME_HERO
    kind = ContentBlock.Kind.TEXT
    headline = factory.Sequence(lambda n: f"Headline {n}")
    text = "<p>Fresh from Aalsmeer</p>"

    class Params:
        fallback = factory.Trait(is_fallback=True)
        inactive = factory.Trait(is_active=False)
        carousel = factory.Trait(kind=ContentBlock.Kind.PRODUCT_CAROUSEL, text="")

    include_segments = _many_to_many("include_segments")
    exclude_segments = _many_to_many("exclude_segments")
    products = _many_to_many("products")


class MenuItemFactory(DjangoModelFactory):
    class Meta:
        model = MenuItem
        skip_postgeneration_save = True

    label = factory.Sequence(lambda n: f"Menu {n}")
    url = factory.Sequence(lambda n: f"/page-{n}/")
    visibility = MenuItem.Visibility.EVERYONE

    class Params:
        logged_in_only = factory.Trait(visibility=MenuItem.Visibility.LOGGED_IN)
        for_segments = factory.Trait(visibility=MenuItem.Visibility.SEGMENTS)

    include_segments = _many_to_many("include_segments")
    exclude_segments = _many_to_many("exclude_segments")


class CategoryRestrictionFactory(DjangoModelFactory):
    class Meta:
        model = CategoryRestriction
        skip_postgeneration_save = True

    category = factory.SubFactory(CategoryFactory)

    include_segments = _many_to_many("include_segments")
    exclude_segments = _many_to_many("exclude_segments")


class ProductRestrictionFactory(DjangoModelFactory):
    class Meta:
        model = ProductRestriction
        skip_postgeneration_save = True

    product = factory.SubFactory(ProductFactory)

    include_segments = _many_to_many("include_segments")
    exclude_segments = _many_to_many("exclude_segments")
