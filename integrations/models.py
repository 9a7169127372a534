"""Records of the integrations: ERP connections and import runs."""

import hashlib

from django.db import models


class ErpConnection(models.Model):
    """A scoped API token for one ERP integration; only its SHA-256 digest is stored."""

    name = models.CharField(max_length=120, unique=True)
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "ERP connection"

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def digest(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()


class ImportRun(models.Model):
    """One ERP import (file or API push), with its counts and row errors."""

    class Entity(models.TextChoices):
        CATEGORIES = "categories", "Categories"
        COMPANIES = "companies", "Companies"
        CONTACTS = "contacts", "Contacts"
        PRODUCTS = "products", "Products"
        PRICES = "prices", "Prices"
        ORDERS = "orders", "Orders"

    class Source(models.TextChoices):
        FILE = "file", "File"
        API = "api", "API"

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        PARTIAL = "partial", "Succeeded with row errors"
        FAILED = "failed", "Failed"

    entity = models.CharField(max_length=16, choices=Entity.choices)
    source = models.CharField(max_length=8, choices=Source.choices)
    source_name = models.CharField(max_length=255, blank=True, help_text="File name or API connection.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    dry_run = models.BooleanField(default=False)
    strict = models.BooleanField(default=False)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True, help_text="File-level problem, e.g. a missing column.")
    errors = models.JSONField(default=list, blank=True, help_text="Row errors: line, column, value, message.")
    errors_truncated = models.BooleanField(default=False)
    connection = models.ForeignKey(ErpConnection, on_delete=models.SET_NULL, null=True, blank=True)
    triggered_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["entity", "status", "-finished_at"])]

    def __str__(self) -> str:
        return f"{self.entity} import {self.pk} ({self.status})"
