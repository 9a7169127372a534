import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from tests.accounts.factories import CompanyFactory
from tests.catalog.factories import PriceFactory, ProductFactory


@pytest.mark.django_db
class PriceConstraintTests:
    def test_a_price_belongs_to_a_company_or_a_price_group_not_both(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            PriceFactory(company=CompanyFactory(), price_group="A")

    def test_a_price_needs_a_company_or_a_price_group(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            PriceFactory(company=None, price_group="")

    def test_open_ended_prices_are_unique_per_company_and_product(self):
        company, product = CompanyFactory(), ProductFactory()
        PriceFactory(company=company, product=product, valid_from=None)
        with pytest.raises(IntegrityError), transaction.atomic():
            PriceFactory(company=company, product=product, valid_from=None)

    def test_prices_with_different_start_dates_coexist(self):
        product = ProductFactory()
        PriceFactory(price_group="A", product=product, valid_from=None)
        PriceFactory(price_group="A", product=product, valid_from=datetime.date(2026, 1, 1))
        assert product.prices.count() == 2


@pytest.mark.django_db
class ProductConstraintTests:
    def test_availability_window_must_be_ordered(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            ProductFactory(available_from=datetime.date(2026, 5, 1), available_until=datetime.date(2026, 4, 1))

    def test_list_price_cannot_be_negative(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            ProductFactory(list_price=Decimal("-0.01"))

    def test_min_order_quantity_is_at_least_one(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            ProductFactory(min_order_quantity=0)
