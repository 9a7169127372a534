from datetime import date
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from accounts import login_limits_admin  # noqa: F401  (registers view-only pages for django-axes' records)
from accounts.models import Company, CompanyAttributeDefinition, CompanyAttributeValue, Contact, User
from integrations.admin import ErpManagedAdmin
from integrations.models import ImportRun

COMPANY_ERP_FIELDS = (
    "erp_id", "name", "country", "region", "city", "sector", "employee_count", "customer_group",
    "price_group", "credit_limit", "payment_terms_days", "customer_since", "blocked", "account_type",
    "departure_weekdays", "transit_days",
)
CONTACT_ERP_FIELDS = (
    "email", "company", "first_name", "last_name", "role", "language", "marketing_consent", "job_title",
    "is_active",
)
_FROM_THE_ERP = "From the ERP; read-only here."


def _company_filter_link(viewname: str, *, company: Company, label: str) -> str:
    """A link to a changelist filtered to one company's rows."""
    return format_html('<a href="{}?company__id__exact={}">{}</a>', reverse(viewname), company.pk, label)


class CompanyAttributeValueInline(admin.TabularInline):
    model = CompanyAttributeValue
    verbose_name = "custom attribute"
    verbose_name_plural = "Custom attributes (from the ERP attr.* columns)"
    fields = ("definition", "raw_value", "typed_value")
    readonly_fields = ("definition", "raw_value", "typed_value")
    extra = 0
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[CompanyAttributeValue]:
        return super().get_queryset(request).select_related("definition").order_by("definition__name")

    def has_add_permission(self, request: HttpRequest, obj: Company | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Company | None = None) -> bool:
        return False

    @admin.display(description="Typed value")
    def typed_value(self, obj: CompanyAttributeValue) -> object:
        value_type = CompanyAttributeDefinition.ValueType
        value = {
            value_type.NUMBER: obj.number_value,
            value_type.DATE: obj.date_value,
            value_type.BOOLEAN: obj.boolean_value,
        }.get(obj.definition.value_type, obj.text_value)
        return "–" if value is None else value


@admin.register(Company)
class CompanyAdmin(ErpManagedAdmin):
    erp_entity = ImportRun.Entity.COMPANIES
    erp_fields = COMPANY_ERP_FIELDS
    erp_note = (
        "Companies come from the ERP companies import and are read-only here: change them in the ERP. "
        "Custom attribute types are declared under Company attribute definitions."
    )
    list_display = (
        "name", "erp_id", "city", "country", "account_type", "customer_group", "price_group", "blocked",
    )
    list_filter = ("account_type", "blocked", "country", "customer_group", "price_group")
    search_fields = ("name", "erp_id", "city")
    inlines = (CompanyAttributeValueInline,)
    show_full_result_count = False
    fieldsets = (
        (
            "Company",
            {"fields": ("erp_id", "name", "account_type", "blocked", "customer_since"), "description": _FROM_THE_ERP},
        ),
        ("Location", {"fields": ("country", "region", "city")}),
        (
            "Commercial",
            {
                "fields": (
                    "sector", "employee_count", "customer_group", "price_group", "credit_limit", "payment_terms_days",
                ),
            },
        ),
        ("Delivery", {"fields": ("departure_weekdays", "transit_days")}),
        ("In this shop", {"fields": ("contacts_link", "orders_link", "prices_link", "created_at", "updated_at")}),
    )
    readonly_fields = ("contacts_link", "orders_link", "prices_link", "created_at", "updated_at")

    def has_change_permission(self, request: HttpRequest, obj: Company | None = None) -> bool:
        return False

    @admin.display(description="Contacts")
    def contacts_link(self, obj: Company) -> str:
        return _company_filter_link("admin:accounts_contact_changelist", company=obj, label="Contacts of this company")

    @admin.display(description="Orders")
    def orders_link(self, obj: Company) -> str:
        return _company_filter_link("admin:orders_order_changelist", company=obj, label="Orders of this company")

    @admin.display(description="Prices")
    def prices_link(self, obj: Company) -> str:
        return _company_filter_link("admin:catalog_price_changelist", company=obj, label="Company-specific prices")


@admin.register(CompanyAttributeDefinition)
class CompanyAttributeDefinitionAdmin(admin.ModelAdmin):
    """Marketers declare how an ERP `attr.<name>` column is typed (text unless declared)."""

    list_display = ("name", "label", "value_type", "help_text")
    list_filter = ("value_type",)
    search_fields = ("name", "label")
    fieldsets = (
        (
            None,
            {
                "fields": ("name", "label", "value_type", "help_text"),
                "description": (
                    "The ERP sends custom attributes as attr.&lt;name&gt; columns of the companies file. "
                    "The type decides how their text is read, e.g. for segment rules on numbers or dates."
                ),
            },
        ),
    )

    def get_readonly_fields(
        self, request: HttpRequest, obj: CompanyAttributeDefinition | None = None
    ) -> tuple[str, ...]:
        # The name links the definition to the ERP column; renaming would orphan the values.
        return ("name",) if obj is not None else ()


class StaffUserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "first_name", "last_name", "is_staff")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("A user with this email address already exists.")
        return email


class StaffUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("A user with this email address already exists.")
        return email


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    """Logins without a company: marketers and administrators. Contacts have their own page."""

    form = StaffUserChangeForm
    add_form = StaffUserCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "first_name", "last_name", "is_staff", "usable_password", "password1", "password2"),
            },
        ),
    )
    list_display = ("email", "first_name", "last_name", "is_staff", "is_superuser", "is_active", "last_login")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")
    search_fields = ("email", "first_name", "last_name")
    ordering = ("email",)
    readonly_fields = ("last_login", "date_joined")

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return super().get_queryset(request).filter(company__isnull=True)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return {"is_staff": True, **super().get_changeform_initial_data(request)}


@admin.register(Contact)
class ContactAdmin(ErpManagedAdmin):
    erp_entity = ImportRun.Entity.CONTACTS
    erp_fields = CONTACT_ERP_FIELDS
    erp_note = (
        "Contacts come from the ERP contacts import. Their ERP fields are read-only here: change them in the ERP. "
        "The shop role is managed in the shop."
    )
    list_display = (
        "email", "contact_name", "company_name", "role", "shop_role", "language", "consent", "last_login_date",
        "active",
    )
    list_filter = (
        "role", "shop_role", "language", "marketing_consent", "is_active", "last_login",
        "company__account_type", "company__country",
    )
    search_fields = ("email", "first_name", "last_name", "company__name", "company__erp_id")
    list_select_related = ("company",)
    autocomplete_fields = ("company",)
    show_full_result_count = False
    fieldsets = (
        (
            "Contact",
            {
                "fields": (
                    "email", "first_name", "last_name", "job_title", "company", "role", "language",
                    "marketing_consent", "is_active",
                ),
                "description": _FROM_THE_ERP,
            },
        ),
        ("Shop", {"fields": ("shop_role", "has_password", "last_login", "date_joined")}),
    )
    readonly_fields = ("has_password", "last_login", "date_joined")

    def view_on_site(self, obj: Contact) -> str:
        """The change page's "View on site" button: the shop's read-only preview as this contact."""
        return f"{reverse('shop-preview')}?contact={obj.pk}"

    @admin.display(description="Name", ordering="last_name")
    def contact_name(self, obj: Contact) -> str:
        return obj.full_name

    @admin.display(description="Company", ordering="company__name")
    def company_name(self, obj: Contact) -> str:
        return obj.company.name if obj.company else "–"

    @admin.display(description="Consent", boolean=True, ordering="marketing_consent")
    def consent(self, obj: Contact) -> bool:
        return obj.marketing_consent

    @admin.display(description="Active", boolean=True, ordering="is_active")
    def active(self, obj: Contact) -> bool:
        return obj.is_active

    @admin.display(description="Last login", ordering="last_login", empty_value="never")
    def last_login_date(self, obj: Contact) -> date | None:
        return timezone.localdate(obj.last_login) if obj.last_login else None

    @admin.display(description="Has a password", boolean=True)
    def has_password(self, obj: Contact) -> bool:
        return obj.has_usable_password()

