import factory
from factory.django import DjangoModelFactory

from personalization.models import (
    CategoryRestriction,
    ContentBlock,
    MenuItem,
    ProductRestriction,
)
from tests.catalog.factories import CategoryFactory, ProductFactory


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

    @factory.post_generation
    def include_segments(self, create, extracted, **kwargs):
        if create and extracted:
            self.include_segments.set(extracted)

    @factory.post_generation
    def exclude_segments(self, create, extracted, **kwargs):
        if create and extracted:
            self.exclude_segments.set(extracted)

    @factory.post_generation
    def products(self, create, extracted, **kwargs):
        if create and extracted:
            self.products.set(extracted)


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

    @factory.post_generation
    def include_segments(self, create, extracted, **kwargs):
        if create and extracted:
            self.include_segments.set(extracted)

    @factory.post_generation
    def exclude_segments(self, create, extracted, **kwargs):
        if create and extracted:
            self.exclude_segments.set(extracted)


class CategoryRestrictionFactory(DjangoModelFactory):
    class Meta:
        model = CategoryRestriction
        skip_postgeneration_save = True

    category = factory.SubFactory(CategoryFactory)

    @factory.post_generation
    def include_segments(self, create, extracted, **kwargs):
        if create and extracted:
            self.include_segments.set(extracted)

    @factory.post_generation
    def exclude_segments(self, create, extracted, **kwargs):
        if create and extracted:
            self.exclude_segments.set(extracted)


class ProductRestrictionFactory(DjangoModelFactory):
    class Meta:
        model = ProductRestriction
        skip_postgeneration_save = True

    product = factory.SubFactory(ProductFactory)

    @factory.post_generation
    def include_segments(self, create, extracted, **kwargs):
        if create and extracted:
            self.include_segments.set(extracted)

    @factory.post_generation
    def exclude_segments(self, create, extracted, **kwargs):
        if create and extracted:
            self.exclude_segments.set(extracted)
