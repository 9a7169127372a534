"""Reads for a company admin: their company's contacts."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Contact


def company_contact_list(*, company_id: int) -> QuerySet[Contact]:
    """The company's contacts, active ones first, by email."""
    return Contact.objects.filter(company_id=company_id).order_by("-is_active", "email")


def company_contact_get(*, company_id: int, pk: int) -> Contact | None:
    """One contact of the company; None for another company's contact, staff or an unknown id (a 404)."""
    return Contact.objects.filter(company_id=company_id, pk=pk).first()
