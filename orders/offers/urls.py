"""Offers API routes, included under api/ before the shop API (the quote lives under api/shop/cart/)."""

from django.urls import path

from orders.offers import api

urlpatterns = [
    path("shop/cart/quote/", api.CartQuoteApi.as_view(), name="shop-api-cart-quote"),
    path("promotions/", api.PromotionListApi.as_view(), name="promotion-list"),
    path("promotions/<int:pk>/", api.PromotionDetailApi.as_view(), name="promotion-detail"),
    path("shipping-rules/", api.ShippingRuleListApi.as_view(), name="shipping-rule-list"),
    path("shipping-rules/<int:pk>/", api.ShippingRuleDetailApi.as_view(), name="shipping-rule-detail"),
]
