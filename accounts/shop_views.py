"""Buyer login by email and password, logout and password reset (mail goes through EMAIL_BACKEND)."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpResponseRedirect
from django.urls import reverse, reverse_lazy

from accounts.login_limits import login_client_address
from accounts.password_reset_limits import password_reset_allowed
from catalog.shop_views import safe_next


class ShopLoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return reverse("shop-home")

    def get_success_url(self) -> str:
        return safe_next(self.request, reverse("shop-home"))


class ShopLogoutView(auth_views.LogoutView):
    """POST only (Django's LogoutView refuses GET): the header's logout button is a form with CSRF."""

    next_page = reverse_lazy("shop-home")


class ShopPasswordResetView(auth_views.PasswordResetView):
    template_name = "registration/password_reset_form.html"
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("shop-password-reset-done")

    def form_valid(self, form):
        allowed = password_reset_allowed(email=form.cleaned_data["email"], address=login_client_address(self.request))
        if not allowed:
            # The same answer as a sent mail: the page must not tell which emails exist or are limited.
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


class ShopPasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "registration/password_reset_done.html"


class ShopPasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "registration/password_reset_confirm.html"
    success_url = reverse_lazy("shop-password-reset-complete")


class ShopPasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "registration/password_reset_complete.html"
