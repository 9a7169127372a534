"""Categories, products and customer-specific prices."""

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce

from b2bshop.uploads import validate_image_upload
from b2bshop.weekdays import validate_weekdays

# A stand-in for "no start date" so that open-ended prices take part in uniqueness.
OPEN_START = "1900-01-01"


class Category(models.Model):
    """A node of the category tree. `path` ('/root/child/') is kept by the catalog services."""

    slug = models.SlugField(max_length=120, unique=True)
    name = models.CharField(max_length=255)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    path = models.CharField(
        max_length=1024, db_index=True, editable=False, default="",
        help_text="Slugs from the root down, '/'-separated; finds descendants with one prefix match.",
    )
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    position = models.PositiveIntegerField(default=0, help_text="Order among siblings.")

    class Meta:
        verbose_name_plural = "categories"
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(condition=~Q(parent=F("id")), name="category_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name


class CategoryAncestry(models.Model):
    """Closure of the category tree: one row per (category, ancestor-or-self), kept by the catalog services.

    "Bought in category X" then means one indexed join, whatever the depth of the tree.
    """

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="ancestry")
    ancestor = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="descendant_links")
    distance = models.PositiveSmallIntegerField(help_text="0 for the category itself.")

    class Meta:
        verbose_name_plural = "category ancestry"
        constraints = [
            models.UniqueConstraint(fields=["category", "ancestor"], name="category_ancestry_unique"),
        ]
        indexes = [models.Index(fields=["ancestor", "category"])]

    def __str__(self) -> str:
        return f"{self.ancestor_id} > {self.category_id}"


class Product(models.Model):
    class Unit(models.TextChoices):
        PIECE = "piece", "Piece"
        STEM = "stem", "Stem"
        BUNCH = "bunch", "Bunch"
        TRAY = "tray", "Tray"
        BOX = "box", "Box"
        TROLLEY = "trolley", "Trolley"
        POT = "pot", "Pot"

    sku = models.CharField("SKU", max_length=64, unique=True)
    name = models.CharField(max_length=255)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    list_price = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(0)])
    unit = models.CharField(max_length=32, default=Unit.PIECE)
    description = models.TextField(blank=True)
    image = models.ImageField(
        upload_to="products/", blank=True, validators=[validate_image_upload],
        help_text="JPEG, PNG, GIF or WebP, within the upload size limit.",
    )
    available_from = models.DateField(null=True, blank=True, help_text="First delivery date; empty: always.")
    available_until = models.DateField(null=True, blank=True, help_text="Last delivery date; empty: open end.")
    available_weekdays = models.CharField(
        max_length=27, blank=True, validators=[validate_weekdays],
        help_text="Delivery weekdays, e.g. 'tue,fri'. Empty: every day.",
    )
    lead_time_days = models.PositiveSmallIntegerField(default=0, help_text="Shop working days of notice before departure.")
    min_order_quantity = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["category", "is_active"])]
        constraints = [
            models.CheckConstraint(condition=Q(list_price__gte=0), name="product_list_price_non_negative"),
            models.CheckConstraint(condition=Q(min_order_quantity__gte=1), name="product_min_order_quantity_positive"),
            models.CheckConstraint(
                condition=Q(available_from__isnull=True)
                | Q(available_until__isnull=True)
                | Q(available_from__lte=F("available_until")),
                name="product_availability_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"


class Price(models.Model):
    """A customer-specific price for a company or a price group (exactly one of both)."""

    company = models.ForeignKey("accounts.Company", on_delete=models.CASCADE, null=True, blank=True, related_name="prices")
    price_group = models.CharField(max_length=64, blank=True)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="prices")
    price = models.DecimalField(max_digits=12, decimal_places=2)
    valid_from = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["product", "company"]),
            models.Index(fields=["product", "price_group"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(company__isnull=False) & Q(price_group=""))
                | (Q(company__isnull=True) & ~Q(price_group="")),
                name="price_company_xor_price_group",
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="price_non_negative"),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True) | Q(valid_until__isnull=True) | Q(valid_from__lte=F("valid_until")),
                name="price_validity_ordered",
            ),
            models.UniqueConstraint(
                F("company"), F("product"), Coalesce("valid_from", Value(OPEN_START, output_field=models.DateField())),
                condition=Q(company__isnull=False),
                name="price_company_product_from_unique",
            ),
            models.UniqueConstraint(
                F("price_group"), F("product"), Coalesce("valid_from", Value(OPEN_START, output_field=models.DateField())),
                condition=Q(company__isnull=True),
                name="price_group_product_from_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.sku}: {self.price}"
