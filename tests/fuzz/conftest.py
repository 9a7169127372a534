"""A small shop with two look-alike companies, shared by the API fuzzing and the permission matrix.

Companies A and B hold the same things under the same names (the same product SKU ordered,
order numbers one digit apart, a company price each, an order list called "Weekly"), so a
route that leaks across companies answers 200 where the tables expect 404.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Company, Contact, User
from accounts.services import marketing_group_ensure
from catalog.models import Category, Product
from integrations.erp.connections import erp_connection_create
from integrations.models import ErpConnection, ImportRun, MailchimpSyncRun
from orders.models import Order, OrderList, OrderListItem
from orders.offer_models import Promotion, ShippingRule
from orders.offers.services import (
    PromotionInput,
    ShippingRuleInput,
    promotion_save,
    shipping_rule_save,
)
from personalization.models import ContentBlock
from segments.models import Segment
from segments.permissions import marketing_segment_permissions_grant
from tests.accounts.factories import (
    CompanyAttributeDefinitionFactory,
    CompanyFactory,
    ContactFactory,
    StaffUserFactory,
)
from tests.catalog.factories import CategoryFactory, PriceFactory, ProductFactory
from tests.integrations.erp.factories import ImportRunFactory
from tests.integrations.mailchimp.factories import (
    MailchimpMemberErrorFactory,
    MailchimpSegmentSyncFactory,
)
from tests.orders.factories import (
    CartFactory,
    CartLineFactory,
    OrderFactory,
    OrderLineFactory,
)
from tests.personalization.factories import (
    CategoryRestrictionFactory,
    ContentBlockFactory,
    MenuItemFactory,
    ProductRestrictionFactory,
)
from tests.segments.factories import (
    CompanyValueFactory,
    MembershipEventFactory,
    SegmentFactory,
    SegmentMembershipFactory,
)


@dataclass(frozen=True)
class Side:
    """What one company holds."""

    company: Company
    buyer: Contact
    admin: Contact
    colleague: Contact
    order: Order
    order_list: OrderList


@dataclass(frozen=True)
class Shop:
    a: Side
    b: Side
    category: Category
    product: Product
    segment: Segment
    synced_segment: Segment
    promotion: Promotion
    shipping_rule: ShippingRule
    content_block: ContentBlock
    import_run: ImportRun
    sync_run: MailchimpSyncRun
    erp_connection: ErpConnection
    erp_token: str
    marketer: User
    staff: User
    superuser: User


def _side(key: str, *, order_number: str, price: str, product: Product) -> Side:
    company = CompanyFactory(erp_id=f"C-{key.upper()}", name=f"Bloemen {key.upper()}", departure_weekdays="")
    buyer = ContactFactory(company=company, email=f"buyer@{key}.example", language="en")
    admin = ContactFactory(company=company, email=f"admin@{key}.example", company_admin=True, language="en")
    colleague = ContactFactory(company=company, email=f"colleague@{key}.example", language="en")
    PriceFactory(product=product, company=company, price=Decimal(price))
    order = OrderFactory(company=company, contact=buyer, order_number=order_number)
    OrderLineFactory(order=order, product=product, line_no=1, quantity=4, unit_price=Decimal(price))
    order_list = OrderList.objects.create(company=company, name="Weekly")
    OrderListItem.objects.create(order_list=order_list, product=product, quantity=9, added_at=timezone.now())
    CartLineFactory(cart=CartFactory(contact=buyer), product=product, quantity=3, unit_price=Decimal(price))
    return Side(company, buyer, admin, colleague, order, order_list)


def shop_build() -> Shop:
    flowers = CategoryFactory(slug="flowers", name="Flowers")
    roses = CategoryFactory(slug="roses", name="Roses", parent=flowers)
    rose = ProductFactory(sku="ROSE-RED", name="Red Naomi rose", category=roses, list_price=Decimal("10.00"))
    ProductFactory(sku="TULIP-YEL", name="Yellow tulip", category=flowers, list_price=Decimal("3.00"))
    a = _side("a", order_number="SO2026001", price="8.40", product=rose)
    b = _side("b", order_number="SO2026002", price="7.77", product=rose)

    segment = SegmentFactory(slug="loyal", name="Loyal", rule={"all": [{"field": "company.country", "op": "eq", "value": "NL"}]})
    SegmentMembershipFactory(segment=segment, contact=a.buyer)
    MembershipEventFactory(segment=segment, contact=a.buyer)
    synced = SegmentFactory(slug="newsletter", name="Newsletter")
    MailchimpSegmentSyncFactory(segment=synced)
    promotion = promotion_save(
        data=PromotionInput(name="Ten off", kind=Promotion.Kind.PERCENTAGE, percentage=Decimal(10), include_segments=[segment])
    )
    shipping_rule = shipping_rule_save(data=ShippingRuleInput(name="Flat", cost=Decimal("12.50")))
    content_block = ContentBlockFactory(placement=ContentBlock.Placement.HOME_HERO, include_segments=[segment])
    import_run = ImportRunFactory(started_at=timezone.now() - datetime.timedelta(hours=1), finished_at=timezone.now())
    sync_run = MailchimpSyncRun.objects.create(segment=synced)
    connection, token = erp_connection_create(name="Fuzz ERP")

    # One row for more of the admin's models, so their object pages open a real object.
    CompanyAttributeDefinitionFactory(name="fuzz_attribute")
    CompanyValueFactory(company=a.company)
    CategoryRestrictionFactory(category=flowers, include_segments=[segment])
    ProductRestrictionFactory(product=rose, include_segments=[segment])
    MenuItemFactory()
    MailchimpMemberErrorFactory()

    marketer = StaffUserFactory(email="marketer@b2bshop.example")
    marketing_group_ensure()
    marketer.groups.add(marketing_segment_permissions_grant())
    staff = StaffUserFactory(email="staff@b2bshop.example")
    superuser = User.objects.create_superuser("root@b2bshop.example", "root-pass-123")
    return Shop(
        a=a, b=b, category=roses, product=rose, segment=segment, synced_segment=synced, promotion=promotion,
        shipping_rule=shipping_rule, content_block=content_block, import_run=import_run, sync_run=sync_run,
        erp_connection=connection, erp_token=token, marketer=marketer, staff=staff, superuser=superuser,
    )


@pytest.fixture
def shop(db) -> Shop:
    return shop_build()
