from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from orders.offer_models import (
    PaymentMethod,
    PaymentMethodRule,
    ProductShippingWeight,
    Promotion,
    PromotionTier,
    ShippingBand,
    ShippingRule,
)
from tests.catalog.factories import ProductFactory


def _many_to_many(field: str) -> factory.PostGeneration:
    """`Factory(<field>=[...])` sets that many-to-many relation after the row is created."""

    def assign(instance, create, extracted, **kwargs):
        if create and extracted:
            getattr(instance, field).set(extracted)

    return factory.PostGeneration(assign)


class PromotionFactory(DjangoModelFactory):
    class Meta:
        model = Promotion
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Promotion {n}")
    kind = Promotion.Kind.PERCENTAGE
    percentage = Decimal("10.00")

    class Params:
        fixed = factory.Trait(kind=Promotion.Kind.FIXED_AMOUNT, percentage=None, amount=Decimal("25.00"))
        tiered = factory.Trait(kind=Promotion.Kind.TIERED_PRICE, percentage=None, scope=Promotion.Scope.PRODUCTS)
        free = factory.Trait(
            kind=Promotion.Kind.FREE_PRODUCT, percentage=None, buy_quantity=10, free_quantity=1,
            free_product=factory.SubFactory(ProductFactory),
        )

    include_segments = _many_to_many("include_segments")
    exclude_segments = _many_to_many("exclude_segments")
    products = _many_to_many("products")
    categories = _many_to_many("categories")


class PromotionTierFactory(DjangoModelFactory):
    class Meta:
        model = PromotionTier

    promotion = factory.SubFactory(PromotionFactory, tiered=True)
    min_quantity = 10
    unit_price = Decimal("1.00")


class ShippingRuleFactory(DjangoModelFactory):
    class Meta:
        model = ShippingRule
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Shipping {n}")
    kind = ShippingRule.Kind.PER_ORDER
    cost = Decimal("15.00")

    include_segments = _many_to_many("include_segments")
    exclude_segments = _many_to_many("exclude_segments")


class ShippingBandFactory(DjangoModelFactory):
    class Meta:
        model = ShippingBand

    rule = factory.SubFactory(ShippingRuleFactory, kind=ShippingRule.Kind.VALUE_BANDS)
    from_value = Decimal(0)
    cost = Decimal("10.00")


class ProductShippingWeightFactory(DjangoModelFactory):
    class Meta:
        model = ProductShippingWeight

    product = factory.SubFactory(ProductFactory)
    weight_kg = Decimal("1.000")


class PaymentMethodRuleFactory(DjangoModelFactory):
    class Meta:
        model = PaymentMethodRule
        skip_postgeneration_save = True

    method = PaymentMethod.INVOICE

    include_segments = _many_to_many("include_segments")
    exclude_segments = _many_to_many("exclude_segments")
