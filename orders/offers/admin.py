"""Marketer admin for segment offers: promotions (with tiers and the insight page), shipping rules (with bands),
payment method rules, product shipping weights, and the redemptions (read-only).

The forms run the same checks as the API (`orders.offers.services`); the lists prefetch their segment
columns so that they cost the same number of queries for 5 or 500 rows.
"""

from __future__ import annotations

import csv
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from b2bshop.read_only_admin import ReadOnlyModelAdmin
from orders.offer_models import (
    PaymentMethodRule,
    ProductShippingWeight,
    Promotion,
    PromotionRedemption,
    PromotionTier,
    ShippingBand,
    ShippingRule,
)
from orders.offers.promotions import coupon_code_normalise
from orders.offers.selectors import promotion_insight_rows
from orders.offers.services import (
    promotion_terms_check,
    shipping_countries_normalise,
    shipping_rule_check,
)


def _segment_names(segments: Any) -> str:
    return ", ".join(segment.name for segment in segments.all()) or "—"  # prefetched


def _local(value: Any) -> str:
    return timezone.localtime(value).strftime("%d %b %Y %H:%M") if value else "…"


class PromotionTierFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        kept = [form for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")]
        if self.instance.kind == Promotion.Kind.TIERED_PRICE and not kept:
            raise forms.ValidationError("A tiered quantity price needs at least one tier.")


class PromotionTierInline(admin.TabularInline):
    model = PromotionTier
    formset = PromotionTierFormSet
    extra = 1
    verbose_name_plural = "tiers (for a tiered quantity price: from this quantity on one line, this unit price)"


class PromotionAdminForm(forms.ModelForm):
    class Meta:
        model = Promotion
        fields = "__all__"

    def clean_coupon_code(self) -> str:
        return coupon_code_normalise(self.cleaned_data.get("coupon_code") or "")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        kind, scope = cleaned.get("kind"), cleaned.get("scope")
        errors = promotion_terms_check(
            kind=kind or "", scope=scope or "", percentage=cleaned.get("percentage"), amount=cleaned.get("amount"),
            free_product=cleaned.get("free_product"), buy_quantity=cleaned.get("buy_quantity"),
            free_quantity=cleaned.get("free_quantity"), product_count=len(cleaned.get("products") or []),
            category_count=len(cleaned.get("categories") or []), tier_count=1,  # the tier inline checks itself
            starts_at=cleaned.get("starts_at"), ends_at=cleaned.get("ends_at"),
        )
        for error in errors:
            field = error.path.strip("/")
            self.add_error(field if field in self.fields else None, error.message)
        return cleaned


@admin.register(Promotion)
class PromotionAdmin(admin.ModelAdmin):
    form = PromotionAdminForm
    change_list_template = "admin/orders/promotion/change_list.html"
    list_display = (
        "name", "kind", "scope", "included_segments", "excluded_segments", "schedule", "is_exclusive", "priority",
        "coupon_code", "usage_limit_per_company", "uses", "is_active",
    )
    list_editable = ("priority", "is_active")
    list_filter = ("is_active", "kind", "scope", "is_exclusive", "include_segments")
    search_fields = ("name", "coupon_code", "description")
    filter_horizontal = ("include_segments", "exclude_segments")
    autocomplete_fields = ("products", "categories", "free_product")
    inlines = (PromotionTierInline,)
    fieldsets = (
        ("What", {
            "fields": ("name", "description", "is_active", "kind", "percentage", "amount", "threshold",
                       "free_product", "buy_quantity", "free_quantity"),
            "description": "Percentage off and fixed amount use the fields of the same name; the threshold applies to "
            "every kind (the value of the lines in scope, at the buyer's prices, before discounts). A tiered price "
            "uses the tiers below; a free product the last three fields.",
        }),
        ("On which lines", {"fields": ("scope", "categories", "products")}),
        ("Who", {
            "fields": ("include_segments", "exclude_segments", "coupon_code", "usage_limit_per_company"),
            "description": "No included segment: every logged-in buyer and every visitor. Excluded segments always win. "
            "With a code the buyer must also enter it; a code for another segment is answered “not valid for your "
            "account”.",
        }),
        ("When and how it combines", {
            "fields": ("starts_at", "ends_at", "is_exclusive", "priority"),
            "description": "Times are shop time (Europe/Amsterdam); the end is exclusive. Promotions are tried by "
            "priority: an exclusive one applies only if nothing applied before it, and then alone.",
        }),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Promotion]:
        return (
            super().get_queryset(request)
            .prefetch_related("include_segments", "exclude_segments")
            .annotate(use_count=Count("redemptions"))
        )

    @admin.display(description="Included segments")
    def included_segments(self, promotion: Promotion) -> str:
        return _segment_names(promotion.include_segments)

    @admin.display(description="Excluded segments")
    def excluded_segments(self, promotion: Promotion) -> str:
        return _segment_names(promotion.exclude_segments)

    @admin.display(description="Runs (shop time)")
    def schedule(self, promotion: Promotion) -> str:
        return f"{_local(promotion.starts_at)} – {_local(promotion.ends_at)}"

    @admin.display(description="Uses", ordering="use_count")
    def uses(self, promotion: Promotion) -> int:
        return promotion.use_count

    def get_urls(self) -> list[Any]:
        insight = self.admin_site.admin_view(self.insight_view)
        return [path("insight/", insight, name="orders_promotion_insight"), *super().get_urls()]

    def insight_view(self, request: HttpRequest) -> HttpResponse:
        """Per promotion and per included segment: orders, revenue and discount given; `?format=csv` downloads it."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        rows = promotion_insight_rows()
        if request.GET.get("format") == "csv":
            response = HttpResponse(content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = 'attachment; filename="promotion-insight.csv"'
            writer = csv.writer(response)
            writer.writerow(["promotion_id", "promotion", "segment", "orders", "revenue_eur", "discount_eur"])
            for row in rows:
                writer.writerow([row.promotion_id, row.promotion, row.segment, row.orders, row.revenue, row.discount])
            return response
        context = {
            **self.admin_site.each_context(request),
            "title": "Promotion insight",
            "opts": self.model._meta,
            "rows": rows,
            "csv_url": reverse("admin:orders_promotion_insight") + "?format=csv",
        }
        return TemplateResponse(request, "admin/orders/promotion/insight.html", context)


class ShippingBandInline(admin.TabularInline):
    model = ShippingBand
    extra = 1
    verbose_name_plural = "bands (for weight or value tables: from this kg / EUR on, this cost)"


class ShippingRuleAdminForm(forms.ModelForm):
    class Meta:
        model = ShippingRule
        fields = "__all__"

    def clean_countries(self) -> str:
        countries = self.cleaned_data.get("countries") or ""
        for error in shipping_rule_check(kind=ShippingRule.Kind.PER_ORDER, countries=countries, bands=()):
            raise forms.ValidationError(error.message)
        return shipping_countries_normalise(countries)


class ShippingBandFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        kept = [form for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")]
        if self.instance.kind != ShippingRule.Kind.PER_ORDER and not kept:
            raise forms.ValidationError("A weight or value table needs at least one band (start it at 0).")


ShippingBandInline.formset = ShippingBandFormSet


@admin.register(ShippingRule)
class ShippingRuleAdmin(admin.ModelAdmin):
    form = ShippingRuleAdminForm
    list_display = (
        "name", "countries", "kind", "cost", "free_above", "included_segments", "excluded_segments", "is_overriding",
        "priority", "is_active",
    )
    list_editable = ("priority", "is_active")
    list_filter = ("is_active", "kind", "is_overriding", "include_segments")
    search_fields = ("name", "countries")
    filter_horizontal = ("include_segments", "exclude_segments")
    inlines = (ShippingBandInline,)
    fieldsets = (
        (None, {
            "fields": ("name", "is_active", "countries", "kind", "cost", "free_above"),
            "description": "A fixed cost per order uses “cost”; weight and value tables use the bands below. "
            "Free shipping from “free above” (goods value after promotions).",
        }),
        ("Who", {"fields": ("include_segments", "exclude_segments")}),
        ("Which rule wins", {
            "fields": ("is_overriding", "priority"),
            "description": "Of all rules that apply to a buyer the cheapest wins, unless one is overriding: then the "
            "overriding rule with the highest priority wins.",
        }),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[ShippingRule]:
        return super().get_queryset(request).prefetch_related("include_segments", "exclude_segments")

    @admin.display(description="Included segments")
    def included_segments(self, rule: ShippingRule) -> str:
        return _segment_names(rule.include_segments)

    @admin.display(description="Excluded segments")
    def excluded_segments(self, rule: ShippingRule) -> str:
        return _segment_names(rule.exclude_segments)


@admin.register(PaymentMethodRule)
class PaymentMethodRuleAdmin(admin.ModelAdmin):
    list_display = ("method", "note", "included_segments", "excluded_segments", "is_active")
    list_editable = ("is_active",)
    list_filter = ("method", "is_active")
    filter_horizontal = ("include_segments", "exclude_segments")
    fieldsets = (
        (None, {
            "fields": ("method", "note", "is_active", "include_segments", "exclude_segments"),
            "description": "A method is offered when one active rule for it holds for the buyer. Invoice and direct "
            "debit are never offered to blocked companies. Without any method, buyers can pay in advance.",
        }),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[PaymentMethodRule]:
        return super().get_queryset(request).prefetch_related("include_segments", "exclude_segments")

    @admin.display(description="Included segments")
    def included_segments(self, rule: PaymentMethodRule) -> str:
        return _segment_names(rule.include_segments)

    @admin.display(description="Excluded segments")
    def excluded_segments(self, rule: PaymentMethodRule) -> str:
        return _segment_names(rule.exclude_segments)


@admin.register(ProductShippingWeight)
class ProductShippingWeightAdmin(admin.ModelAdmin):
    list_display = ("product", "weight_kg")
    search_fields = ("product__sku", "product__name")
    autocomplete_fields = ("product",)
    list_select_related = ("product",)


@admin.register(PromotionRedemption)
class PromotionRedemptionAdmin(ReadOnlyModelAdmin):
    """Which orders used which promotion; written only by order placement."""

    list_display = ("promotion", "company", "order_link", "use_number", "discount_amount", "redeemed_at")
    list_filter = ("promotion",)
    search_fields = ("promotion__name", "company__name", "company__erp_id", "order__order_number")
    list_select_related = ("promotion", "company", "order")
    show_full_result_count = False

    @admin.display(description="Order", ordering="order__order_number")
    def order_link(self, redemption: PromotionRedemption) -> str:
        url = reverse("admin:orders_order_change", args=[redemption.order_id])
        return format_html('<a href="{}">{}</a>', url, redemption.order.order_number)
