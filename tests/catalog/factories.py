from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from catalog.models import Category, Price, Product


class CategoryFactory(DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"category-{n}")
    name = factory.Sequence(lambda n: f"Category {n}")
    parent = None
    path = factory.LazyAttribute(lambda o: (o.parent.path if o.parent else "/") + f"{o.slug}/")
    depth = factory.LazyAttribute(lambda o: o.parent.depth + 1 if o.parent else 0)


class ProductFactory(DjangoModelFactory):
    class Meta:
        model = Product
        django_get_or_create = ("sku",)

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Rose Avalanche {n}")
    category = factory.SubFactory(CategoryFactory)
    list_price = Decimal("10.00")
    unit = Product.Unit.BUNCH


class PriceFactory(DjangoModelFactory):
    class Meta:
        model = Price

    product = factory.SubFactory(ProductFactory)
    price = Decimal("8.50")
