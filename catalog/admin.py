from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html

from b2bshop.unchanged_admin_saves import UnchangedSaveWritesNothingMixin
from catalog.models import Category, Price, Product
from integrations.admin import ErpManagedAdmin
from integrations.models import ImportRun

CATEGORY_ERP_FIELDS = ("slug", "name", "parent")
PRODUCT_ERP_FIELDS = (
    "sku", "name", "category", "list_price", "unit", "available_from", "available_until", "available_weekdays",
    "lead_time_days", "min_order_quantity", "is_active",
)
PRICE_ERP_FIELDS = ("company", "price_group", "product", "price", "valid_from", "valid_until")
_FROM_THE_ERP = "From the ERP; read-only here."


class DateWindowFilter(admin.SimpleListFilter):
    """Rows by where today (in the shop's time zone) falls in their from/until window."""

    from_field: str
    until_field: str

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("current", "Current"), ("upcoming", "Starts later"), ("ended", "Ended")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        today = timezone.localdate()
        started = Q(**{f"{self.from_field}__isnull": True}) | Q(**{f"{self.from_field}__lte": today})
        not_ended = Q(**{f"{self.until_field}__isnull": True}) | Q(**{f"{self.until_field}__gte": today})
        if self.value() == "current":
            return queryset.filter(started & not_ended)
        if self.value() == "upcoming":
            return queryset.filter(**{f"{self.from_field}__gt": today})
        if self.value() == "ended":
            return queryset.filter(**{f"{self.until_field}__lt": today})
        return queryset


class ProductAvailabilityFilter(DateWindowFilter):
    title = "availability window"
    parameter_name = "availability"
    from_field = "available_from"
    until_field = "available_until"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("current", "Available today"), ("upcoming", "Starts later"), ("ended", "Ended")]


class PriceValidityFilter(DateWindowFilter):
    title = "validity"
    parameter_name = "validity"
    from_field = "valid_from"
    until_field = "valid_until"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("current", "Valid today"), ("upcoming", "Starts later"), ("ended", "Expired")]


class PriceKindFilter(admin.SimpleListFilter):
    title = "price for"
    parameter_name = "kind"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("company", "One company"), ("price_group", "A price group")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Price]) -> QuerySet[Price]:
        if self.value() == "company":
            return queryset.filter(company__isnull=False)
        if self.value() == "price_group":
            return queryset.filter(company__isnull=True)
        return queryset


def _date_window(start: object, end: object) -> str:
    def fmt(day: object) -> str:
        return date_format(day, "SHORT_DATE_FORMAT")

    if start and end:
        return f"{fmt(start)} – {fmt(end)}"
    if start:
        return f"from {fmt(start)}"
    if end:
        return f"until {fmt(end)}"
    return "always"


@admin.register(Category)
class CategoryAdmin(ErpManagedAdmin):
    erp_entity = ImportRun.Entity.CATEGORIES
    erp_fields = CATEGORY_ERP_FIELDS
    erp_note = (
        "Categories come from the ERP categories import. Slug, name and parent are read-only here: "
        "change them in the ERP. The position among siblings is managed in the shop."
    )
    list_display = ("tree_name", "slug", "depth", "position")
    list_filter = ("depth",)
    search_fields = ("name", "slug")
    ordering = ("path",)
    list_per_page = 200
    fieldsets = (
        ("Category", {"fields": ("name", "slug", "parent", "path", "depth"), "description": _FROM_THE_ERP}),
        ("Shop", {"fields": ("position", "products_link")}),
    )
    readonly_fields = ("path", "depth", "products_link")

    @admin.display(description="Name", ordering="path")
    def tree_name(self, obj: Category) -> str:
        # Indented with spaces, not a style attribute (the CSP allows no inline styles).
        return format_html("{}{}", "\u2003\u2002" * obj.depth, obj.name)

    @admin.display(description="Products")
    def products_link(self, obj: Category) -> str:
        url = reverse("admin:catalog_product_changelist")
        return format_html('<a href="{}?category__id__exact={}">Products in this category</a>', url, obj.pk)


@admin.register(Product)
class ProductAdmin(UnchangedSaveWritesNothingMixin, ErpManagedAdmin):
    """Only the shop content (description, image) is editable: a POST that changes neither writes nothing."""

    erp_entity = ImportRun.Entity.PRODUCTS
    erp_fields = PRODUCT_ERP_FIELDS
    erp_note = (
        "Products come from the ERP products import. Their ERP fields are read-only here: change them in the ERP. "
        "Description and image are managed in the shop."
    )
    list_display = (
        "sku", "name", "category", "list_price", "unit", "availability", "available_weekdays", "is_active",
    )
    list_filter = ("is_active", ProductAvailabilityFilter, "category", "unit")
    search_fields = ("sku", "name")
    list_select_related = ("category",)
    autocomplete_fields = ("category",)
    show_full_result_count = False
    fieldsets = (
        (
            "Product",
            {
                "fields": ("sku", "name", "category", "unit", "list_price", "min_order_quantity", "is_active"),
                "description": _FROM_THE_ERP,
            },
        ),
        (
            "Availability",
            {
                "fields": ("available_from", "available_until", "available_weekdays", "lead_time_days"),
                "description": _FROM_THE_ERP,
            },
        ),
        ("Shop content", {"fields": ("description", "image")}),
        ("Record", {"fields": ("prices_link", "created_at", "updated_at")}),
    )
    readonly_fields = ("prices_link", "created_at", "updated_at")

    @admin.display(description="Availability", ordering="available_from")
    def availability(self, obj: Product) -> str:
        return _date_window(obj.available_from, obj.available_until)

    @admin.display(description="Customer prices")
    def prices_link(self, obj: Product) -> str:
        url = reverse("admin:catalog_price_changelist")
        return format_html('<a href="{}?product__id__exact={}">Customer-specific prices</a>', url, obj.pk)


@admin.register(Price)
class PriceAdmin(ErpManagedAdmin):
    erp_entity = ImportRun.Entity.PRICES
    erp_fields = PRICE_ERP_FIELDS
    erp_note = (
        "Customer-specific prices come from the ERP prices import and are read-only here: change them in the ERP. "
        "A company price wins over its price group's price, which wins over the list price."
    )
    list_display = ("product", "price_for", "price", "list_price", "validity")
    list_filter = (PriceValidityFilter, PriceKindFilter, "price_group")
    search_fields = ("product__sku", "product__name", "company__name", "company__erp_id", "price_group")
    list_select_related = ("product", "company")
    autocomplete_fields = ("product", "company")
    show_full_result_count = False
    fields = ("product", "company", "price_group", "price", "valid_from", "valid_until")

    def has_change_permission(self, request: HttpRequest, obj: Price | None = None) -> bool:
        return False

    @admin.display(description="For", ordering="company__name")
    def price_for(self, obj: Price) -> str:
        if obj.company is not None:
            return str(obj.company)
        return f"Price group {obj.price_group}"

    @admin.display(description="List price", ordering="product__list_price")
    def list_price(self, obj: Price) -> object:
        return obj.product.list_price

    @admin.display(description="Valid", ordering="valid_from")
    def validity(self, obj: Price) -> str:
        return _date_window(obj.valid_from, obj.valid_until)
