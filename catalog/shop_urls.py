from django.urls import path

from catalog import shop_views

urlpatterns = [
    path("", shop_views.ShopHomeView.as_view(), name="shop-home"),
    path("delivery-moment/", shop_views.MomentSelectView.as_view(), name="shop-moment-set"),
    path("c/<slug:slug>/", shop_views.CategoryView.as_view(), name="shop-category"),
    path("search/", shop_views.SearchView.as_view(), name="shop-search"),
    path("p/<str:sku>/", shop_views.ProductDetailView.as_view(), name="shop-product"),
]
