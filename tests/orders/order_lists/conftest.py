"""The shop's fixtures (frozen clock on Thursday 26 Nov 2026 10:00, two companies, three products) for order lists."""

import pytest

from tests.personalization.factories import ProductRestrictionFactory
from tests.segments.factories import SegmentFactory
from tests.shop.conftest import NOW, _frozen_now, _no_celery, shop_data  # noqa: F401  (fixtures)


@pytest.fixture
def hidden_product(shop_data):  # noqa: F811  (the imported fixture)
    """A product only members of a segment see; the shop_data buyers are not members."""
    from tests.catalog.factories import ProductFactory

    product = ProductFactory(sku="DEALER-ONLY", name="Dealer-only orchid", category=shop_data["flowers"])
    ProductRestrictionFactory(product=product, include_segments=[SegmentFactory(name="Dealers", slug="dealers")])
    return product


@pytest.fixture
def now():
    return NOW
