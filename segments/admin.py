"""Segment admin: marketers edit rules with the visual builder; what the refresh writes is read-only.

The admin only adapts: the form validates through the rule checker, saving and
deleting go through `segments.services`, "Refresh now" enqueues through the service.
The small JSON views (reference search, explain) feed the builder script.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from accounts.models import Contact
from b2bshop.api.permissions import is_marketer
from b2bshop.exceptions import ApplicationError
from b2bshop.read_only_admin import ReadOnlyModelAdmin
from catalog.models import Category, Product
from segments.evaluate import explain
from segments.forms import SegmentAdminForm, rule_builder_registry
from segments.insight.admin_views import insight_admin_urls
from segments.models import (
    CompanyValue,
    MembershipEvent,
    RefreshRun,
    Segment,
    SegmentMembership,
)
from segments.selectors import (
    contact_segment_ids,
    field_registry,
    segment_member_list,
    segments_in_dependency_order,
)
from segments.services import segment_delete, segment_refresh_enqueue, segment_save
from segments.validation import RuleValidationError

MEMBERS_SHOWN = 25
LOOKUP_LIMIT = 20
EXPLAIN_BODY_LIMIT = 128 * 1024
RULE_DESCRIPTION = (
    "Contacts who match the rule are the segment's members. Add conditions and groups; "
    "the member count updates while you edit, and saving refreshes the members."
)


class MarketerAdminMixin:
    """Segment pages are for marketers (staff in the Marketing group, or superusers), as in the API.

    The Django model permissions still decide what a marketer may do on each page.
    """

    def _is_marketer(self, request: HttpRequest) -> bool:
        if not hasattr(request, "_segments_is_marketer"):
            request._segments_is_marketer = is_marketer(request.user)  # type: ignore[attr-defined]
        return request._segments_is_marketer  # type: ignore[attr-defined]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._is_marketer(request) and super().has_module_permission(request)  # type: ignore[misc]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._is_marketer(request) and super().has_view_permission(request, obj)  # type: ignore[misc]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._is_marketer(request) and super().has_add_permission(request, *args)  # type: ignore[misc]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._is_marketer(request) and super().has_change_permission(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._is_marketer(request) and super().has_delete_permission(request, obj)  # type: ignore[misc]


class ReadOnlyAdmin(MarketerAdminMixin, ReadOnlyModelAdmin):
    """Rows written by the refresh: listed and viewed, never edited here (marketers only)."""


class UsesSegmentsFilter(admin.SimpleListFilter):
    title = "uses other segments"
    parameter_name = "uses_segments"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Segment]) -> QuerySet[Segment]:
        if self.value() == "yes":
            return queryset.filter(depends_on__isnull=False).distinct()
        if self.value() == "no":
            return queryset.filter(depends_on__isnull=True)
        return queryset


@admin.register(Segment)
class SegmentAdmin(MarketerAdminMixin, admin.ModelAdmin):
    form = SegmentAdminForm
    change_form_template = "admin/segments/segment/change_form.html"
    change_list_template = "admin/segments/segment/change_list.html"
    list_display = ("name", "members", "active", "needs_refresh", "last_refreshed", "depends_on_list")
    list_filter = ("is_active", "is_dirty", UsesSegmentsFilter, "last_refreshed_at")
    search_fields = ("name", "slug", "description")
    actions = ("refresh_now",)
    readonly_fields = ("member_count", "is_dirty", "last_refreshed_at", "depends_on_list", "created_by", "created_at", "updated_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Segment]:
        return super().get_queryset(request).prefetch_related("depends_on")

    def view_on_site(self, obj: Segment) -> str:
        """The change page's "View on site" button: the shop's read-only preview as a member of this segment."""
        return f"{reverse('shop-preview')}?segment={obj.pk}"

    def get_fieldsets(self, request: HttpRequest, obj: Segment | None = None) -> Any:
        fieldsets: list[tuple[str | None, dict[str, Any]]] = [
            (None, {"fields": ("name", "slug", "description", "is_active")}),
            ("Rule", {"fields": ("rule",), "classes": ("segment-rule",), "description": RULE_DESCRIPTION}),
        ]
        if obj is not None:
            fieldsets.append(("Status", {"fields": self.readonly_fields, "classes": ("collapse",)}))
        return fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Segment | None = None) -> tuple[str, ...]:
        # Other segments' rules refer to this one by slug: it stays as it was created.
        return (*self.readonly_fields, "slug") if obj is not None else self.readonly_fields

    def get_prepopulated_fields(self, request: HttpRequest, obj: Segment | None = None) -> dict[str, tuple[str, ...]]:
        return {"slug": ("name",)} if obj is None else {}

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        # Deleting goes one segment at a time through segment_delete (it refuses segments others use).
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description="Members", ordering="member_count")
    def members(self, obj: Segment) -> str:
        return f"{obj.member_count:,}"

    @admin.display(description="Active", boolean=True, ordering="is_active")
    def active(self, obj: Segment) -> bool:
        return obj.is_active

    @admin.display(description="Needs refresh", boolean=True, ordering="is_dirty")
    def needs_refresh(self, obj: Segment) -> bool:
        return obj.is_dirty

    @admin.display(description="Last refreshed", ordering="last_refreshed_at")
    def last_refreshed(self, obj: Segment) -> object:
        return obj.last_refreshed_at or "never"

    @admin.display(description="Depends on")
    def depends_on_list(self, obj: Segment) -> str:
        return ", ".join(sorted(segment.name for segment in obj.depends_on.all())) or "–"

    # ----------------------------------------------------------- saving

    def save_model(self, request: HttpRequest, obj: Segment, form: SegmentAdminForm, change: bool) -> None:
        data = form.cleaned_data
        saved = segment_save(
            segment=obj if change else None, name=data["name"], slug=data.get("slug") or obj.slug, rule=data["rule"],
            description=data.get("description", ""), is_active=data["is_active"], user=request.user,
        )
        if not change:  # the admin logs and redirects with the instance it built
            obj.pk = saved.pk
            obj.refresh_from_db()

    def delete_model(self, request: HttpRequest, obj: Segment) -> None:
        segment_delete(segment=obj, user=request.user)

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)
        except ApplicationError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(reverse("admin:segments_segment_change", args=[object_id]))

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> tuple[list[Any], dict[str, int], set[str], list[Any]]:
        """Summarize instead of listing every membership and event (marketers may delete a segment, not its history)."""
        segments = list(objs)
        using = Segment.objects.filter(depends_on__in=segments).exclude(pk__in=[s.pk for s in segments]).distinct()
        protected = [format_html("Segment {} uses it in its rule", other.name) for other in using]
        deleted = [format_html("Segment: {} (its {} memberships, events and refresh runs go with it)", s.name, s.member_count)
                   for s in segments]
        return deleted, {Segment._meta.verbose_name_plural: len(segments)}, set(), protected

    # ----------------------------------------------------------- actions

    @admin.action(description="Refresh now", permissions=["change"])
    def refresh_now(self, request: HttpRequest, queryset: QuerySet[Segment]) -> None:
        with transaction.atomic():
            runs = [
                segment_refresh_enqueue(segment=segment, trigger=RefreshRun.Trigger.MANUAL)
                for segment in segments_in_dependency_order(queryset)
            ]
        self.message_user(request, f"Refresh queued for {len(runs)} segment{'s' if len(runs) != 1 else ''}.", messages.SUCCESS)

    # ------------------------------------------------------- change form

    def render_change_form(
        self, request: HttpRequest, context: dict[str, Any], add: bool = False, change: bool = False,
        form_url: str = "", obj: Segment | None = None,
    ) -> TemplateResponse:
        form = context["adminform"].form
        info = self.opts.app_label, self.opts.model_name
        saved = obj if obj is not None and obj.pk else None
        context["rule_builder"] = {
            "registry": rule_builder_registry(field_registry()),
            "segment": saved.slug if saved else None,
            "errors": getattr(form, "rule_errors", []),
            "urls": {
                "preview": reverse("segment-preview"),
                "lookup": reverse("admin:%s_%s_lookup" % info),
                "explain": reverse("admin:%s_%s_explain" % info),
                "history": reverse("segment-history", args=[saved.slug]) if saved else None,
            },
        }
        if saved:
            context["segment_members"] = segment_member_list(segment=saved)[:MEMBERS_SHOWN]
            context["segment_members_csv_url"] = reverse("segment-members", args=[saved.slug]) + "?format=csv"
            context["members_shown"] = MEMBERS_SHOWN
        return super().render_change_form(request, context, add, change, form_url, obj)

    # ---------------------------------------------------- builder JSON

    def get_urls(self) -> list[Any]:
        info = self.opts.app_label, self.opts.model_name
        return [
            *insight_admin_urls(self.admin_site),
            path("lookup/", self.admin_site.admin_view(self.lookup_view), name="%s_%s_lookup" % info),
            path("explain/", self.admin_site.admin_view(self.explain_view), name="%s_%s_explain" % info),
            *super().get_urls(),
        ]

    def lookup_view(self, request: HttpRequest) -> JsonResponse:
        """GET ?kind=product|category|segment|contact&q=...: what the builder's pickers offer."""
        if not self.has_view_permission(request):
            return JsonResponse({"message": "This is for marketers.", "errors": []}, status=403)
        kind, query = request.GET.get("kind", ""), request.GET.get("q", "").strip()[:100]
        search = _LOOKUPS.get(kind)
        if search is None:
            return JsonResponse({"message": f"Unknown kind '{kind}'.", "errors": [{"path": "/kind", "message": "use one of "
                                 + ", ".join(_LOOKUPS)}]}, status=400)
        return JsonResponse({"results": search(query)})

    def explain_view(self, request: HttpRequest) -> JsonResponse:
        """POST {rule, contact, segment?}: the rule being edited, evaluated for one contact, node by node."""
        if not self.has_view_permission(request):
            return JsonResponse({"message": "This is for marketers.", "errors": []}, status=403)
        if request.method != "POST":
            return JsonResponse({"message": "Use POST.", "errors": []}, status=405)
        if len(request.body) > EXPLAIN_BODY_LIMIT:
            return JsonResponse({"message": "The request is too large.", "errors": []}, status=400)
        try:
            body = json.loads(request.body)
            contact_id = int(body["contact"])
            rule = body["rule"]
        except (ValueError, TypeError, KeyError):
            return JsonResponse({"message": "Send {\"rule\": ..., \"contact\": id}.", "errors": []}, status=400)
        contact = Contact.objects.select_related("company").filter(pk=contact_id).first()
        if contact is None:
            return JsonResponse({"message": f"There is no contact {contact_id}.", "errors": [{"path": "/contact", "message": "not found"}]},
                                status=404)
        try:
            tree = explain(rule=rule, contact=contact)
        except RuleValidationError as error:
            return JsonResponse({"valid": False, "errors": [e.as_dict() for e in error.errors], "tree": None})
        segment = Segment.objects.filter(slug=str(body.get("segment") or "")).first() if body.get("segment") else None
        is_member = segment.pk in contact_segment_ids(contact_id=contact.pk) if segment else None
        return JsonResponse({
            "valid": True, "errors": [], "tree": tree.as_dict(), "is_member": is_member,
            "contact": {"id": contact.pk, "email": contact.email, "company": contact.company.name if contact.company else ""},
        })


def _product_lookup(query: str) -> list[dict[str, str]]:
    rows = Product.objects.filter(Q(sku__icontains=query) | Q(name__icontains=query)).order_by("sku")
    return [{"value": sku, "label": f"{sku} · {name}"} for sku, name in rows.values_list("sku", "name")[:LOOKUP_LIMIT]]


def _category_lookup(query: str) -> list[dict[str, str]]:
    rows = Category.objects.filter(Q(slug__icontains=query) | Q(name__icontains=query)).order_by("path", "slug")
    return [{"value": slug, "label": f"{name} ({slug})"} for slug, name in rows.values_list("slug", "name")[:LOOKUP_LIMIT]]


def _segment_lookup(query: str) -> list[dict[str, str]]:
    rows = Segment.objects.filter(Q(slug__icontains=query) | Q(name__icontains=query)).order_by("name")
    return [{"value": slug, "label": f"{name} ({slug})"} for slug, name in rows.values_list("slug", "name")[:LOOKUP_LIMIT]]


def _contact_lookup(query: str) -> list[dict[str, str]]:
    match = Q(email__icontains=query) | Q(last_name__icontains=query) | Q(company__name__icontains=query)
    if query.isdigit():
        match |= Q(pk=int(query))
    rows = Contact.objects.filter(match).order_by("email").values_list("pk", "email", "company__name")[:LOOKUP_LIMIT]
    return [{"value": str(pk), "label": f"{email} · {company}"} for pk, email, company in rows]


_LOOKUPS = {"product": _product_lookup, "category": _category_lookup, "segment": _segment_lookup, "contact": _contact_lookup}


@admin.register(RefreshRun)
class RefreshRunAdmin(ReadOnlyAdmin):
    list_display = ("started_at", "segment", "status", "trigger", "joined", "left", "member_count", "duration", "error_short")
    list_filter = ("status", "trigger", "started_at")
    list_select_related = ("segment",)
    search_fields = ("segment__name", "segment__slug", "error")
    date_hierarchy = "started_at"
    show_full_result_count = False

    @admin.display(description="Duration", ordering="duration_ms")
    def duration(self, obj: RefreshRun) -> str:
        if obj.duration_ms is None:
            return "–"
        return f"{obj.duration_ms} ms" if obj.duration_ms < 1000 else f"{obj.duration_ms / 1000:.1f} s"

    @admin.display(description="Error")
    def error_short(self, obj: RefreshRun) -> str:
        return obj.error if len(obj.error) <= 80 else f"{obj.error[:79]}…"


@admin.register(MembershipEvent)
class MembershipEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "segment", "contact", "kind", "refresh_run_id")
    list_filter = ("kind", "segment", "at")
    list_select_related = ("segment", "contact")
    search_fields = ("contact__email", "segment__name")
    date_hierarchy = "at"
    show_full_result_count = False

    @admin.display(description="Refresh run", ordering="refresh_run")
    def refresh_run_id(self, obj: MembershipEvent) -> int | None:
        return obj.refresh_run_id


@admin.register(SegmentMembership)
class SegmentMembershipAdmin(ReadOnlyAdmin):
    list_display = ("segment", "contact", "since")
    list_filter = ("segment",)
    list_select_related = ("segment", "contact")
    search_fields = ("contact__email", "segment__name")
    show_full_result_count = False


@admin.register(CompanyValue)
class CompanyValueAdmin(ReadOnlyAdmin):
    list_display = (
        "company", "rfm_recency", "rfm_frequency", "rfm_monetary", "rfm_segment", "revenue_12m", "percentile",
        "top_25_percent", "lifetime_revenue", "predicted_clv_12m", "computed_for",
    )
    list_filter = ("rfm_segment", "top_25_percent", "computed_for")
    list_select_related = ("company",)
    search_fields = ("company__name", "company__erp_id")
    ordering = ("-revenue_12m",)
    show_full_result_count = False

    @admin.display(description="Revenue percentile", ordering="revenue_rank")
    def percentile(self, obj: CompanyValue) -> str:
        value = obj.revenue_percentile
        return "–" if value is None else f"{value:.1f}"
