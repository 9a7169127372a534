"""Demo data for the shop's self-service pages (docs/self-service.md): company admins and the buyer's Favourites.

Both steps are idempotent and leave alone what a demo user changed: a company that has an
active admin keeps it, and a Favourites list that has items is not refilled.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Exists, Min, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from accounts.models import Company, Contact, User
from b2bshop.demo.dataset import DEMO_BUYER_EMAIL
from catalog.models import Product
from orders.models import OrderListItem
from orders.order_list_services import order_list_default_ensure

FAVOURITES_SIZE = 6


@dataclass(frozen=True)
class SelfServiceResult:
    admins_made: int
    favourites_added: int


def demo_company_admins_ensure() -> int:
    """Give every company with active contacts and no active admin one: its first active contact (one UPDATE)."""
    has_admin = Contact.objects.filter(
        company_id=OuterRef("pk"), shop_role=User.ShopRole.ADMIN, is_active=True
    )
    companies = Company.objects.filter(contacts__is_active=True).exclude(Exists(has_admin)).values("pk")
    first_contacts = (
        Contact.objects.filter(company_id__in=companies, is_active=True)
        .order_by()
        .values("company_id")
        .annotate(first=Min("pk"))
        .values("first")
    )
    return Contact.objects.filter(pk__in=Subquery(first_contacts)).update(shop_role=User.ShopRole.ADMIN)


def demo_buyer_favourites_ensure() -> int:
    """The demo buyer's company gets a Favourites list of the products it orders most (or the first ones)."""
    buyer = Contact.objects.select_related("company").filter(email=DEMO_BUYER_EMAIL).first()
    if buyer is None:
        return 0
    favourites = order_list_default_ensure(company=buyer.company, contact=buyer)
    if favourites.items.exists():
        return 0
    ordered = (
        Product.objects.filter(is_active=True, order_lines__order__company_id=buyer.company_id)
        .annotate(times=Count("order_lines"), quantity=Sum("order_lines__quantity"))
        .order_by("-times", "name")[:FAVOURITES_SIZE]
    )
    products = list(ordered)
    if len(products) < FAVOURITES_SIZE:
        products += list(
            Product.objects.filter(is_active=True)
            .exclude(pk__in=[product.pk for product in products])
            .order_by("name")[: FAVOURITES_SIZE - len(products)]
        )
    # One product with delivery weekdays shows how the list marks what cannot be delivered on the chosen date.
    if not any(product.available_weekdays for product in products):
        restricted = Product.objects.filter(is_active=True).exclude(Q(available_weekdays="")).order_by("name").first()
        if restricted is not None:
            products = [*products[: FAVOURITES_SIZE - 1], restricted]
    now = timezone.now()
    OrderListItem.objects.bulk_create(
        OrderListItem(
            order_list=favourites,
            product=product,
            quantity=max(product.min_order_quantity, _typical_quantity(product)),
            added_at=now,
        )
        for product in products
    )
    return len(products)


def _typical_quantity(product: Product) -> int:
    times, quantity = getattr(product, "times", 0), getattr(product, "quantity", 0)
    return round(quantity / times) if times and quantity else 0


@transaction.atomic
def demo_self_service_ensure() -> SelfServiceResult:
    return SelfServiceResult(
        admins_made=demo_company_admins_ensure(), favourites_added=demo_buyer_favourites_ensure()
    )
