"""Segment offers: promotions, shipping rules and payment method rules, and what an order stored of them.

The rules are evaluated by `orders/offers/` (one quote service); these models hold data and
invariants only. Segment conditions use the shop-wide meaning (docs/personalization.md): no
include segments = everyone, include = member of at least one, exclude always wins.
Dates and times are entered in the shop's time zone (Europe/Amsterdam) and stored in UTC;
`ends_at` is exclusive. See docs/offers.md.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

__all__ = [
    "CREDIT_PAYMENT_METHODS", "OrderAdjustment", "OrderPricing", "PaymentMethod", "PaymentMethodRule",
    "ProductShippingWeight", "Promotion", "PromotionRedemption", "PromotionTier", "ShippingBand", "ShippingRule",
]

MONEY = {"max_digits": 12, "decimal_places": 2}

SEGMENTS_INCLUDE_HELP = "Only logged-in contacts in at least one of these segments. Empty: every buyer."
SEGMENTS_EXCLUDE_HELP = "Never for contacts in any of these segments (wins over the included segments)."


class Promotion(models.Model):
    """A discount for buyers in some segments: what, on which lines, when, how often, combined how."""

    class Kind(models.TextChoices):
        PERCENTAGE = "percentage", "Percentage off"
        FIXED_AMOUNT = "fixed_amount", "Fixed amount off (above a threshold)"
        TIERED_PRICE = "tiered_price", "Tiered quantity price"
        FREE_PRODUCT = "free_product", "Free product from a quantity"

    class Scope(models.TextChoices):
        ORDER = "order", "Whole order"
        CATEGORIES = "categories", "Products in categories"
        PRODUCTS = "products", "Specific products"

    name = models.CharField(max_length=120, help_text="Shown to buyers in the cart, e.g. “10% off tulips for champions”.")
    description = models.TextField(blank=True, help_text="Internal note for marketers; not shown to buyers.")
    is_active = models.BooleanField(default=True, help_text="Switch the promotion off without deleting it.")
    include_segments = models.ManyToManyField(
        "segments.Segment", blank=True, related_name="promotions_included", help_text=SEGMENTS_INCLUDE_HELP
    )
    exclude_segments = models.ManyToManyField(
        "segments.Segment", blank=True, related_name="promotions_excluded", help_text=SEGMENTS_EXCLUDE_HELP
    )
    starts_at = models.DateTimeField(null=True, blank=True, help_text="Shop time (Amsterdam). Empty: already running.")
    ends_at = models.DateTimeField(
        null=True, blank=True, help_text="Shop time (Amsterdam), exclusive: ends 1 Jan 00:00 = last day 31 Dec. Empty: open end."
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.PERCENTAGE)
    scope = models.CharField(
        max_length=16, choices=Scope.choices, default=Scope.ORDER,
        help_text="Which cart lines the promotion counts and discounts. Categories include their sub-categories.",
    )
    categories = models.ManyToManyField("catalog.Category", blank=True, related_name="+", help_text="For scope 'categories'.")
    products = models.ManyToManyField("catalog.Product", blank=True, related_name="+", help_text="For scope 'products'.")
    percentage = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Percentage off: e.g. 10 for 10% off each line in scope.",
    )
    amount = models.DecimalField(
        **MONEY, null=True, blank=True, validators=[MinValueValidator(0)],
        help_text="Fixed amount off: EUR taken off the lines in scope, spread over them by value.",
    )
    threshold = models.DecimalField(
        **MONEY, null=True, blank=True, validators=[MinValueValidator(0)],
        help_text="Minimum value (EUR, excl. VAT, before any discount) of the lines in scope. "
        "Exactly the threshold qualifies. Empty: no minimum.",
    )
    free_product = models.ForeignKey(
        "catalog.Product", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="Free product: the product given away.",
    )
    buy_quantity = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)],
        help_text="Free product: for every this many units in scope …",
    )
    free_quantity = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)], help_text="… this many units of the free product."
    )
    is_exclusive = models.BooleanField(
        default=False,
        help_text="Exclusive: when it applies, no other promotion does. Combinable promotions apply together, "
        "in priority order, each on what is left after the ones before.",
    )
    priority = models.IntegerField(default=0, help_text="Higher first. Ties: the older promotion (lower id) first.")
    coupon_code = models.CharField(
        max_length=40, blank=True,
        help_text="Optional: the promotion then applies only when the buyer enters this code (case-insensitive).",
    )
    usage_limit_per_company = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)],
        help_text="How many orders per company may use it. Empty: unlimited.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-priority", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["coupon_code"], condition=~Q(coupon_code=""), name="promotion_coupon_code_unique"
            ),
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True) | Q(ends_at__isnull=True) | Q(starts_at__lt=F("ends_at")),
                name="promotion_window_ordered",
            ),
            models.CheckConstraint(
                condition=Q(percentage__isnull=True) | (Q(percentage__gte=0) & Q(percentage__lte=100)),
                name="promotion_percentage_range",
            ),
            models.CheckConstraint(condition=Q(amount__isnull=True) | Q(amount__gte=0), name="promotion_amount_non_negative"),
        ]
        indexes = [models.Index(fields=["is_active", "priority"])]

    def __str__(self) -> str:
        return self.name


class PromotionTier(models.Model):
    """Tiered quantity price: from `min_quantity` units on one cart line, this unit price (if lower than the buyer's)."""

    promotion = models.ForeignKey(Promotion, on_delete=models.CASCADE, related_name="tiers")
    min_quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)], help_text="From this quantity on a line.")
    unit_price = models.DecimalField(**MONEY, validators=[MinValueValidator(0)], help_text="EUR per unit, excl. VAT.")

    class Meta:
        ordering = ["promotion", "min_quantity"]
        constraints = [
            models.UniqueConstraint(fields=["promotion", "min_quantity"], name="promotion_tier_unique_quantity"),
            models.CheckConstraint(condition=Q(min_quantity__gte=1), name="promotion_tier_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="promotion_tier_price_non_negative"),
        ]

    def __str__(self) -> str:
        return f"from {self.min_quantity}: {self.unit_price}"


class PromotionRedemption(models.Model):
    """One use of a promotion by one order. `use_number` counts per company: with the usage limit it can never repeat,
    so two checkouts racing for the last use cannot both succeed (the unique constraint is the last guard)."""

    promotion = models.ForeignKey(Promotion, on_delete=models.PROTECT, related_name="redemptions")
    company = models.ForeignKey("accounts.Company", on_delete=models.CASCADE, related_name="promotion_redemptions")
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="promotion_redemptions")
    use_number = models.PositiveIntegerField(help_text="1 for the company's first use, 2 for the second, …")
    discount_amount = models.DecimalField(**MONEY, help_text="EUR the promotion took off this order.")
    segments = models.ManyToManyField(
        "segments.Segment", blank=True, related_name="+",
        help_text="The promotion's included segments the buyer was a member of at the order (for insight).",
    )
    redeemed_at = models.DateTimeField()

    class Meta:
        ordering = ["-redeemed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["promotion", "company", "use_number"], name="promotion_redemption_use_unique"),
            models.UniqueConstraint(fields=["promotion", "order"], name="promotion_redemption_once_per_order"),
        ]

    def __str__(self) -> str:
        return f"{self.promotion_id} by {self.company_id} (use {self.use_number})"


class ShippingRule(models.Model):
    """A shipping rate table for some segments and countries. The cheapest applicable rule wins, unless an
    applicable rule is overriding: then the overriding rule with the highest priority wins."""

    class Kind(models.TextChoices):
        PER_ORDER = "per_order", "Fixed cost per order"
        WEIGHT_BANDS = "weight_bands", "By weight (kg bands)"
        VALUE_BANDS = "value_bands", "By order value (EUR bands)"

    name = models.CharField(max_length=120, help_text="Shown to buyers next to the cost, e.g. “Belgium, by order value”.")
    is_active = models.BooleanField(default=True)
    include_segments = models.ManyToManyField(
        "segments.Segment", blank=True, related_name="shipping_rules_included", help_text=SEGMENTS_INCLUDE_HELP
    )
    exclude_segments = models.ManyToManyField(
        "segments.Segment", blank=True, related_name="shipping_rules_excluded", help_text=SEGMENTS_EXCLUDE_HELP
    )
    countries = models.CharField(
        max_length=200, blank=True,
        help_text="ISO codes of the company's country, comma-separated (e.g. 'BE' or 'NL,BE'). Empty: every country.",
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.PER_ORDER)
    cost = models.DecimalField(
        **MONEY, default=0, validators=[MinValueValidator(0)], help_text="Fixed cost per order (EUR), for that kind."
    )
    free_above = models.DecimalField(
        **MONEY, null=True, blank=True, validators=[MinValueValidator(0)],
        help_text="Free shipping from this goods value (EUR, after promotions; exactly this amount is free). Empty: never free.",
    )
    is_overriding = models.BooleanField(
        default=False, help_text="When it applies it is used even if another rule is cheaper (e.g. a special carrier)."
    )
    priority = models.IntegerField(default=0, help_text="Among overriding rules: higher first.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-priority", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(cost__gte=0), name="shipping_rule_cost_non_negative"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def country_codes(self) -> frozenset[str]:
        return frozenset(code.strip().upper() for code in self.countries.split(",") if code.strip())


class ShippingBand(models.Model):
    """One band of a weight or value table: from `from_value` (kg or EUR, inclusive) up to the next band, this cost."""

    rule = models.ForeignKey(ShippingRule, on_delete=models.CASCADE, related_name="bands")
    from_value = models.DecimalField(
        max_digits=12, decimal_places=3, validators=[MinValueValidator(0)],
        help_text="From this weight (kg) or goods value (EUR), inclusive. Start the table at 0.",
    )
    cost = models.DecimalField(**MONEY, validators=[MinValueValidator(0)], help_text="Shipping cost (EUR) in this band.")

    class Meta:
        ordering = ["rule", "from_value"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "from_value"], name="shipping_band_unique_start"),
            models.CheckConstraint(condition=Q(from_value__gte=0), name="shipping_band_start_non_negative"),
            models.CheckConstraint(condition=Q(cost__gte=0), name="shipping_band_cost_non_negative"),
        ]

    def __str__(self) -> str:
        return f"from {self.from_value}: {self.cost}"


class ProductShippingWeight(models.Model):
    """The shipping weight of one unit of a product (for weight-band shipping); products without one weigh 0 kg."""

    product = models.OneToOneField("catalog.Product", on_delete=models.CASCADE, related_name="shipping_weight")
    weight_kg = models.DecimalField(
        max_digits=9, decimal_places=3, validators=[MinValueValidator(0)], help_text="Kilograms per unit, packed."
    )

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(weight_kg__gte=0), name="product_shipping_weight_non_negative")]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.weight_kg} kg"


class PaymentMethod(models.TextChoices):
    """How a buyer pays. Invoice and direct debit are credit (on account): never for blocked companies."""

    INVOICE = "invoice", "Invoice (on account)"
    DIRECT_DEBIT = "direct_debit", "Direct debit"
    PREPAID = "prepaid", "Prepayment (bank transfer before delivery)"


CREDIT_PAYMENT_METHODS = frozenset({PaymentMethod.INVOICE, PaymentMethod.DIRECT_DEBIT})


class PaymentMethodRule(models.Model):
    """Offers one payment method to buyers in some segments. A method is offered when one active rule for it holds."""

    method = models.CharField(max_length=16, choices=PaymentMethod.choices)
    is_active = models.BooleanField(default=True)
    include_segments = models.ManyToManyField(
        "segments.Segment", blank=True, related_name="payment_rules_included", help_text=SEGMENTS_INCLUDE_HELP
    )
    exclude_segments = models.ManyToManyField(
        "segments.Segment", blank=True, related_name="payment_rules_excluded", help_text=SEGMENTS_EXCLUDE_HELP
    )
    note = models.CharField(max_length=200, blank=True, help_text="Why these segments, e.g. “credit terms approved”.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["method", "id"]

    def __str__(self) -> str:
        return f"{self.get_method_display()} ({self.note})" if self.note else self.get_method_display()


class OrderPricing(models.Model):
    """What an order was charged and why, stored at placement so the order stays reproducible after rules change."""

    order = models.OneToOneField("orders.Order", on_delete=models.CASCADE, related_name="pricing")
    subtotal_amount = models.DecimalField(**MONEY, help_text="Sum of the lines at the buyer's prices (free lines included); equals the order's total amount.")
    discount_amount = models.DecimalField(**MONEY, help_text="Sum of all promotion savings.")
    goods_amount = models.DecimalField(**MONEY, help_text="Subtotal minus discount.")
    shipping_amount = models.DecimalField(**MONEY)
    total_amount = models.DecimalField(**MONEY, help_text="What the buyer pays: goods plus shipping, excl. VAT.")
    shipping_rule = models.ForeignKey(ShippingRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    shipping_label = models.CharField(max_length=200, blank=True, help_text="The rule's name and why, as shown.")
    payment_method = models.CharField(max_length=16, choices=PaymentMethod.choices)
    coupon_code = models.CharField(max_length=40, blank=True)
    quote_version = models.CharField(max_length=32, help_text="The version of the quote the order was placed with.")
    segment_ids = models.JSONField(default=list, help_text="The buyer's segment ids at placement.")

    def __str__(self) -> str:
        return f"Pricing of {self.order_id}"


class OrderAdjustment(models.Model):
    """One amount added to an order's lines: a promotion saving (negative) or the shipping cost (positive)."""

    class Kind(models.TextChoices):
        PROMOTION = "promotion", "Promotion"
        SHIPPING = "shipping", "Shipping"

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="adjustments")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    line_no = models.PositiveIntegerField(null=True, blank=True, help_text="The order line it belongs to; empty: the order.")
    promotion = models.ForeignKey(Promotion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    label = models.CharField(max_length=200, help_text="The promotion or shipping rule name and reason, as the buyer saw it.")
    amount = models.DecimalField(**MONEY, help_text="EUR added to the order: negative for a saving.")

    class Meta:
        ordering = ["order", "kind", "line_no", "id"]
        indexes = [models.Index(fields=["promotion", "order"])]

    def __str__(self) -> str:
        return f"{self.label}: {self.amount}"
