from django.urls import path

from accounts import company_views, shop_views

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
    # Company users for a company admin: docs/self-service.md
    path("account/company/users/", company_views.CompanyUserListView.as_view(), name="shop-company-users"),
    path(
        "account/company/users/<int:pk>/role/",
        company_views.CompanyUserRoleView.as_view(),
        name="shop-company-user-role",
    ),
    path(
        "account/company/users/<int:pk>/deactivate/",
        company_views.CompanyUserDeactivateView.as_view(),
        name="shop-company-user-deactivate",
    ),
    path(
        "account/company/users/<int:pk>/reactivate/",
        company_views.CompanyUserReactivateView.as_view(),
        name="shop-company-user-reactivate",
    ),
    path(
        "account/company/users/<int:pk>/invite/",
        company_views.CompanyUserInviteResendView.as_view(),
        name="shop-company-user-invite",
    ),
]
