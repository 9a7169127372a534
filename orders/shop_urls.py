from django.urls import path

from orders import shop_views

urlpatterns = [
    path("cart/", shop_views.CartView.as_view(), name="shop-cart"),
    path("cart/lines/", shop_views.CartLineView.as_view(), name="shop-cart-line"),
    path("quick-order/", shop_views.QuickOrderView.as_view(), name="shop-quick-order"),
    path("checkout/", shop_views.CheckoutView.as_view(), name="shop-checkout"),
    path("orders/", shop_views.OrderListView.as_view(), name="shop-orders"),
    path("orders/<int:pk>/", shop_views.OrderDetailView.as_view(), name="shop-order"),
    path("orders/<int:pk>/reorder/", shop_views.ReorderView.as_view(), name="shop-reorder"),
]
