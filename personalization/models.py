"""Personalization: content blocks, the navigation menu and segment assortments (restrictions).

Every rule here has the same shape: `include_segments` ("any of": only logged-in
members of at least one see it; none: everyone, anonymous visitors included) and
`exclude_segments` ("none of": always wins). The selectors compile that shape to SQL.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.db.models import F, Q

from b2bshop.uploads import validate_image_upload


def validate_banner_image(file: UploadedFile) -> None:
    """Really an image, in a web format, within the upload limits (b2bshop.uploads; migrations name this function)."""
    validate_image_upload(file)


class ContentBlock(models.Model):
    """A banner, a text or a product carousel shown in one placement of the shop."""

    class Placement(models.TextChoices):
        HOME_HERO = "home_hero", "Home page hero"
        CATEGORY_TOP = "category_top", "Top of a category page"
        PRODUCT_LIST = "product_list", "Product list"
        PRODUCT_DETAIL = "product_detail", "Product detail page"
        CART = "cart", "Cart"
        CHECKOUT = "checkout", "Checkout"

    class Kind(models.TextChoices):
        BANNER = "banner", "Banner (image and link)"
        TEXT = "text", "Text"
        PRODUCT_CAROUSEL = "product_carousel", "Product carousel"

    name = models.CharField(max_length=120, help_text="For marketers only; never shown in the shop.")
    placement = models.CharField(max_length=24, choices=Placement.choices)
    kind = models.CharField(max_length=24, choices=Kind.choices, default=Kind.BANNER)
    headline = models.CharField(max_length=200, blank=True)
    text = models.TextField(
        blank=True,
        help_text="Plain text or simple HTML (paragraphs, bold, italic, lists, links); anything else is removed.",
    )
    image = models.ImageField(
        upload_to="personalization/blocks/", blank=True, validators=[validate_banner_image],
        help_text="JPEG, PNG, GIF or WebP, at most 5 MB.",
    )
    link_url = models.CharField(
        "link", max_length=500, blank=True, help_text="A shop path (/category/roses/) or a full https:// address."
    )
    products = models.ManyToManyField(
        "catalog.Product", blank=True, related_name="content_blocks", help_text="The carousel's products, in name order."
    )
    include_segments = models.ManyToManyField(
        "segments.Segment", blank=True, related_name="content_blocks_included",
        help_text="Any of: only logged-in members of at least one of these see the block. Empty: everyone.",
    )
    exclude_segments = models.ManyToManyField(
        "segments.Segment", blank=True, related_name="content_blocks_excluded",
        help_text="None of: members of any of these never see the block (this always wins).",
    )
    starts_at = models.DateTimeField(null=True, blank=True, help_text="Shop time; empty: already started.")
    ends_at = models.DateTimeField(
        null=True, blank=True, help_text="Shop time, exclusive (the block is gone at this instant); empty: no end."
    )
    priority = models.IntegerField(default=0, help_text="Higher wins; ties: the later start, then the newer block.")
    is_fallback = models.BooleanField(
        default=False, help_text="Shown only when no other block of the placement matches the visitor."
    )
    category = models.ForeignKey(
        "catalog.Category", on_delete=models.CASCADE, null=True, blank=True, related_name="content_blocks",
        help_text="Only on this category and the categories below it.",
    )
    product = models.ForeignKey(
        "catalog.Product", on_delete=models.CASCADE, null=True, blank=True, related_name="scoped_content_blocks",
        help_text="Only on this product.",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["placement", "-priority", F("starts_at").desc(nulls_last=True), "-id"]
        indexes = [models.Index(fields=["placement", "is_active"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True) | Q(ends_at__isnull=True) | Q(starts_at__lt=F("ends_at")),
                name="content_block_schedule_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.kind == self.Kind.BANNER and not self.image:
            errors["image"] = "A banner needs an image."
        if self.kind == self.Kind.TEXT and not (self.text or self.headline):
            errors["text"] = "A text block needs a headline or a text."
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = "The end must be after the start."
        if self.link_url and not (self.link_url.startswith("/") or self.link_url.startswith("https://")):
            errors["link_url"] = "Use a shop path starting with / or an https:// address."
        if errors:
            raise ValidationError(errors)


class MenuItem(models.Model):
    """A node of the shop's navigation menu, linking to a category or to a URL."""

    class Visibility(models.TextChoices):
        EVERYONE = "everyone", "Everyone"
        LOGGED_IN = "logged_in", "Logged-in contacts only"
        SEGMENTS = "segments", "Members of the included segments"

    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="children")
    position = models.PositiveIntegerField(default=0, help_text="Order among siblings (lower first).")
    label = models.CharField(max_length=120)
    category = models.ForeignKey(
        "catalog.Category", on_delete=models.CASCADE, null=True, blank=True, related_name="menu_items",
        help_text="Link to this category (hidden whenever the category is hidden from the visitor).",
    )
    url = models.CharField(max_length=500, blank=True, help_text="Or link to this shop path / https:// address.")
    visibility = models.CharField(max_length=16, choices=Visibility.choices, default=Visibility.EVERYONE)
    include_segments = models.ManyToManyField(
        "segments.Segment", blank=True, related_name="menu_items_included",
        help_text="With visibility 'segments': logged-in members of at least one of these.",
    )
    exclude_segments = models.ManyToManyField(
        "segments.Segment", blank=True, related_name="menu_items_excluded",
        help_text="Members of any of these never see the item or its children (always wins).",
    )
    is_active = models.BooleanField(default=True)
    tree_order = models.CharField(
        max_length=255, default="", editable=False, db_index=True,
        help_text="Positions from the root down; kept by personalization.services.menu_tree_rebuild.",
    )
    depth = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["tree_order", "position", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(parent=F("id")), name="menu_item_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.label

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if bool(self.category_id) == bool(self.url):
            errors["url"] = "Link to a category or to a URL (exactly one)."
        if self.url and not (self.url.startswith("/") or self.url.startswith("https://")):
            errors["url"] = "Use a shop path starting with / or an https:// address."
        if self.pk and self.parent_id:
            seen = {self.pk}
            parent = self.parent
            while parent is not None:
                if parent.pk in seen:
                    errors["parent"] = "An item cannot be placed below itself."
                    break
                seen.add(parent.pk)
                parent = parent.parent
        if errors:
            raise ValidationError(errors)


class CategoryRestriction(models.Model):
    """Restricts a category, its descendants and all their products to segments."""

    category = models.OneToOneField("catalog.Category", on_delete=models.CASCADE, related_name="restriction")
    include_segments = models.ManyToManyField(
        "segments.Segment", blank=True, related_name="category_restrictions_included",
        help_text="Only logged-in members of at least one of these see the category. Empty: everyone.",
    )
    exclude_segments = models.ManyToManyField(
        "segments.Segment", blank=True, related_name="category_restrictions_excluded",
        help_text="Members of any of these never see the category (always wins).",
    )
    note = models.CharField(max_length=255, blank=True, help_text="Why, for colleagues.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["category__path"]

    def __str__(self) -> str:
        return f"restriction of {self.category}"


class ProductRestriction(models.Model):
    """Restricts one product to segments (dealer-only ranges, sector assortments)."""

    product = models.OneToOneField("catalog.Product", on_delete=models.CASCADE, related_name="restriction")
    include_segments = models.ManyToManyField(
        "segments.Segment", blank=True, related_name="product_restrictions_included",
        help_text="Only logged-in members of at least one of these see the product. Empty: everyone.",
    )
    exclude_segments = models.ManyToManyField(
        "segments.Segment", blank=True, related_name="product_restrictions_excluded",
        help_text="Members of any of these never see the product (always wins).",
    )
    note = models.CharField(max_length=255, blank=True, help_text="Why, for colleagues.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["product__name"]

    def __str__(self) -> str:
        return f"restriction of {self.product}"
