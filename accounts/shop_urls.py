from django.urls import path

from accounts import shop_views

urlpatterns = [
    path("account/login/", shop_views.ShopLoginView.as_view(), name="shop-login"),
    path("account/logout/", shop_views.ShopLogoutView.as_view(), name="shop-logout"),
    path("account/password-reset/", shop_views.ShopPasswordResetView.as_view(), name="shop-password-reset"),
    path(
        "account/password-reset/sent/",
        shop_views.ShopPasswordResetDoneView.as_view(),
        name="shop-password-reset-done",
    ),
    path(
        "account/reset/<uidb64>/<token>/",
        shop_views.ShopPasswordResetConfirmView.as_view(),
        name="shop-password-reset-confirm",
    ),
    path(
        "account/reset/done/",
        shop_views.ShopPasswordResetCompleteView.as_view(),
        name="shop-password-reset-complete",
    ),
]
