"""Offers API (spec api.md): the buyer's cart quote, and marketer CRUD for promotions and shipping rules.

One view per operation, nested Input/Output serializers; the services validate and write.
A buyer only ever sees promotions whose segments hold for them, plus the reason why a code
they typed does not apply (the same answer for an unknown code and another segment's code).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from b2bshop.api.permissions import IsMarketer
from catalog.models import Category, Product
from catalog.shop_views import request_contact
from orders.models import Cart
from orders.offer_models import Promotion, ShippingRule
from orders.offers.quote import CartQuote, cart_quote
from orders.offers.services import (
    PromotionInput,
    ShippingRuleInput,
    promotion_delete,
    promotion_save,
    shipping_rule_save,
)
from personalization.selectors import viewer_for_user
from segments.models import Segment

MONEY_FIELD = {"max_digits": 14, "decimal_places": 2}
# The counts are PositiveIntegerFields: larger values are refused here, not by the database (a 500).
LARGEST_COUNT = 2_147_483_647


class IsBuyer(BasePermission):
    """A logged-in contact (a user with a company); anonymous visitors and staff get 403."""

    message = "Log in with a buyer account to see your cart."

    def has_permission(self, request, view) -> bool:
        return request_contact(request) is not None


class StrictInputMixin:
    """Unknown fields are a 400 that names them (spec api.md)."""

    rejects_unknown_fields = True  # the schema says so: additionalProperties false

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))  # type: ignore[attr-defined]
            if unknown:
                raise serializers.ValidationError({key: ["Unknown field."] for key in unknown})
        return super().to_internal_value(data)  # type: ignore[misc]


# --- Buyer: the cart quote ---------------------------------------------------------------------------------------


class QuoteLineSavingSerializer(serializers.Serializer):
    promotion_id = serializers.IntegerField()
    name = serializers.CharField()
    amount = serializers.DecimalField(**MONEY_FIELD)

    class Meta:
        ref_name = "ShopQuoteLineSaving"


class QuoteLineSerializer(serializers.Serializer):
    cart_line_id = serializers.IntegerField(allow_null=True, help_text="null for a free product line")
    sku = serializers.CharField(source="product.sku")
    name = serializers.CharField(source="product.name")
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(**MONEY_FIELD, help_text="Your price (excl. VAT) before promotions.")
    base_amount = serializers.DecimalField(**MONEY_FIELD)
    saving = serializers.DecimalField(**MONEY_FIELD)
    amount = serializers.DecimalField(**MONEY_FIELD, help_text="base_amount - saving")
    is_free = serializers.BooleanField()
    savings = QuoteLineSavingSerializer(many=True)

    class Meta:
        ref_name = "ShopQuoteLine"


class QuotePromotionSerializer(serializers.Serializer):
    promotion_id = serializers.IntegerField(allow_null=True, help_text="null for a code that is not valid for you")
    name = serializers.CharField()
    reason = serializers.CharField(source="code", help_text="Empty when applied; else why not (e.g. below_threshold).")
    message = serializers.CharField()
    saving = serializers.DecimalField(**MONEY_FIELD)
    coupon_code = serializers.CharField()

    class Meta:
        ref_name = "ShopQuotePromotion"


class QuoteShippingSerializer(serializers.Serializer):
    rule_id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    cost = serializers.DecimalField(**MONEY_FIELD)
    label = serializers.CharField()
    free_above = serializers.DecimalField(**MONEY_FIELD, allow_null=True)
    missing_for_free = serializers.DecimalField(**MONEY_FIELD, allow_null=True)

    class Meta:
        ref_name = "ShopQuoteShipping"


class QuotePaymentMethodSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()

    class Meta:
        ref_name = "ShopQuotePaymentMethod"


class CartQuoteOutputSerializer(serializers.Serializer):
    lines = QuoteLineSerializer(many=True)
    applied = QuotePromotionSerializer(many=True)
    not_applied = QuotePromotionSerializer(many=True)
    shipping = QuoteShippingSerializer()
    payment_methods = QuotePaymentMethodSerializer(many=True)
    default_payment_method = serializers.CharField()
    subtotal = serializers.DecimalField(**MONEY_FIELD)
    discount = serializers.DecimalField(**MONEY_FIELD)
    goods_total = serializers.DecimalField(**MONEY_FIELD)
    shipping_cost = serializers.DecimalField(**MONEY_FIELD)
    total = serializers.DecimalField(**MONEY_FIELD)
    currency = serializers.CharField()
    coupon_code = serializers.CharField()
    delivery_date = serializers.DateField(allow_null=True)
    version = serializers.CharField(help_text="Send it back as the confirmed version when placing the order.")

    class Meta:
        ref_name = "ShopCartQuote"


def cart_quote_data(quote: CartQuote) -> dict[str, Any]:
    return CartQuoteOutputSerializer(quote).data


class CartQuoteApi(APIView):
    """The buyer's own open cart, priced: lines, promotions (and why not), shipping, payment methods, totals."""

    permission_classes = [IsBuyer]

    class FilterSerializer(StrictInputMixin, serializers.Serializer):
        coupon = serializers.CharField(required=False, allow_blank=True, max_length=40)

    @extend_schema(
        parameters=[OpenApiParameter("coupon", str, description="A promotion code the buyer entered.")],
        responses=CartQuoteOutputSerializer,
        summary="The buyer's cart quote",
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        contact = request_contact(request)
        assert contact is not None
        cart = Cart.objects.filter(contact=contact, status=Cart.Status.OPEN).first() or Cart(contact=contact)
        quote = cart_quote(
            cart=cart,
            segment_ids=viewer_for_user(request.user).segment_ids,
            now=timezone.now(),
            coupon_code=filters.validated_data.get("coupon", ""),
            company=contact.company,
        )
        return Response(cart_quote_data(quote))


# --- Marketer: promotions ------------------------------------------------------------------------------------------


class TierSerializer(serializers.Serializer):
    min_quantity = serializers.IntegerField(min_value=1, max_value=LARGEST_COUNT)
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)

    class Meta:
        ref_name = "PromotionTier"


PROMOTION_YEARS = range(2000, 2200)


def _promotion_era(value: datetime.datetime | None) -> None:
    """A promotion runs in this era; a year like 1114 is a typo (and has no RFC 3339 offset in the shop's zone)."""
    if value is not None and value.year not in PROMOTION_YEARS:
        raise serializers.ValidationError(f"Use a year from {PROMOTION_YEARS.start} to {PROMOTION_YEARS.stop - 1}.")


def _segments_field(**kwargs: Any) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(slug_field="slug", queryset=Segment.objects.all(), many=True, **kwargs)


class PromotionOutputSerializer(serializers.ModelSerializer):
    include_segments = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    exclude_segments = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    products = serializers.SlugRelatedField(slug_field="sku", many=True, read_only=True)
    categories = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    free_product = serializers.SlugRelatedField(slug_field="sku", read_only=True, allow_null=True)
    tiers = TierSerializer(many=True, read_only=True)
    redemption_count = serializers.SerializerMethodField()

    class Meta:
        model = Promotion
        fields = [
            "id", "name", "description", "is_active", "include_segments", "exclude_segments", "starts_at", "ends_at",
            "kind", "scope", "categories", "products", "percentage", "amount", "threshold", "free_product",
            "buy_quantity", "free_quantity", "tiers", "is_exclusive", "priority", "coupon_code",
            "usage_limit_per_company", "redemption_count", "created_at", "updated_at",
        ]

    def get_redemption_count(self, promotion: Promotion) -> int:
        return promotion.redemptions.count()


class PromotionInputSerializer(StrictInputMixin, serializers.Serializer):
    name = serializers.CharField(max_length=120)
    description = serializers.CharField(required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)
    include_segments = _segments_field(required=False)
    exclude_segments = _segments_field(required=False)
    starts_at = serializers.DateTimeField(required=False, allow_null=True, validators=[_promotion_era])
    ends_at = serializers.DateTimeField(required=False, allow_null=True, validators=[_promotion_era])
    kind = serializers.ChoiceField(choices=Promotion.Kind.choices)
    scope = serializers.ChoiceField(choices=Promotion.Scope.choices, required=False)
    categories = serializers.SlugRelatedField(
        slug_field="slug", queryset=Category.objects.all(), many=True, required=False
    )
    products = serializers.SlugRelatedField(slug_field="sku", queryset=Product.objects.all(), many=True, required=False)
    percentage = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False,
                                          allow_null=True)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True)
    threshold = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True)
    free_product = serializers.SlugRelatedField(
        slug_field="sku", queryset=Product.objects.all(), required=False, allow_null=True
    )
    buy_quantity = serializers.IntegerField(min_value=1, max_value=LARGEST_COUNT, required=False, allow_null=True)
    free_quantity = serializers.IntegerField(min_value=1, max_value=LARGEST_COUNT, required=False, allow_null=True)
    tiers = TierSerializer(many=True, required=False)
    is_exclusive = serializers.BooleanField(required=False)
    priority = serializers.IntegerField(required=False, min_value=-1000, max_value=1000)
    coupon_code = serializers.RegexField(r"^[A-Za-z0-9_-]*$", max_length=40, required=False, allow_blank=True)
    usage_limit_per_company = serializers.IntegerField(
        min_value=1, max_value=LARGEST_COUNT, required=False, allow_null=True
    )


def _promotion_input(data: dict[str, Any], current: Promotion | None) -> PromotionInput:
    base: dict[str, Any] = {}
    if current is not None:
        base = {
            name: getattr(current, name)
            for name in (
                "name", "description", "is_active", "starts_at", "ends_at", "kind", "scope", "percentage", "amount",
                "threshold", "free_product", "buy_quantity", "free_quantity", "is_exclusive", "priority", "coupon_code",
                "usage_limit_per_company",
            )
        }
        base.update(
            include_segments=list(current.include_segments.all()), exclude_segments=list(current.exclude_segments.all()),
            products=list(current.products.all()), categories=list(current.categories.all()),
            tiers=[(tier.min_quantity, tier.unit_price) for tier in current.tiers.all()],
        )
    values = {**base, **data}
    if "tiers" in data:
        values["tiers"] = [(tier["min_quantity"], tier["unit_price"]) for tier in data["tiers"]]
    return PromotionInput(**values)


class PromotionListApi(APIView):
    permission_classes = [IsMarketer]
    pagination_class = PageNumberPagination  # also tells the schema that the list is paginated

    @extend_schema(responses=PromotionOutputSerializer(many=True), summary="Promotions")
    def get(self, request: Request) -> Response:
        promotions = Promotion.objects.prefetch_related(
            "include_segments", "exclude_segments", "products", "categories", "tiers"
        ).select_related("free_product").order_by("-priority", "id")
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(promotions, request, view=self)
        return paginator.get_paginated_response(PromotionOutputSerializer(page, many=True).data)

    @extend_schema(request=PromotionInputSerializer, responses={201: PromotionOutputSerializer}, summary="Create a promotion")
    def post(self, request: Request) -> Response:
        serializer = PromotionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        promotion = promotion_save(data=_promotion_input(serializer.validated_data, None))
        return Response(PromotionOutputSerializer(promotion).data, status=status.HTTP_201_CREATED)


class PromotionDetailApi(APIView):
    permission_classes = [IsMarketer]

    @extend_schema(responses=PromotionOutputSerializer, summary="A promotion")
    def get(self, request: Request, pk: int) -> Response:
        return Response(PromotionOutputSerializer(get_object_or_404(Promotion, pk=pk)).data)

    @extend_schema(request=PromotionInputSerializer, responses=PromotionOutputSerializer, summary="Replace a promotion")
    def put(self, request: Request, pk: int) -> Response:
        return self._update(request, pk, partial=False)

    @extend_schema(request=PromotionInputSerializer, responses=PromotionOutputSerializer, summary="Change a promotion")
    def patch(self, request: Request, pk: int) -> Response:
        return self._update(request, pk, partial=True)

    def _update(self, request: Request, pk: int, *, partial: bool) -> Response:
        promotion = get_object_or_404(Promotion, pk=pk)
        serializer = PromotionInputSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        current = promotion if partial else None
        promotion = promotion_save(data=_promotion_input(serializer.validated_data, current), promotion=promotion)
        return Response(PromotionOutputSerializer(promotion).data)

    @extend_schema(responses={204: None}, summary="Delete an unused promotion")
    def delete(self, request: Request, pk: int) -> Response:
        with transaction.atomic():
            promotion_delete(promotion=get_object_or_404(Promotion, pk=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Marketer: shipping rules --------------------------------------------------------------------------------------


class BandSerializer(serializers.Serializer):
    from_value = serializers.DecimalField(max_digits=12, decimal_places=3, min_value=0)
    cost = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)

    class Meta:
        ref_name = "ShippingBand"


class ShippingRuleOutputSerializer(serializers.ModelSerializer):
    include_segments = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    exclude_segments = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    bands = BandSerializer(many=True, read_only=True)

    class Meta:
        model = ShippingRule
        fields = [
            "id", "name", "is_active", "include_segments", "exclude_segments", "countries", "kind", "cost", "free_above",
            "bands", "is_overriding", "priority", "created_at", "updated_at",
        ]


class ShippingRuleInputSerializer(StrictInputMixin, serializers.Serializer):
    name = serializers.CharField(max_length=120)
    is_active = serializers.BooleanField(required=False)
    include_segments = _segments_field(required=False)
    exclude_segments = _segments_field(required=False)
    countries = serializers.CharField(required=False, allow_blank=True, max_length=200)
    kind = serializers.ChoiceField(choices=ShippingRule.Kind.choices, required=False)
    cost = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, required=False)
    free_above = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True)
    bands = BandSerializer(many=True, required=False)
    is_overriding = serializers.BooleanField(required=False)
    priority = serializers.IntegerField(required=False, min_value=-1000, max_value=1000)


def _shipping_input(data: dict[str, Any], current: ShippingRule | None) -> ShippingRuleInput:
    base: dict[str, Any] = {}
    if current is not None:
        base = {
            name: getattr(current, name)
            for name in ("name", "is_active", "countries", "kind", "cost", "free_above", "is_overriding", "priority")
        }
        base.update(
            include_segments=list(current.include_segments.all()), exclude_segments=list(current.exclude_segments.all()),
            bands=[(band.from_value, band.cost) for band in current.bands.all()],
        )
    values = {**base, **data}
    if "bands" in data:
        values["bands"] = [(band["from_value"], band["cost"]) for band in data["bands"]]
    return ShippingRuleInput(**values)


class ShippingRuleListApi(APIView):
    permission_classes = [IsMarketer]
    pagination_class = PageNumberPagination  # also tells the schema that the list is paginated

    @extend_schema(responses=ShippingRuleOutputSerializer(many=True), summary="Shipping rules")
    def get(self, request: Request) -> Response:
        rules = ShippingRule.objects.prefetch_related("include_segments", "exclude_segments", "bands").order_by(
            "-priority", "id"
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(rules, request, view=self)
        return paginator.get_paginated_response(ShippingRuleOutputSerializer(page, many=True).data)

    @extend_schema(
        request=ShippingRuleInputSerializer, responses={201: ShippingRuleOutputSerializer}, summary="Create a shipping rule"
    )
    def post(self, request: Request) -> Response:
        serializer = ShippingRuleInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rule = shipping_rule_save(data=_shipping_input(serializer.validated_data, None))
        return Response(ShippingRuleOutputSerializer(rule).data, status=status.HTTP_201_CREATED)


class ShippingRuleDetailApi(APIView):
    permission_classes = [IsMarketer]

    @extend_schema(responses=ShippingRuleOutputSerializer, summary="A shipping rule")
    def get(self, request: Request, pk: int) -> Response:
        return Response(ShippingRuleOutputSerializer(get_object_or_404(ShippingRule, pk=pk)).data)

    @extend_schema(request=ShippingRuleInputSerializer, responses=ShippingRuleOutputSerializer, summary="Replace a rule")
    def put(self, request: Request, pk: int) -> Response:
        return self._update(request, pk, partial=False)

    @extend_schema(request=ShippingRuleInputSerializer, responses=ShippingRuleOutputSerializer, summary="Change a rule")
    def patch(self, request: Request, pk: int) -> Response:
        return self._update(request, pk, partial=True)

    def _update(self, request: Request, pk: int, *, partial: bool) -> Response:
        rule = get_object_or_404(ShippingRule, pk=pk)
        serializer = ShippingRuleInputSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        rule = shipping_rule_save(data=_shipping_input(serializer.validated_data, rule if partial else None), rule=rule)
        return Response(ShippingRuleOutputSerializer(rule).data)

    @extend_schema(responses={204: None}, summary="Delete a shipping rule (orders keep their stored cost)")
    def delete(self, request: Request, pk: int) -> Response:
        get_object_or_404(ShippingRule, pk=pk).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
