"""Admin pages of the login limits (django-axes): records of logins and failures, viewed and never edited.

django-axes registers its own admins (with `AXES_ENABLE_ADMIN`, on by default) whose change forms
accept a POST: nothing on them is editable, yet the save writes a history entry. They are replaced
here by the same pages without the change permission. Access attempts keep deletion: deleting the
attempts of an account or address lifts its lock (superusers, docs/reliability.md "Login rate
limits"). Access and failure logs are evidence: not deleted here either.

Registered on import; `accounts/admin.py` imports this module.
"""

from __future__ import annotations

from typing import Any

# Importing axes' admin module registers its own admins first; they are replaced below.
from axes import admin as axes_admin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from b2bshop.read_only_admin import ReadOnlyModelAdmin


class AccessAttemptAdmin(axes_admin.AccessAttemptAdmin):
    """Failure counts per account and address: viewed, or deleted to lift a lock; never changed."""

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Clean up expired attempts", permissions=["delete"])
    def cleanup_expired_attempts(self, request: HttpRequest, queryset: QuerySet[AccessAttempt]) -> None:
        super().cleanup_expired_attempts(request, queryset)


class AccessLogAdmin(ReadOnlyModelAdmin, axes_admin.AccessLogAdmin):
    """Each login and logout."""


class AccessFailureLogAdmin(ReadOnlyModelAdmin, axes_admin.AccessFailureLogAdmin):
    """Each failed login."""


# Only what axes registered is replaced: with AXES_ENABLE_ADMIN off there are no pages at all.
for _model, _model_admin in (
    (AccessAttempt, AccessAttemptAdmin),
    (AccessLog, AccessLogAdmin),
    (AccessFailureLog, AccessFailureLogAdmin),
):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
        admin.site.register(_model, _model_admin)
