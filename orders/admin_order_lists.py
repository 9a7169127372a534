"""Admin for the companies' order lists: read-only, for support staff answering a buyer's question.

Buyers keep their lists in the shop (docs/self-service.md); editing them here would bypass
the shop's rules (one Favourites list, limits), so the admin only shows them.
"""

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from b2bshop.read_only_admin import ReadOnlyModelAdmin
from orders.models import OrderList, OrderListItem


class OrderListItemInline(admin.TabularInline):
    model = OrderListItem
    fields = ("product", "quantity", "added_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: OrderList | None = None) -> bool:
        return False


@admin.register(OrderList)
class OrderListAdmin(ReadOnlyModelAdmin):
    list_display = ("name", "company", "is_default", "item_count", "created_by", "updated_at")
    list_filter = ("is_default",)
    search_fields = ("name", "company__name", "company__erp_id")
    list_select_related = ("company", "created_by")
    fields = ("company", "name", "is_default", "created_by", "created_at", "updated_at")
    readonly_fields = fields
    inlines = (OrderListItemInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[OrderList]:
        return super().get_queryset(request).annotate(item_total=Count("items"))

    @admin.display(description="Items", ordering="item_total")
    def item_count(self, obj: OrderList) -> int:
        return obj.item_total
