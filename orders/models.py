"""Carts and orders. Orders come from the ERP import and from the shop (channel web)."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from b2bshop.weekdays import format_weekdays, validate_weekdays
from orders.delivery_calendar import DEFAULT_CUT_OFF, DEFAULT_HORIZON_DAYS, DEFAULT_WORKING_WEEKDAYS


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
    # The composite indexes below lead with these columns; single-column indexes would only slow imports.
    company = models.ForeignKey("accounts.Company", on_delete=models.PROTECT, related_name="orders", db_index=False)
    contact = models.ForeignKey(
        "accounts.Contact", on_delete=models.SET_NULL, null=True, blank=True, related_name="orders", db_index=False
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
    # Covered by the (order, line_no) unique constraint and the (product, order) index.
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines", db_index=False)
    line_no = models.PositiveIntegerField()
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="order_lines", db_index=False)
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


# --- The shop calendar (orders/delivery_calendar.py applies it; selectors.shop_calendar_rules reads it) ---


class ShopCalendar(models.Model):
    """The shop's delivery settings: a single row. Until it exists the defaults apply (Mon-Fri, 28 days)."""

    singleton = models.PositiveSmallIntegerField(default=1, unique=True, editable=False)
    working_weekdays = models.CharField(
        max_length=27,
        default=format_weekdays(DEFAULT_WORKING_WEEKDAYS),
        validators=[validate_weekdays],
        help_text="Weekdays on which orders depart and that count as notice, e.g. 'mon,tue,wed,thu,fri'.",
    )
    horizon_days = models.PositiveSmallIntegerField(
        default=DEFAULT_HORIZON_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(366)],
        help_text="How many days ahead buyers can choose a departure (today + this many days).",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "shop calendar"
        verbose_name_plural = "shop calendar"
        constraints = [
            models.CheckConstraint(condition=Q(singleton=1), name="shop_calendar_single_row"),
            models.CheckConstraint(condition=~Q(working_weekdays=""), name="shop_calendar_has_working_weekdays"),
            models.CheckConstraint(
                condition=Q(horizon_days__gte=1) & Q(horizon_days__lte=366), name="shop_calendar_horizon_range"
            ),
        ]

    def __str__(self) -> str:
        return "Shop calendar"


class ClosedDay(models.Model):
    """A day without departures or deliveries: one date, or with `recurs_yearly` that day and month every year."""

    date = models.DateField(help_text="For a yearly day the year is ignored (25 Dec, 1 Jan, 27 Apr).")
    recurs_yearly = models.BooleanField(default=False, help_text="Closed on this day and month every year.")
    label = models.CharField(max_length=120, blank=True, help_text="E.g. Christmas, King's Day.")

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["date"], name="closed_day_unique_date")]

    def __str__(self) -> str:
        when = self.date.strftime("%d %b") + " (yearly)" if self.recurs_yearly else self.date.isoformat()
        return f"{when} {self.label}".strip()


class CutOff(models.Model):
    """The order cut-off of one departure weekday; weekdays without a row close at 14:00."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, unique=True)
    time = models.TimeField(
        default=DEFAULT_CUT_OFF,
        help_text="Local shop time on the departure day; from this time on that day's departure is closed.",
    )

    class Meta:
        verbose_name = "cut-off"
        ordering = ["weekday"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__gte=0) & Q(weekday__lte=6), name="cut_off_weekday_range"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.time:%H:%M}"


# --- Order lists (favourites): docs/self-service.md ---------------------------------------------------------


class OrderList(models.Model):
    """A named list of products with default quantities, shared by all contacts of one company.

    Each company has at most one default list ("Favourites"); the order list services create it on first use.
    """

    DEFAULT_NAME = "Favourites"

    company = models.ForeignKey("accounts.Company", on_delete=models.CASCADE, related_name="order_lists")
    name = models.CharField(max_length=80)
    is_default = models.BooleanField(default=False, help_text="The company's Favourites list; cannot be renamed or deleted.")
    created_by = models.ForeignKey(
        "accounts.Contact", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_default", "name", "pk"]
        constraints = [
            models.UniqueConstraint(Lower("name"), "company", name="order_list_unique_name_per_company"),
            models.UniqueConstraint(
                fields=["company"], condition=Q(is_default=True), name="order_list_one_default_per_company"
            ),
            models.CheckConstraint(condition=~Q(name=""), name="order_list_name_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.company_id})"


class OrderListItem(models.Model):
    """A product on an order list with the quantity to order by default."""

    order_list = models.ForeignKey(OrderList, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="order_list_items")
    quantity = models.PositiveIntegerField()
    added_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order_list", "product"], name="order_list_item_one_per_product"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="order_list_item_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product_id}"


# --- What an order costs to handle, per channel (the marketer insight's cost per order) ---


class ChannelCost(models.Model):
    """The handling cost of one order placed through a channel (web, phone, email, ...), kept in the admin."""

    channel = models.CharField(max_length=16, choices=Order.Channel.choices, unique=True)
    cost_per_order = models.DecimalField(
        max_digits=10, decimal_places=2, validators=[MinValueValidator(0)],
        help_text="EUR per order: order entry, checks and handling (excl. shipping).",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "channel cost"
        ordering = ["channel"]
        constraints = [
            models.CheckConstraint(condition=Q(cost_per_order__gte=0), name="channel_cost_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()}: {self.cost_per_order} per order"


from orders.offer_models import *  # noqa: E402,F401,F403  (segment offers: promotions, shipping, payment; docs/offers.md)
