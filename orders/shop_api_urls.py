from django.urls import path

from orders import shop_api

urlpatterns = [
    path("delivery-moments/", shop_api.DeliveryMomentListApi.as_view(), name="shop-api-delivery-moments"),
    path("products/", shop_api.ShopProductListApi.as_view(), name="shop-api-products"),
    path("content/", shop_api.ShopContentApi.as_view(), name="shop-api-content"),
]
