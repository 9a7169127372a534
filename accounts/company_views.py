"""Company users for a company admin contact: list, invite, change role, deactivate and reactivate.

Anonymous visitors go to the login; staff, buyers and approvers get 403; another company's
contact is a 404. The rules live in accounts/company_user_services.py.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views import View

from accounts.company_user_selectors import company_contact_get, company_contact_list
from accounts.company_user_services import (
    company_contact_deactivate,
    company_contact_invite,
    company_contact_invite_resend,
    company_contact_reactivate,
    company_contact_role_set,
)
from accounts.models import Contact, User
from b2bshop.exceptions import ApplicationError
from catalog.shop_views import ShopPageMixin, shop_state


class InviteForm(forms.Form):
    email = forms.EmailField(max_length=254)
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    shop_role = forms.ChoiceField(choices=User.ShopRole.choices, initial=User.ShopRole.BUYER, label="Role")


class CompanyAdminRequiredMixin(ShopPageMixin):
    """Only an active contact with shop role admin; anonymous visitors go to the shop login.

    Checked in this order: anonymous -> login; staff -> 403; another company's user -> 404;
    a buyer or approver -> 403.
    """

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("shop-login"))
        contact = shop_state(request).contact
        if contact is None:
            raise PermissionDenied("Only a company admin can manage your company's users.")
        # Another company's user is a 404 for every contact, so the answer never depends on the role.
        if "pk" in kwargs and company_contact_get(company_id=contact.company_id, pk=kwargs["pk"]) is None:
            raise Http404("No such user.")
        if contact.shop_role != User.ShopRole.ADMIN:
            raise PermissionDenied("Only a company admin can manage your company's users.")
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]

    @property
    def admin(self) -> Contact:
        contact = shop_state(self.request).contact
        assert contact is not None
        return contact

    def get_contact(self, pk: int) -> Contact:
        contact = company_contact_get(company_id=self.admin.company_id, pk=pk)
        if contact is None:
            raise Http404("No such user.")
        return contact


class CompanyUserListView(CompanyAdminRequiredMixin, View):
    """GET: the company's contacts with their role and status. POST: invite a new contact."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.shop_render("shop/company/users.html", self._context(InviteForm()))

    def _context(self, form: InviteForm, error: str = "") -> dict:
        return {
            "contacts": company_contact_list(company_id=self.admin.company_id),
            "form": form,
            "error": error,
            "roles": User.ShopRole.choices,
        }

    def post(self, request: HttpRequest) -> HttpResponse:
        form = InviteForm(request.POST)
        if not form.is_valid():
            return self.shop_render("shop/company/users.html", self._context(form), status=400)
        try:
            contact = company_contact_invite(
                admin=self.admin, site_url=request.build_absolute_uri("/"), **form.cleaned_data
            )
        except ApplicationError as error:
            return self.shop_render("shop/company/users.html", self._context(form, error.message), status=400)
        messages.success(request, f"{contact.email} was added; we sent them an email to set their password.")
        return HttpResponseRedirect(reverse("shop-company-users"))


class CompanyUserRoleView(CompanyAdminRequiredMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        contact = self.get_contact(pk)
        try:
            company_contact_role_set(admin=self.admin, contact=contact, shop_role=request.POST.get("shop_role", ""))
        except ApplicationError as error:
            messages.error(request, error.message)
            return HttpResponseRedirect(reverse("shop-company-users"))
        messages.success(request, f"{contact.email} is now {contact.get_shop_role_display().lower()}.")
        if contact.pk == self.admin.pk and contact.shop_role != User.ShopRole.ADMIN:
            return HttpResponseRedirect(reverse("shop-home"))  # no longer allowed on this page
        return HttpResponseRedirect(reverse("shop-company-users"))


class CompanyUserDeactivateView(CompanyAdminRequiredMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        contact = self.get_contact(pk)
        try:
            company_contact_deactivate(admin=self.admin, contact=contact)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"{contact.email} was deactivated and can no longer log in.")
        return HttpResponseRedirect(reverse("shop-company-users"))


class CompanyUserReactivateView(CompanyAdminRequiredMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        contact = self.get_contact(pk)
        try:
            company_contact_reactivate(admin=self.admin, contact=contact)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"{contact.email} can log in again.")
        return HttpResponseRedirect(reverse("shop-company-users"))


class CompanyUserInviteResendView(CompanyAdminRequiredMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        contact = self.get_contact(pk)
        try:
            company_contact_invite_resend(admin=self.admin, contact=contact, site_url=request.build_absolute_uri("/"))
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"We sent {contact.email} a new link to set their password.")
        return HttpResponseRedirect(reverse("shop-company-users"))
