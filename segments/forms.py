"""The segment admin form: the rule travels as JSON in a hidden input filled by the visual builder.

The form only adapts: it validates through `segments.services.segment_rule_check` (the
validator plus reference checks) so every problem shows in the page, and the admin
saves through `segment_save`. A rule that fails here is never saved.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import transaction
from django.utils.text import slugify

from b2bshop.exceptions import ErrorDetail
from segments.fields import NAMESPACE_LABELS, OPERATOR_LABELS, VALUELESS_OPERATORS, WINDOW_NAMES, FieldRegistry, FieldType
from segments.models import Segment
from segments.rules import referenced_segment_slugs
from segments.services import SegmentCycleError, segment_rule_check, segment_save
from segments.validation import RuleValidationError

EMPTY_RULE: dict[str, list[Any]] = {"all": []}
_DATE_TYPES = (FieldType.DATE, FieldType.DATETIME)


def rule_builder_registry(registry: FieldRegistry) -> dict[str, Any]:
    """What the builder needs from the registry, the same shape as GET /api/segment-fields/.

    Adds `nullable` for date fields, so the builder can offer "or never" (any of
    is_empty and more_than_days_ago) only where a date can be empty.
    """
    return {
        "namespaces": [{"key": key, "label": label} for key, label in NAMESPACE_LABELS.items()],
        "fields": [
            {
                "key": spec.key, "namespace": spec.namespace, "type": str(spec.type), "label": spec.label,
                "help_text": spec.help_text,
                "operators": [{"op": op, "label": OPERATOR_LABELS[op]} for op in spec.operators],
                "choices": [{"value": value, "label": label} for value, label in spec.choices],
                "windowed": spec.windowed, "reference": spec.reference, "unit": spec.unit,
                "nullable": spec.type in _DATE_TYPES and bool(getattr(spec.source, "nullable", False)),
            }
            for spec in registry
        ],
        "valueless_operators": sorted(VALUELESS_OPERATORS),
        "windows": [*WINDOW_NAMES, "last_days", "range"],
    }


def rule_error_location(path: str) -> str:
    """A JSON pointer as a marketer reads it: "/all/1/any/0/value" -> "Condition 2.1"."""
    tokens = [token for token in path.split("/") if token]
    pairs = zip(tokens, tokens[1:], strict=False)
    numbers = [str(int(index) + 1) for kind, index in pairs if kind in ("all", "any") and index.isdigit()]
    return f"Condition {'.'.join(numbers)}" if numbers else "Rule"


class RuleBuilderWidget(forms.HiddenInput):
    """The rule JSON in a hidden input, plus the element the builder script draws into."""

    template_name = "admin/segments/segment/rule_builder_widget.html"

    class Media:
        css = {"all": ("segments/rule-builder.css",)}
        js = ("segments/rule-builder.js",)

    @property
    def is_hidden(self) -> bool:
        return False  # the input is hidden, the builder is not: the admin shows the row

    def format_value(self, value: Any) -> str:
        return value if isinstance(value, str) else forms.JSONField().prepare_value(value)


class _DryRun(Exception):
    """Rolls back a trial save."""


class SegmentAdminForm(forms.ModelForm):
    rule = forms.JSONField(widget=RuleBuilderWidget, initial=EMPTY_RULE)

    class Meta:
        model = Segment
        fields = ("name", "slug", "description", "is_active", "rule")
        widgets = {"description": forms.Textarea(attrs={"rows": 2, "cols": 60})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rule_errors: list[dict[str, str]] = []
        if "slug" in self.fields:
            self.fields["slug"].required = False
            self.fields["slug"].help_text = (
                "Used in the API, in exports and by other segments' rules; derived from the name when empty."
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if "slug" in self.fields and not cleaned.get("slug") and cleaned.get("name"):
            cleaned["slug"] = slugify(cleaned["name"])[:120]
        if "rule" not in cleaned:
            return cleaned
        slug = cleaned.get("slug") or self.instance.slug
        try:
            node = segment_rule_check(rule=cleaned["rule"], own_slug=slug or None)
        except RuleValidationError as error:
            self._add_rule_errors(error.errors)
            return cleaned
        if self.instance.pk and referenced_segment_slugs(node):
            self._add_rule_errors(self._cycle_errors(cleaned["rule"]))
        return cleaned

    def _cycle_errors(self, rule: Any) -> list[ErrorDetail]:
        """Would saving the rule make segments refer to each other in a circle? Ask the service, then roll back."""
        current = Segment.objects.get(pk=self.instance.pk)
        try:
            with transaction.atomic():
                segment_save(segment=current, name=current.name, slug=current.slug, rule=rule, refresh=False)
                raise _DryRun
        except _DryRun:
            return []
        except SegmentCycleError as error:
            return list(error.errors)

    def _add_rule_errors(self, errors: list[ErrorDetail] | tuple[ErrorDetail, ...]) -> None:
        if not errors:
            return
        self.rule_errors.extend(error.as_dict() for error in errors)
        self.add_error("rule", [f"{rule_error_location(error.path)}: {error.message}" for error in errors])

