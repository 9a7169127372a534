"""Write-side operations on accounts."""

import operator
from functools import reduce

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

MARKETING_GROUP_NAME = "Marketing"

# What a marketer may do in the admin for the apps below, by (app label, model name).
# ERP-owned data is view-only; the one thing marketers edit here is how custom ERP
# attributes are typed. Deleting a definition would delete ERP values, so it is left out.
MARKETING_PERMISSIONS: dict[tuple[str, str], tuple[str, ...]] = {
    ("accounts", "company"): ("view",),
    ("accounts", "companyattributevalue"): ("view",),
    ("accounts", "companyattributedefinition"): ("view", "add", "change"),
    ("accounts", "contact"): ("view",),
    ("catalog", "category"): ("view",),
    ("catalog", "product"): ("view",),
    ("catalog", "price"): ("view",),
    ("orders", "order"): ("view",),
    ("orders", "orderline"): ("view",),
    ("orders", "cart"): ("view",),
    ("orders", "cartline"): ("view",),
    ("integrations", "importrun"): ("view",),
    ("integrations", "mailchimpsegmentsync"): ("view", "add", "change"),
    ("integrations", "mailchimpsyncrun"): ("view",),
    ("integrations", "mailchimpwebhookevent"): ("view",),
    ("integrations", "mailchimpmember"): ("view",),
    ("integrations", "mailchimpmembererror"): ("view", "change"),
    ("integrations", "mailchimpemailchangerequest"): ("view", "change"),
    ("personalization", "contentblock"): ("view", "add", "change", "delete"),
    ("personalization", "menuitem"): ("view", "add", "change", "delete"),
    ("personalization", "categoryrestriction"): ("view", "add", "change", "delete"),
    ("personalization", "productrestriction"): ("view", "add", "change", "delete"),
    # Segment offers (docs/offers.md): marketers run promotions, shipping and payment rules.
    ("orders", "promotion"): ("view", "add", "change", "delete"),
    ("orders", "promotiontier"): ("view", "add", "change", "delete"),
    ("orders", "promotionredemption"): ("view",),
    ("orders", "shippingrule"): ("view", "add", "change", "delete"),
    ("orders", "shippingband"): ("view", "add", "change", "delete"),
    ("orders", "productshippingweight"): ("view", "add", "change", "delete"),
    ("orders", "paymentmethodrule"): ("view", "add", "change", "delete"),
    ("orders", "orderpricing"): ("view",),
    ("orders", "orderadjustment"): ("view",),
    # The insight's cost per order channel (docs/insight.md): kept by marketers.
    ("orders", "channelcost"): ("view", "add", "change", "delete"),
    # Who changed which segment, content block or sync setting (docs/reliability.md, "Audit trail").
    # The trail is written by the services only; nobody edits it.
    ("b2bshop", "auditentry"): ("view",),
}
# The apps whose permissions `marketing_group_ensure` decides; others (segments) add their
# own permissions to the group and keep them.
MARKETING_MANAGED_APPS: tuple[str, ...] = (
    "accounts", "catalog", "orders", "integrations", "personalization", "b2bshop",
)


@transaction.atomic
def marketing_group_ensure() -> Group:
    """Create or update the "Marketing" staff group; idempotent.

    Its permissions on the managed apps become exactly `MARKETING_PERMISSIONS`;
    permissions on other apps are left as they are.
    """
    for app_label in MARKETING_MANAGED_APPS:
        create_permissions(apps.get_app_config(app_label), verbosity=0)
    wanted = reduce(
        operator.or_,
        (
            Q(
                content_type__app_label=app_label,
                content_type__model=model,
                codename__in=[f"{action}_{model}" for action in actions],
            )
            for (app_label, model), actions in MARKETING_PERMISSIONS.items()
        ),
    )
    group, _ = Group.objects.get_or_create(name=MARKETING_GROUP_NAME)
    kept = group.permissions.exclude(content_type__app_label__in=MARKETING_MANAGED_APPS)
    group.permissions.set([*kept, *Permission.objects.filter(wanted)])
    return group
