import datetime
from decimal import Decimal

import pytest

from catalog.models import Product
from catalog.pricing import products_with_prices, resolved_prices
from tests.accounts.factories import CompanyFactory
from tests.catalog.factories import PriceFactory, ProductFactory

DAY = datetime.date(2026, 11, 26)


@pytest.mark.django_db
class ResolvedPriceTests:
    def test_company_price_beats_price_group_beats_list_price(self):
        company = CompanyFactory(price_group="florists")
        both, group_only, neither = ProductFactory(), ProductFactory(), ProductFactory(list_price=Decimal("9.99"))
        PriceFactory(product=both, company=company, price=Decimal("5.00"))
        PriceFactory(product=both, price_group="florists", price=Decimal("6.00"))
        PriceFactory(product=group_only, price_group="florists", price=Decimal("7.00"))

        prices = resolved_prices(company=company, product_ids=[both.pk, group_only.pk, neither.pk], on=DAY)

        assert prices == {both.pk: Decimal("5.00"), group_only.pk: Decimal("7.00"), neither.pk: Decimal("9.99")}

    def test_another_companys_price_never_applies(self):
        mine, theirs = CompanyFactory(), CompanyFactory()
        product = ProductFactory(list_price=Decimal("10.00"))
        PriceFactory(product=product, company=theirs, price=Decimal("1.00"))
        assert resolved_prices(company=mine, product_ids=[product.pk], on=DAY) == {product.pk: Decimal("10.00")}

    def test_another_price_groups_price_never_applies(self):
        company = CompanyFactory(price_group="retail")
        product = ProductFactory(list_price=Decimal("10.00"))
        PriceFactory(product=product, price_group="wholesale", price=Decimal("2.00"))
        assert resolved_prices(company=company, product_ids=[product.pk], on=DAY) == {product.pk: Decimal("10.00")}

    def test_validity_window_is_inclusive_and_the_latest_start_wins(self):
        company = CompanyFactory()
        product = ProductFactory(list_price=Decimal("10.00"))
        PriceFactory(product=product, company=company, price=Decimal("8.00"))
        PriceFactory(product=product, company=company, price=Decimal("7.00"), valid_from=DAY, valid_until=DAY)
        PriceFactory(product=product, company=company, price=Decimal("6.00"), valid_from=DAY + datetime.timedelta(days=1))

        assert resolved_prices(company=company, product_ids=[product.pk], on=DAY)[product.pk] == Decimal("7.00")
        assert resolved_prices(company=company, product_ids=[product.pk], on=DAY - datetime.timedelta(days=1))[product.pk] == Decimal("8.00")
        assert resolved_prices(company=company, product_ids=[product.pk], on=DAY + datetime.timedelta(days=5))[product.pk] == Decimal("6.00")

    def test_an_older_company_price_beats_a_newer_group_price_and_an_expired_one_does_not(self):
        company = CompanyFactory(price_group="florists")
        older, expired = ProductFactory(), ProductFactory()
        PriceFactory(product=older, company=company, price=Decimal("5.00"), valid_from=DAY - datetime.timedelta(days=90))
        PriceFactory(product=older, price_group="florists", price=Decimal("4.00"), valid_from=DAY)
        PriceFactory(
            product=expired, company=company, price=Decimal("3.00"), valid_until=DAY - datetime.timedelta(days=1)
        )
        PriceFactory(product=expired, price_group="florists", price=Decimal("6.50"))

        prices = resolved_prices(company=company, product_ids=[older.pk, expired.pk], on=DAY)

        assert prices == {older.pk: Decimal("5.00"), expired.pk: Decimal("6.50")}

    def test_listing_prices_are_one_query(self, django_assert_num_queries):
        company = CompanyFactory(price_group="florists")
        for _ in range(10):
            PriceFactory(product=ProductFactory(), price_group="florists")
        with django_assert_num_queries(1):
            rows = list(products_with_prices(products=Product.objects.all(), company=company, on=DAY))
        assert all(row.resolved_price == Decimal("8.50") for row in rows)
