"""A company admin manages their company's contacts: invite, change the shop role, deactivate, reactivate.

Rules (docs/self-service.md): only an active contact with shop role `admin` may do this, and
only for contacts of their own company (any other contact is a 404). A company always keeps
at least one active admin, and an admin cannot deactivate themselves. Changes that segment
rules can see (a new contact, `is_active`) re-evaluate that contact through the segment
engine after commit; the invitation mail is sent after commit too.
"""

from __future__ import annotations

from functools import partial

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import Company, Contact, User
from b2bshop.exceptions import ApplicationError, ErrorDetail
from segments.services import contacts_reevaluate_enqueue

NAME_MAX_LENGTH = 150


class CompanyAdminRequiredError(ApplicationError):
    """Only an active company admin contact manages the company's users."""

    status_code = 403


class CompanyContactNotFoundError(ApplicationError):
    """The contact does not belong to the admin's company (another company's contact looks the same)."""

    status_code = 404


class CompanyContactInputError(ApplicationError):
    pass


class CompanyLastAdminError(ApplicationError):
    """The change would leave the company without an active admin."""


class CompanyAdminSelfLockoutError(ApplicationError):
    """An admin cannot deactivate their own account."""


def _check_admin(admin: Contact) -> None:
    if admin.company_id is None or not admin.is_active or admin.shop_role != User.ShopRole.ADMIN:
        raise CompanyAdminRequiredError("Only a company admin can manage your company's users.")


def _check_same_company(*, admin: Contact, contact: Contact) -> None:
    if contact.company_id != admin.company_id:
        raise CompanyContactNotFoundError("User not found.")


def _lock_company(admin: Contact) -> Company:
    """Serialise admin changes per company, and re-check the acting admin under the lock.

    Two admins demoting each other at once cannot both succeed, and an admin demoted or
    deactivated a moment ago (a stale object) can no longer act.
    """
    company = Company.objects.select_for_update().get(pk=admin.company_id)
    still_admin = Contact.objects.filter(
        pk=admin.pk, company_id=company.pk, shop_role=User.ShopRole.ADMIN, is_active=True
    ).exists()
    if not still_admin:
        raise CompanyAdminRequiredError("Only a company admin can manage your company's users.")
    return company


def _other_active_admins(*, contact: Contact) -> bool:
    return (
        Contact.objects.filter(company_id=contact.company_id, shop_role=User.ShopRole.ADMIN, is_active=True)
        .exclude(pk=contact.pk)
        .exists()
    )


def _shop_role_clean(shop_role: str) -> str:
    if shop_role not in User.ShopRole.values:
        raise CompanyContactInputError(
            "Choose a role: buyer, approver or company admin.",
            errors=[ErrorDetail(path="/shop_role", message=f"one of {', '.join(User.ShopRole.values)}")],
        )
    return shop_role


def _name_clean(value: str, *, path: str) -> str:
    cleaned = " ".join((value or "").split())
    if len(cleaned) > NAME_MAX_LENGTH:
        raise CompanyContactInputError(
            f"A name has at most {NAME_MAX_LENGTH} characters.",
            errors=[ErrorDetail(path=path, message=f"at most {NAME_MAX_LENGTH} characters")],
        )
    return cleaned


def company_contact_invite_send(*, contact: Contact, site_url: str) -> None:
    """Mail the contact a link to set their password (the shop's password-reset confirm page)."""
    path = reverse(
        "shop-password-reset-confirm",
        kwargs={"uidb64": urlsafe_base64_encode(force_bytes(contact.pk)), "token": default_token_generator.make_token(contact)},
    )
    context = {"contact": contact, "company": contact.company, "link": site_url.rstrip("/") + path}
    subject = " ".join(render_to_string("shop/company/invite_subject.txt", context).split())
    body = render_to_string("shop/company/invite_email.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [contact.email])


def company_contact_invite(
    *, admin: Contact, email: str, first_name: str, last_name: str, shop_role: str, site_url: str
) -> Contact:
    """Create an active contact of the admin's company without a password and mail them a password-set link.

    The email must not be in use by any account (the message does not say whose).
    """
    _check_admin(admin)
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise CompanyContactInputError(
            "Enter a valid email address.", errors=[ErrorDetail(path="/email", message="not a valid email address")]
        ) from None
    first_name = _name_clean(first_name, path="/first_name")
    last_name = _name_clean(last_name, path="/last_name")
    shop_role = _shop_role_clean(shop_role)
    with transaction.atomic():
        _lock_company(admin)
        if User.objects.filter(email__iexact=email).exists():
            raise CompanyContactInputError(
                "This email address already has an account. Ask the shop if it should move to your company.",
                errors=[ErrorDetail(path="/email", message="already in use")],
            )
        contact = Contact.objects.create_user(
            email,
            None,
            company_id=admin.company_id,
            first_name=first_name,
            last_name=last_name,
            shop_role=shop_role,
            language=admin.language,
        )
        contacts_reevaluate_enqueue(contact_ids=[contact.pk])
        transaction.on_commit(partial(company_contact_invite_send, contact=contact, site_url=site_url))
    return contact


@transaction.atomic
def company_contact_role_set(*, admin: Contact, contact: Contact, shop_role: str) -> Contact:
    """Change a contact's shop role; the company's last active admin cannot be demoted (themselves included)."""
    _check_admin(admin)
    _check_same_company(admin=admin, contact=contact)
    shop_role = _shop_role_clean(shop_role)
    _lock_company(admin)
    contact.refresh_from_db(fields=["shop_role", "is_active"])
    if contact.shop_role == shop_role:
        return contact
    if (
        contact.shop_role == User.ShopRole.ADMIN
        and contact.is_active
        and not _other_active_admins(contact=contact)
    ):
        raise CompanyLastAdminError(
            "Your company needs at least one active company admin: make someone else admin first."
        )
    contact.shop_role = shop_role
    contact.save(update_fields=["shop_role"])
    return contact


@transaction.atomic
def company_contact_deactivate(*, admin: Contact, contact: Contact) -> Contact:
    """Deactivate a contact: they can no longer log in, and their open sessions end. Orders stay."""
    _check_admin(admin)
    _check_same_company(admin=admin, contact=contact)
    if contact.pk == admin.pk:
        raise CompanyAdminSelfLockoutError("You cannot deactivate your own account.")
    _lock_company(admin)
    contact.refresh_from_db(fields=["shop_role", "is_active"])
    if not contact.is_active:
        return contact
    if contact.shop_role == User.ShopRole.ADMIN and not _other_active_admins(contact=contact):
        raise CompanyLastAdminError("Your company needs at least one active company admin.")
    contact.is_active = False
    contact.save(update_fields=["is_active"])
    contacts_reevaluate_enqueue(contact_ids=[contact.pk])
    return contact


@transaction.atomic
def company_contact_reactivate(*, admin: Contact, contact: Contact) -> Contact:
    _check_admin(admin)
    _check_same_company(admin=admin, contact=contact)
    _lock_company(admin)
    contact.refresh_from_db(fields=["is_active"])
    if contact.is_active:
        return contact
    contact.is_active = True
    contact.save(update_fields=["is_active"])
    contacts_reevaluate_enqueue(contact_ids=[contact.pk])
    return contact


@transaction.atomic
def company_contact_invite_resend(*, admin: Contact, contact: Contact, site_url: str) -> None:
    """Send the password-set mail again to an active contact who has not chosen a password yet."""
    _check_admin(admin)
    _check_same_company(admin=admin, contact=contact)
    contact.refresh_from_db(fields=["is_active", "password"])
    if not contact.is_active or contact.has_usable_password():
        raise CompanyContactInputError(f"{contact.email} has already chosen a password or is deactivated.")
    transaction.on_commit(partial(company_contact_invite_send, contact=contact, site_url=site_url))
