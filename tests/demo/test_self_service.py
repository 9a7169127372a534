import pytest

from accounts.models import User
from b2bshop.demo.dataset import DEMO_BUYER_EMAIL
from b2bshop.demo.self_service import FAVOURITES_SIZE, demo_self_service_ensure
from orders.models import OrderList, OrderListItem
from tests.accounts.factories import CompanyFactory, ContactFactory
from tests.catalog.factories import ProductFactory
from tests.orders.factories import OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db


class DemoSelfServiceEnsureTests:
    def test_each_company_without_an_active_admin_gets_its_first_active_contact_as_admin(self):
        without = CompanyFactory()
        inactive_first = ContactFactory(company=without, is_active=False)
        first_active = ContactFactory(company=without)
        second = ContactFactory(company=without)
        with_admin = CompanyFactory()
        admin = ContactFactory(company=with_admin, company_admin=True)
        colleague = ContactFactory(company=with_admin)
        CompanyFactory()  # no contacts at all
        assert demo_self_service_ensure().admins_made == 1
        roles = dict(User.objects.values_list("pk", "shop_role"))
        assert roles[first_active.pk] == User.ShopRole.ADMIN
        assert roles[inactive_first.pk] == roles[second.pk] == roles[colleague.pk] == User.ShopRole.BUYER
        assert roles[admin.pk] == User.ShopRole.ADMIN
        assert demo_self_service_ensure().admins_made == 0

    def test_the_demo_buyer_gets_favourites_of_the_most_ordered_products_once(self):
        buyer = ContactFactory(email=DEMO_BUYER_EMAIL, company_admin=True)
        products = ProductFactory.create_batch(8)
        weekly = ProductFactory(name="Zinnia", available_weekdays="tue", min_order_quantity=10)
        for times, product in enumerate(products, start=1):
            for _ in range(times):
                OrderLineFactory(order=OrderFactory(company=buyer.company), product=product, quantity=times * 2)
        OrderLineFactory(order=OrderFactory(company=buyer.company), product=weekly, quantity=1)
        result = demo_self_service_ensure()
        favourites = OrderList.objects.get(company=buyer.company, is_default=True)
        items = dict(favourites.items.values_list("product__name", "quantity"))
        assert result.favourites_added == len(items) == FAVOURITES_SIZE
        assert products[-1].name in items and items[products[-1].name] == 16  # ordered 8 times, 16 each
        assert items["Zinnia"] == 10  # a product with delivery weekdays, at its minimum
        assert demo_self_service_ensure().favourites_added == 0
        assert OrderListItem.objects.count() == FAVOURITES_SIZE

    def test_nothing_without_the_demo_buyer(self):
        assert demo_self_service_ensure().favourites_added == 0
        assert not OrderList.objects.exists()
