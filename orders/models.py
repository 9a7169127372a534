"""Carts and orders. Orders come from the ERP import and from the shop (channel web)."""

from django.db import models
from django.db.models import Q


class Cart(models.Model):
    """A contact's cart. At most one open cart per contact; it keeps the chosen delivery moment."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ORDERED = "ordered", "Ordered"
        ABANDONED = "abandoned", "Abandoned"

    contact = models.ForeignKey("accounts.Contact", on_delete=models.CASCADE, related_name="carts")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    departure_date = models.DateField(null=True, blank=True)
    delivery_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contact"], condition=Q(status="open"), name="cart_one_open_per_contact"),
        ]
        indexes = [models.Index(fields=["status", "contact"])]

    def __str__(self) -> str:
        return f"Cart {self.pk} of {self.contact_id} ({self.status})"


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="cart_lines")
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(
        max_digits=12, decimal_places=2, help_text="The contact's resolved price when the line was added or changed."
    )
    added_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cart", "product"], name="cart_line_one_per_product"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="cart_line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="cart_line_unit_price_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product_id}"


class Order(models.Model):
    class Channel(models.TextChoices):
        WEB = "web", "Web shop"
        PHONE = "phone", "Phone"
        EMAIL = "email", "Email"
        SALES_REP = "sales_rep", "Sales rep"
        EDI = "edi", "EDI"
        FAX = "fax", "Fax"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        SHIPPED = "shipped", "Shipped"
        CANCELLED = "cancelled", "Cancelled"

    order_number = models.CharField(max_length=64, unique=True)
    company = models.ForeignKey("accounts.Company", on_delete=models.PROTECT, related_name="orders")
    contact = models.ForeignKey(
        "accounts.Contact", on_delete=models.SET_NULL, null=True, blank=True, related_name="orders"
    )
    ordered_at = models.DateTimeField()
    channel = models.CharField(max_length=16, choices=Channel.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SHIPPED)
    departure_date = models.DateField(null=True, blank=True)
    delivery_date = models.DateField(null=True, blank=True)
    total_amount = models.DecimalField(
        max_digits=14, decimal_places=2, default=0, help_text="Sum of line quantity x unit price, excl. VAT."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-ordered_at"]
        indexes = [
            models.Index(fields=["company", "ordered_at"]),
            models.Index(fields=["ordered_at"]),
            models.Index(fields=["contact", "ordered_at"]),
        ]

    def __str__(self) -> str:
        return self.order_number


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    line_no = models.PositiveIntegerField()
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="order_lines")
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["order", "line_no"]
        constraints = [
            models.UniqueConstraint(fields=["order", "line_no"], name="order_line_unique_line_no"),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="order_line_quantity_non_negative"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="order_line_unit_price_non_negative"),
        ]
        indexes = [models.Index(fields=["product", "order"])]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.line_no}"
