"""The project's URLs plus the storefront's, as b2bshop/urls.py will include them (docs/storefront.md)."""

from django.urls import include, path

from b2bshop.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("api/shop/", include("orders.shop_api_urls")),
    path("", include("accounts.shop_urls")),
    path("", include("orders.shop_urls")),
    path("", include("catalog.shop_urls")),
    *project_urlpatterns,
]
