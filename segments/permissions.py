"""What the "Marketing" staff group may do with segments in the admin."""

import operator
from functools import reduce

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

from accounts.services import MARKETING_GROUP_NAME

# (model name in the segments app) -> actions. Marketers own segments; what the
# refresh writes (runs, membership, events, customer value) they only read.
SEGMENT_MARKETING_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "segment": ("add", "change", "delete", "view"),
    "refreshrun": ("view",),
    "membershipevent": ("view",),
    "segmentmembership": ("view",),
    "companyvalue": ("view",),
}


@transaction.atomic
def marketing_segment_permissions_grant() -> Group:
    """Add the segment permissions to the "Marketing" group (created if missing); idempotent.

    Only adds: permissions the group has on other apps, or was given by hand, stay.
    """
    create_permissions(apps.get_app_config("segments"), verbosity=0)
    wanted = reduce(
        operator.or_,
        (
            Q(content_type__model=model, codename__in=[f"{action}_{model}" for action in actions])
            for model, actions in SEGMENT_MARKETING_PERMISSIONS.items()
        ),
    )
    group, _ = Group.objects.get_or_create(name=MARKETING_GROUP_NAME)
    group.permissions.add(*Permission.objects.filter(wanted, content_type__app_label="segments"))
    return group
