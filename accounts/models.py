"""Companies (ERP customers), their custom attributes, and user accounts.

A `User` with a company is a contact: a buyer's web account. A `User` without a
company is staff (marketers, administrators). `Contact` is the proxy that the shop,
the segment engine and the integrations use.
"""

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone

from b2bshop.weekdays import validate_weekdays


class Company(models.Model):
    """An ERP customer (debtor). ERP-owned fields are written by the ERP import only."""

    class AccountType(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        PROSPECT = "prospect", "Prospect"
        DEALER = "dealer", "Dealer"

    erp_id = models.CharField("ERP id", max_length=64, unique=True)
    name = models.CharField(max_length=255)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2 code.")
    region = models.CharField(max_length=120, blank=True)
    city = models.CharField(max_length=120, blank=True)
    sector = models.CharField(max_length=120, blank=True, help_text="NACE section letter or free text.")
    employee_count = models.PositiveIntegerField(null=True, blank=True)
    customer_group = models.CharField(max_length=64, blank=True)
    price_group = models.CharField(max_length=64, blank=True, db_index=True)
    credit_limit = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    payment_terms_days = models.PositiveIntegerField(null=True, blank=True)
    customer_since = models.DateField(null=True, blank=True)
    blocked = models.BooleanField(default=False)
    account_type = models.CharField(max_length=16, choices=AccountType.choices, default=AccountType.CUSTOMER)
    departure_weekdays = models.CharField(
        max_length=27,
        blank=True,
        validators=[validate_weekdays],
        help_text="Weekdays on which orders depart, e.g. 'mon,wed,fri'. Empty: every shop working day.",
    )
    transit_days = models.PositiveSmallIntegerField(
        default=1, help_text="Calendar days from departure to delivery."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Folded copies of the text columns for case-insensitive rules (accounts/text.py).
    erp_id_ci = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    name_ci = models.CharField(max_length=255, blank=True, editable=False)
    region_ci = models.CharField(max_length=120, blank=True, editable=False)
    city_ci = models.CharField(max_length=120, blank=True, editable=False)
    sector_ci = models.CharField(max_length=120, blank=True, editable=False)
    customer_group_ci = models.CharField(max_length=64, blank=True, editable=False)
    price_group_ci = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name_plural = "companies"
        ordering = ["name"]
        indexes = [models.Index(fields=["country"]), models.Index(fields=["account_type"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(credit_limit__isnull=True) | Q(credit_limit__gte=0),
                name="company_credit_limit_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.erp_id})"


class CompanyAttributeDefinition(models.Model):
    """A custom ERP attribute (`attr.<name>` column), typed by the marketer in the admin."""

    class ValueType(models.TextChoices):
        TEXT = "text", "Text"
        NUMBER = "number", "Number"
        DATE = "date", "Date"
        BOOLEAN = "boolean", "Yes/no"

    name = models.SlugField(max_length=64, unique=True, help_text="As in the ERP column attr.<name>.")
    label = models.CharField(max_length=120, blank=True)
    value_type = models.CharField(max_length=16, choices=ValueType.choices, default=ValueType.TEXT)
    help_text = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.label or self.name


class CompanyAttributeValue(models.Model):
    """One company's value of a custom attribute: the ERP text plus its typed reading."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="attribute_values")
    definition = models.ForeignKey(CompanyAttributeDefinition, on_delete=models.CASCADE, related_name="values")
    raw_value = models.CharField(max_length=255, blank=True, help_text="As the ERP sent it.")
    text_value = models.CharField(
        max_length=255, null=True, blank=True, help_text="Folded text (accounts/text.py) for text attributes."
    )
    number_value = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    date_value = models.DateField(null=True, blank=True)
    boolean_value = models.BooleanField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "definition"], name="company_attribute_value_unique"),
        ]
        indexes = [models.Index(fields=["definition", "company"])]

    def __str__(self) -> str:
        return f"{self.definition.name}={self.raw_value}"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=email.strip().lower(), **extra_fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields) -> "User":
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields) -> "User":
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username: str | None) -> "User":
        return self.get(email=(username or "").strip().lower())


class User(AbstractBaseUser, PermissionsMixin):
    """A login by email. With a company it is a contact; without, a staff user."""

    class Role(models.TextChoices):
        """The contact's role in the buying unit (segment field contact.role)."""

        BUYER = "buyer", "Buyer"
        PURCHASING_MANAGER = "purchasing_manager", "Purchasing manager"
        DECISION_MAKER = "decision_maker", "Decision maker"
        FINANCE = "finance", "Finance"
        USER = "user", "User"
        ADMIN = "admin", "Admin"

    class ShopRole(models.TextChoices):
        """What the contact may do in the shop for their company."""

        BUYER = "buyer", "Buyer"
        APPROVER = "approver", "Approver"
        ADMIN = "admin", "Company admin"

    class Language(models.TextChoices):
        NL = "nl", "Nederlands"
        EN = "en", "English"
        DE = "de", "Deutsch"
        FR = "fr", "Français"

    email = models.EmailField(unique=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, null=True, blank=True, related_name="contacts",
        help_text="Set for buyer accounts (contacts); empty for staff.",
    )
    role = models.CharField(max_length=32, choices=Role.choices, blank=True)
    shop_role = models.CharField(max_length=16, choices=ShopRole.choices, default=ShopRole.BUYER)
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.NL)
    marketing_consent = models.BooleanField(default=False)
    job_title = models.CharField(max_length=150, blank=True)
    job_title_ci = models.CharField(max_length=150, blank=True, editable=False)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May log in to the admin.")
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]
        indexes = [models.Index(fields=["company", "email"]), models.Index(fields=["last_login"])]

    def __str__(self) -> str:
        return self.email

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_contact(self) -> bool:
        return self.company_id is not None


class ContactManager(UserManager):
    def get_queryset(self) -> models.QuerySet["Contact"]:
        return super().get_queryset().filter(company__isnull=False)


class Contact(User):
    """A buyer's web account: a user that belongs to exactly one company."""

    objects = ContactManager()

    class Meta:
        proxy = True
        ordering = ["email"]
