"""Personalization admin: content blocks with image upload, the menu as a tree, segment assortments.

The admin only adapts: the block form sanitises rich text through `personalization.services`,
menu saves and deletes rebuild the tree order through the service, the segment columns
are prefetched so that the lists cost the same number of queries for 5 or 500 rows.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from personalization.models import (
    CategoryRestriction,
    ContentBlock,
    MenuItem,
    ProductRestriction,
)
from personalization.services import content_block_delete, content_block_save, menu_tree_rebuild, rich_text_sanitise

PREVIEW_HELP = (
    "Opens the shop read-only, as a member of that segment, with a preview banner; "
    "the preview page also views the shop as a contact or an anonymous visitor."
)


def _segment_names(segments: Any) -> str:
    names = [segment.name for segment in segments.all()]  # prefetched
    return ", ".join(names) or "—"


class ContentBlockAdminForm(forms.ModelForm):
    class Meta:
        model = ContentBlock
        fields = "__all__"

    def clean_text(self) -> str:
        return rich_text_sanitise(self.cleaned_data.get("text") or "")


class MenuItemAdminForm(forms.ModelForm):
    class Meta:
        model = MenuItem
        fields = "__all__"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        has_include = bool(cleaned.get("include_segments"))
        is_segments = cleaned.get("visibility") == MenuItem.Visibility.SEGMENTS
        if has_include and not is_segments:
            self.add_error("include_segments", "Included segments need the visibility 'Members of the included segments'.")
        if is_segments and not has_include:
            self.add_error("include_segments", "Choose at least one segment for this visibility.")
        return cleaned


class ScheduleStateFilter(admin.SimpleListFilter):
    title = "schedule"
    parameter_name = "schedule"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("running", "Running now"), ("upcoming", "Upcoming"), ("ended", "Ended")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[ContentBlock]) -> QuerySet[ContentBlock]:
        now = timezone.now()
        if self.value() == "running":
            return queryset.exclude(starts_at__gt=now).exclude(ends_at__lte=now)
        if self.value() == "upcoming":
            return queryset.filter(starts_at__gt=now)
        if self.value() == "ended":
            return queryset.filter(ends_at__lte=now)
        return queryset


@admin.register(ContentBlock)
class ContentBlockAdmin(admin.ModelAdmin):
    form = ContentBlockAdminForm
    list_display = (
        "name", "placement", "kind", "priority", "schedule", "is_active", "is_fallback",
        "included_segments", "excluded_segments",
    )
    list_filter = ("placement", "kind", "is_active", "is_fallback", ScheduleStateFilter, "include_segments")
    list_editable = ("priority", "is_active")
    search_fields = ("name", "headline")
    filter_horizontal = ("include_segments", "exclude_segments")
    autocomplete_fields = ("category", "product", "products")
    readonly_fields = ("preview", "created_at", "updated_at")
    ordering = ("placement", "-priority", "-id")
    fieldsets = (
        (None, {"fields": ("name", "placement", "kind", "is_active", "preview")}),
        ("Content", {"fields": ("headline", "text", "image", "link_url", "products")}),
        (
            "Who sees it",
            {
                "fields": ("include_segments", "exclude_segments", "is_fallback"),
                "description": "No included segments: everyone, anonymous visitors too. Excluded segments always win.",
            },
        ),
        ("When and where", {"fields": ("starts_at", "ends_at", "priority", "category", "product")}),
        ("History", {"classes": ("collapse",), "fields": ("created_at", "updated_at")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[ContentBlock]:
        return super().get_queryset(request).prefetch_related("include_segments", "exclude_segments")

    # Saving and deleting go through the services, which record the audit trail. The block is
    # saved in save_related, together with its segments and products, so the trail sees both.
    def save_model(self, request: HttpRequest, obj: ContentBlock, form: Any, change: bool) -> None:
        pass

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        content_block_save(block=form.instance, user=request.user, save_related=form.save_m2m)
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request: HttpRequest, obj: ContentBlock) -> None:
        content_block_delete(block=obj, user=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ContentBlock]) -> None:
        for block in queryset:
            content_block_delete(block=block, user=request.user)

    @admin.display(description="schedule")
    def schedule(self, block: ContentBlock) -> str:
        def local(value: Any) -> str:
            return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "…"

        if not block.starts_at and not block.ends_at:
            return "always"
        return f"{local(block.starts_at)} – {local(block.ends_at)}"

    @admin.display(description="include (any of)")
    def included_segments(self, block: ContentBlock) -> str:
        return _segment_names(block.include_segments)

    @admin.display(description="exclude (none of)")
    def excluded_segments(self, block: ContentBlock) -> str:
        return _segment_names(block.exclude_segments)

    @admin.display(description="preview")
    def preview(self, block: ContentBlock) -> str:
        if not block.pk:
            return "Save the block to preview it."
        start = reverse("shop-preview")
        segments = list(block.include_segments.all())
        if not segments:
            return format_html(
                '<a href="{}" target="_blank" rel="noopener">View the shop as …</a> <span class="help">{}</span>',
                start, PREVIEW_HELP,
            )
        links = format_html_join(
            ", ", '<a href="{}?segment={}" target="_blank" rel="noopener">{}</a>',
            ((start, segment.pk, segment.name) for segment in segments),
        )
        return format_html('{} <span class="help">{}</span>', links, PREVIEW_HELP)


@admin.register(MenuItem)
class MenuItemAdmin(admin.ModelAdmin):
    form = MenuItemAdminForm
    list_display = ("indented_label", "position", "link", "visibility", "is_active", "included_segments")
    list_editable = ("position",)
    list_filter = ("visibility", "is_active")
    search_fields = ("label",)
    ordering = ("tree_order", "position", "id")
    filter_horizontal = ("include_segments", "exclude_segments")
    autocomplete_fields = ("category", "parent")
    fields = ("parent", "position", "label", "category", "url", "visibility", "include_segments", "exclude_segments", "is_active")

    def get_queryset(self, request: HttpRequest) -> QuerySet[MenuItem]:
        return super().get_queryset(request).select_related("category").prefetch_related("include_segments")

    @admin.display(description="label", ordering="tree_order")
    def indented_label(self, item: MenuItem) -> str:
        # Indented with spaces, not a style attribute (the CSP allows no inline styles).
        return format_html("{}{}{}", "\u2003\u2002" * item.depth, "↳ " if item.depth else "", item.label)

    @admin.display(description="link")
    def link(self, item: MenuItem) -> str:
        return f"category: {item.category}" if item.category_id else item.url

    @admin.display(description="segments (any of)")
    def included_segments(self, item: MenuItem) -> str:
        return _segment_names(item.include_segments)

    def save_model(self, request: HttpRequest, obj: MenuItem, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        menu_tree_rebuild()

    def delete_model(self, request: HttpRequest, obj: MenuItem) -> None:
        super().delete_model(request, obj)
        menu_tree_rebuild()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[MenuItem]) -> None:
        super().delete_queryset(request, queryset)
        menu_tree_rebuild()

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        # list_editable saves positions without save_model for each row's siblings; keep the order right.
        response = super().changelist_view(request, extra_context)
        if request.method == "POST":
            menu_tree_rebuild()
        return response


class RestrictionAdmin(admin.ModelAdmin):
    filter_horizontal = ("include_segments", "exclude_segments")
    list_display_segments = ("included_segments", "excluded_segments", "note", "updated_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).prefetch_related("include_segments", "exclude_segments")

    @admin.display(description="only for (any of)")
    def included_segments(self, restriction: Any) -> str:
        return _segment_names(restriction.include_segments)

    @admin.display(description="never for (none of)")
    def excluded_segments(self, restriction: Any) -> str:
        return _segment_names(restriction.exclude_segments)


@admin.register(CategoryRestriction)
class CategoryRestrictionAdmin(RestrictionAdmin):
    list_display = ("category", *RestrictionAdmin.list_display_segments)
    search_fields = ("category__name", "category__slug")
    autocomplete_fields = ("category",)
    fields = ("category", "include_segments", "exclude_segments", "note")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).select_related("category")


@admin.register(ProductRestriction)
class ProductRestrictionAdmin(RestrictionAdmin):
    list_display = ("product", *RestrictionAdmin.list_display_segments)
    search_fields = ("product__name", "product__sku")
    autocomplete_fields = ("product",)
    fields = ("product", "include_segments", "exclude_segments", "note")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).select_related("product")
