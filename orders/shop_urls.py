from django.urls import path

from orders import order_list_views, shop_views

urlpatterns = [
    path("cart/", shop_views.CartView.as_view(), name="shop-cart"),
    path("cart/lines/", shop_views.CartLineView.as_view(), name="shop-cart-line"),
    path("cart/coupon/", shop_views.CartCouponView.as_view(), name="shop-cart-coupon"),
    path("quick-order/", shop_views.QuickOrderView.as_view(), name="shop-quick-order"),
    path("checkout/", shop_views.CheckoutView.as_view(), name="shop-checkout"),
    path("orders/", shop_views.OrderListView.as_view(), name="shop-orders"),
    path("orders/<int:pk>/", shop_views.OrderDetailView.as_view(), name="shop-order"),
    path("orders/<int:pk>/reorder/", shop_views.ReorderView.as_view(), name="shop-reorder"),
    # Order lists (favourites): docs/self-service.md
    path("lists/", order_list_views.OrderListIndexView.as_view(), name="shop-lists"),
    path("lists/add/", order_list_views.OrderListAddView.as_view(), name="shop-list-add"),
    path("lists/from-cart/", order_list_views.OrderListFromCartView.as_view(), name="shop-list-from-cart"),
    path("lists/<int:pk>/", order_list_views.OrderListDetailView.as_view(), name="shop-list"),
    path("lists/<int:pk>/items/", order_list_views.OrderListItemView.as_view(), name="shop-list-item"),
    path("lists/<int:pk>/rename/", order_list_views.OrderListRenameView.as_view(), name="shop-list-rename"),
    path("lists/<int:pk>/delete/", order_list_views.OrderListDeleteView.as_view(), name="shop-list-delete"),
    path("lists/<int:pk>/to-cart/", order_list_views.OrderListToCartView.as_view(), name="shop-list-to-cart"),
]
