"""Buyer API (spec/api.md): delivery moments and the assortment for a moment.

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
        products = Product.objects.all()
        if slug := filters.validated_data.get("category"):
            category = category_get(slug=slug)
            if category is None:
                raise ApplicationError(
                    "Unknown category.", errors=[ErrorDetail(path="/category", message=f"no category '{slug}'")]
                )
            products = category_products(category=category)
        queryset = shop_product_queryset(products=products, moment=moment, calendar=calendar, now=now, company=company)
        paginator = PageNumberPagination()
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
