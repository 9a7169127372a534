"""A change form posted without a change writes nothing: no save, no history entry.

Django's admin saves the row on every valid POST, which bumps `auto_now` fields
(`updated_at`) and records "No fields changed." in the history. For a page whose
editable fields are few (a product: its ERP fields are read-only), a POST that
changes none of them is no change at all.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

_UNCHANGED_ATTR = "_admin_change_was_empty"


class UnchangedSaveWritesNothingMixin:
    """For a `ModelAdmin`: skip the save and the history entry of a change form that changed nothing.

    Inline formsets still save what they changed (then the history records it).
    """

    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        if change and not form.has_changed():
            return
        super().save_model(request, obj, form, change)  # type: ignore[misc]

    def log_change(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        # The message lists the changed fields and inline rows; empty means nothing was written.
        if not message:
            setattr(request, _UNCHANGED_ATTR, True)
            return None
        return super().log_change(request, obj, message)  # type: ignore[misc]

    def response_change(self, request: HttpRequest, obj: Model) -> HttpResponse:
        if not getattr(request, _UNCHANGED_ATTR, False):
            return super().response_change(request, obj)  # type: ignore[misc]
        model_admin: admin.ModelAdmin = self  # type: ignore[assignment]
        model_admin.message_user(
            request, f"Nothing changed: the {obj._meta.verbose_name} “{obj}” was not saved.", messages.INFO
        )
        if "_continue" in request.POST:
            context = {"preserved_filters": model_admin.get_preserved_filters(request), "opts": model_admin.opts}
            return HttpResponseRedirect(add_preserved_filters(context, request.path))
        return model_admin.response_post_save_change(request, obj)
