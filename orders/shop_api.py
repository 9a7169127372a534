"""Buyer API (spec/api.md): delivery moments, the assortment for a moment, content blocks.

Buyers (contacts) get their company's moments and their prices; anonymous visitors get
the shop's generic moments and no prices. Staff users without a company are treated as
anonymous here.
"""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import get_language
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from b2bshop.exceptions import ApplicationError, ErrorDetail
from catalog.models import Product
from catalog.selectors import category_get, category_products, shop_product_queryset, shop_product_rows
from catalog.shop_views import request_contact
from orders.delivery_calendar import buyer_language, delivery_moments, no_delivery_moment_message
from orders.selectors import anonymous_delivery_profile, company_delivery_profile, shop_calendar_rules
from personalization.models import ContentBlock
from personalization.preview import request_viewer
from personalization.selectors import (
    content_block_product_list,
    content_blocks_for,
    hidden_category_ids,
    product_is_visible,
    visible_products_filter,
)


class DeliveryMomentOutputSerializer(serializers.Serializer):
    departure_date = serializers.DateField()
    delivery_date = serializers.DateField()
    block_start = serializers.DateTimeField()
    block_end = serializers.DateTimeField()
    label = serializers.CharField(help_text="The 48-hour block in the buyer's language.")

    class Meta:
        ref_name = "ShopDeliveryMoment"


class DeliveryMomentListApi(APIView):
    permission_classes = [AllowAny]

    class OutputSerializer(serializers.Serializer):
        company = serializers.CharField(allow_null=True, help_text="The buyer's company; null for the generic moments.")
        message = serializers.CharField(help_text="Why there is no moment, when the list is empty; else empty.")
        moments = DeliveryMomentOutputSerializer(many=True)

        class Meta:
            ref_name = "ShopDeliveryMomentList"

    @extend_schema(
        responses=OutputSerializer,
        summary="Delivery moments: the buyer's company's, or the shop's generic ones for anonymous visitors",
    )
    def get(self, request: Request) -> Response:
        contact = request_contact(request)
        language = buyer_language(contact.language if contact else get_language())
        calendar = shop_calendar_rules()
        profile = company_delivery_profile(contact.company) if contact else anonymous_delivery_profile()
        moments = delivery_moments(calendar=calendar, profile=profile, now=timezone.now())
        rows = []
        for moment in moments:
            start, end = moment.block_instants()
            rows.append(
                {
                    "departure_date": moment.departure_date,
                    "delivery_date": moment.delivery_date,
                    "block_start": start,
                    "block_end": end,
                    "label": moment.block_label(language=language),
                }
            )
        message = "" if moments else no_delivery_moment_message(calendar=calendar, profile=profile, language=language)
        data = {"company": contact.company.name if contact else None, "message": message, "moments": rows}
        return Response(self.OutputSerializer(data).data)


class ShopProductListApi(APIView):
    """The products orderable for a delivery date (default: the first moment), paginated; prices for buyers."""

    permission_classes = [AllowAny]
    pagination_class = PageNumberPagination  # also tells the schema that the list is paginated

    class FilterSerializer(serializers.Serializer):
        delivery_date = serializers.DateField(required=False)
        category = serializers.SlugField(required=False, max_length=120)
        page = serializers.IntegerField(required=False, min_value=1)

    class OutputSerializer(serializers.Serializer):
        sku = serializers.CharField()
        name = serializers.CharField()
        category = serializers.CharField(source="category.slug")
        unit = serializers.CharField()
        min_order_quantity = serializers.IntegerField()
        price = serializers.DecimalField(
            max_digits=12,
            decimal_places=2,
            allow_null=True,
            help_text="The buyer's price; null for anonymous visitors.",
        )

        class Meta:
            ref_name = "ShopProduct"

    @extend_schema(
        parameters=[
            OpenApiParameter("delivery_date", datetime.date, description="A delivery date of one of your moments."),
            OpenApiParameter("category", str, description="Category slug; includes sub-categories."),
            OpenApiParameter("page", int),
        ],
        responses=OutputSerializer(many=True),
        summary="The assortment for a delivery moment",
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        contact = request_contact(request)
        company = contact.company if contact else None
        calendar = shop_calendar_rules()
        profile = company_delivery_profile(company) if company else anonymous_delivery_profile()
        now = timezone.now()
        moments = delivery_moments(calendar=calendar, profile=profile, now=now)
        wanted = filters.validated_data.get("delivery_date")
        if wanted is None:
            moment = moments[0] if moments else None
        else:
            moment = next((candidate for candidate in moments if candidate.delivery_date == wanted), None)
        if moment is None:
            raise ApplicationError(
                "No delivery is possible on that date.",
                errors=[ErrorDetail(path="/delivery_date", message="choose a date from /api/shop/delivery-moments/")],
            )
        viewer = request_viewer(request)
        audience = {"segment_ids": viewer.segment_ids, "is_authenticated": viewer.is_authenticated}
        products = Product.objects.filter(visible_products_filter(**audience))
        if slug := filters.validated_data.get("category"):
            category = category_get(slug=slug)
            if category is None or category.pk in hidden_category_ids(**audience):
                raise ApplicationError(
                    "Unknown category.", errors=[ErrorDetail(path="/category", message=f"no category '{slug}'")]
                )
            products = category_products(category=category).filter(visible_products_filter(**audience))
        queryset = shop_product_queryset(products=products, moment=moment, calendar=calendar, now=now, company=company)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, request, view=self)
        rows = shop_product_rows(
            products=page, moment=moment, moments=moments, calendar=calendar, now=now, language="en"
        )
        data = [
            {
                "sku": row.product.sku,
                "name": row.product.name,
                "category": row.product.category,
                "unit": row.product.unit,
                "min_order_quantity": row.product.min_order_quantity,
                "price": row.price,
            }
            for row in rows
        ]
        return paginator.get_paginated_response(self.OutputSerializer(data, many=True).data)


class ContentBlockProductOutputSerializer(serializers.Serializer):
    sku = serializers.CharField()
    name = serializers.CharField()

    class Meta:
        ref_name = "ShopContentBlockProduct"


class ContentBlockOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    placement = serializers.CharField()
    kind = serializers.ChoiceField(choices=ContentBlock.Kind.choices)
    headline = serializers.CharField()
    text = serializers.CharField(help_text="Sanitised HTML (paragraphs, emphasis, lists, safe links).")
    image_url = serializers.CharField(allow_null=True, help_text="The banner image; null when there is none.")
    link_url = serializers.CharField(help_text="A shop path or an https:// address; empty when none.")
    is_fallback = serializers.BooleanField()
    products = ContentBlockProductOutputSerializer(many=True, help_text="A carousel's products the visitor may see.")

    class Meta:
        ref_name = "ShopContentBlock"


class ContentBlockListOutputSerializer(serializers.Serializer):
    placement = serializers.CharField()
    blocks = ContentBlockOutputSerializer(many=True)

    class Meta:
        ref_name = "ShopContentBlockList"


class ShopContentApi(APIView):
    """The content blocks of a placement for the calling visitor (the same choice as the shop pages).

    Buyers get the blocks of their own segments, anonymous visitors the blocks for everyone
    and the fallback, a marketer in a "view as" preview the previewed visitor's. No parameter
    names another visitor, so nobody can read another company's blocks.
    """

    permission_classes = [AllowAny]

    class FilterSerializer(serializers.Serializer):
        placement = serializers.ChoiceField(choices=ContentBlock.Placement.choices)
        category = serializers.SlugField(required=False, max_length=120)
        product = serializers.CharField(required=False, max_length=64)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "placement", str, required=True, enum=list(ContentBlock.Placement.values), description="Where the blocks show."
            ),
            OpenApiParameter("category", str, description="Category slug: blocks scoped to it (or above it) count too."),
            OpenApiParameter("product", str, description="Product SKU: blocks scoped to that product count too."),
        ],
        responses=ContentBlockListOutputSerializer,
        summary="Content blocks of a placement for the current visitor",
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        viewer = request_viewer(request)
        audience = {"segment_ids": viewer.segment_ids, "is_authenticated": viewer.is_authenticated}
        scope: dict[str, object] = {}
        if slug := filters.validated_data.get("category"):
            category = category_get(slug=slug)
            if category is None or category.pk in hidden_category_ids(**audience):
                raise ApplicationError(
                    "Unknown category.", errors=[ErrorDetail(path="/category", message=f"no category '{slug}'")]
                )
            scope["category"] = category
        if sku := filters.validated_data.get("product"):
            product = Product.objects.select_related("category").filter(sku=sku).first()
            if product is None or not product_is_visible(product_id=product.pk, **audience):
                raise ApplicationError(
                    "Unknown product.", errors=[ErrorDetail(path="/product", message=f"no product '{sku}'")]
                )
            scope["product"] = product
            scope.setdefault("category", product.category)
        placement = filters.validated_data["placement"]
        blocks = content_blocks_for(placement=placement, now=timezone.now(), **audience, **scope)
        rows = [
            {
                "id": block.pk,
                "placement": block.placement,
                "kind": block.kind,
                "headline": block.headline,
                "text": block.text,
                "image_url": block.image.url if block.image else None,
                "link_url": block.link_url,
                "is_fallback": block.is_fallback,
                "products": content_block_product_list(block=block, **audience)
                if block.kind == ContentBlock.Kind.PRODUCT_CAROUSEL
                else [],
            }
            for block in blocks
        ]
        return Response(ContentBlockListOutputSerializer({"placement": placement, "blocks": rows}).data)
