from datetime import date
from decimal import Decimal

from django.contrib import admin
from django.db.models import Count, DecimalField, ExpressionWrapper, F, QuerySet, Sum
from django.http import HttpRequest
from django.utils import timezone

from b2bshop.read_only_admin import ReadOnlyModelAdmin
from integrations.admin import ErpManagedAdmin
from integrations.models import ImportRun
from orders.models import Cart, CartLine, Order, OrderLine
from orders.offer_models import OrderAdjustment, OrderPricing

CENTS = Decimal("0.01")


class ViewOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description="Line total")
    def line_total(self, obj: OrderLine | CartLine) -> Decimal:
        return obj.quantity * obj.unit_price


class OrderLineInline(ViewOnlyInline):
    model = OrderLine
    fields = ("line_no", "product", "quantity", "unit_price", "line_total")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[OrderLine]:
        return super().get_queryset(request).select_related("product")


class OrderPricingInline(admin.StackedInline):
    """What a web order was charged and why (segment offers), stored at placement; read-only."""

    model = OrderPricing
    extra = 0
    can_delete = False
    verbose_name = verbose_name_plural = "Pricing (stored at placement)"
    fields = (
        ("subtotal_amount", "discount_amount", "goods_amount"), ("shipping_amount", "total_amount"),
        ("shipping_rule", "shipping_label"), ("payment_method", "coupon_code"), ("quote_version", "segment_ids"),
    )
    readonly_fields = (
        "subtotal_amount", "discount_amount", "goods_amount", "shipping_amount", "total_amount", "shipping_rule",
        "shipping_label", "payment_method", "coupon_code", "quote_version", "segment_ids",
    )

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[OrderPricing]:
        return super().get_queryset(request).select_related("shipping_rule")


class OrderAdjustmentInline(ViewOnlyInline):
    """Promotion savings per order line (negative) and the shipping cost (positive), as stored at placement."""

    model = OrderAdjustment
    verbose_name_plural = "Adjustments (stored at placement)"
    fields = ("kind", "line_no", "label", "promotion", "amount")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[OrderAdjustment]:
        return super().get_queryset(request).select_related("promotion")


class CartLineInline(ViewOnlyInline):
    model = CartLine
    fields = ("product", "quantity", "unit_price", "line_total", "added_at", "updated_at")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[CartLine]:
        return super().get_queryset(request).select_related("product").order_by("added_at", "pk")


@admin.register(Order)
class OrderAdmin(ErpManagedAdmin):
    erp_entity = ImportRun.Entity.ORDERS
    erp_note = (
        "Orders come from the ERP orders import and from this shop (channel web). "
        "They are read-only here: change imported orders in the ERP."
    )
    list_display = (
        "order_number", "company_name", "contact", "channel", "status", "ordered_on", "total_amount", "delivery_date",
    )
    list_filter = ("channel", "status")
    date_hierarchy = "ordered_at"
    search_fields = ("order_number", "company__name", "company__erp_id", "contact__email")
    list_select_related = ("company", "contact")
    autocomplete_fields = ("company", "contact")
    show_full_result_count = False
    fields = (
        "order_number", "company", "contact", "channel", "status", "ordered_at", "departure_date", "delivery_date",
        "total_amount", "created_at", "updated_at",
    )
    inlines = (OrderLineInline, OrderPricingInline, OrderAdjustmentInline)

    def has_change_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        return False

    @admin.display(description="Company", ordering="company__name")
    def company_name(self, obj: Order) -> str:
        return obj.company.name

    @admin.display(description="Ordered", ordering="ordered_at")
    def ordered_on(self, obj: Order) -> date:
        return timezone.localdate(obj.ordered_at)


@admin.register(Cart)
class CartAdmin(ReadOnlyModelAdmin):
    """Carts are the shop's own records, shown for insight; they change only through the shop."""

    list_display = (
        "id", "contact", "company", "status", "delivery_date", "line_count", "value", "updated_at",
    )
    list_filter = ("status", "updated_at")
    search_fields = ("contact__email", "contact__company__name", "contact__company__erp_id")
    list_select_related = ("contact__company",)
    autocomplete_fields = ("contact",)
    show_full_result_count = False
    fields = (
        "contact", "company", "status", "departure_date", "delivery_date", "line_count", "value", "created_at",
        "updated_at",
    )
    readonly_fields = ("company", "line_count", "value", "created_at", "updated_at")
    inlines = (CartLineInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Cart]:
        line_value = ExpressionWrapper(
            F("lines__quantity") * F("lines__unit_price"), output_field=DecimalField(max_digits=14, decimal_places=2)
        )
        return (
            super()
            .get_queryset(request)
            .annotate(line_count_total=Count("lines"), value_total=Sum(line_value))
        )

    @admin.display(description="Company", ordering="contact__company__name")
    def company(self, obj: Cart) -> str:
        return str(obj.contact.company)

    @admin.display(description="Lines", ordering="line_count_total")
    def line_count(self, obj: Cart) -> int:
        return obj.line_count_total

    @admin.display(description="Value", ordering="value_total")
    def value(self, obj: Cart) -> Decimal:
        return (obj.value_total or Decimal(0)).quantize(CENTS)
from orders import (
    admin_calendar,  # noqa: F401  (registers the shop calendar admin)
    admin_channel_costs,  # noqa: F401  (registers the channel cost admin)
    admin_order_lists,  # noqa: F401  (registers the order lists admin)
)
from orders.offers import admin as offers_admin  # noqa: F401  (registers the segment offers admin)
