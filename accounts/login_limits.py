"""Login rate limits: the django-axes hooks (settings `AXES_*`, `LOGIN_FAILURES_*`).

A failed login counts against the account (the email as typed, case-insensitive) and
against the client address. The account is locked after `LOGIN_FAILURES_PER_ACCOUNT`
failures, the address after `LOGIN_FAILURES_PER_ADDRESS` (higher: a wholesaler's office
shares one address), both within `LOGIN_COOLOFF_MINUTES`; the lock ends by itself when the
cool-off has passed. The shop login and the admin login go through the same check
(`django.contrib.auth.authenticate` with the request).
"""

from __future__ import annotations

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse


def login_account_key(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The account a login attempt is for: the email typed, trimmed and lower-cased."""
    source = credentials if credentials is not None else getattr(request, "POST", {})
    value = source.get(settings.AXES_USERNAME_FORM_FIELD) if source else None
    return str(value).strip().lower()[:255] if value else None


def login_client_address(request: HttpRequest) -> str | None:
    """The client address: REMOTE_ADDR, or with TRUSTED_PROXY_COUNT proxies in front, the address the
    outermost trusted proxy saw (X-Forwarded-For entries added by clients themselves are ignored)."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")


def _failures(attempts: QuerySet[AccessAttempt]) -> int:
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


class AccountOrAddressHandler(AxesDatabaseHandler):
    """Axes' database handler with one limit per account and another per address.

    Axes compares one failure count with one limit (`AXES_FAILURE_LIMIT`, the account's).
    The address's failures are scaled to that limit, so that the address reaches it exactly
    at `LOGIN_FAILURES_PER_ADDRESS` failures.
    """

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        account_attempts, address_attempts = self.get_user_attempts(request, credentials)  # AXES_LOCKOUT_PARAMETERS order
        account_limit, address_limit = settings.LOGIN_FAILURES_PER_ACCOUNT, settings.LOGIN_FAILURES_PER_ADDRESS
        account = _failures(account_attempts) if get_client_username(request, credentials) else 0
        address = _failures(address_attempts) * account_limit // address_limit
        return max(account, address)

    def reset_user_attempts(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        """A successful login clears the account's failures, not the address's: logging in to an
        account of one's own must not reset the count of guesses at other accounts."""
        username = get_client_username(request, credentials)
        if not username:
            return 0
        deleted, _ = AccessAttempt.objects.filter(username=username).delete()
        return deleted


def login_locked_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """The page a locked-out login gets: 429 with the wait, in the admin's or the shop's look."""
    minutes = settings.LOGIN_COOLOFF_MINUTES
    is_admin = request.path.startswith(reverse("admin:index"))
    template = "admin/login_locked.html" if is_admin else "registration/login_locked.html"
    context = {
        "title": "Too many failed logins",
        "cooloff_minutes": minutes,
        "password_reset_url": None if is_admin else reverse("shop-password-reset"),
    }
    if is_admin:
        from django.contrib import admin

        context.update(admin.site.each_context(request))
    response = TemplateResponse(request, template, context, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response.render()
