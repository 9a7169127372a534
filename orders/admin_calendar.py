"""Admin for the shop calendar: working weekdays and horizon, closed days, cut-off times.

Imported from orders/admin.py so that the models register with the admin site.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from b2bshop.weekdays import WEEKDAY_CODES, format_weekdays, weekday_numbers
from orders.models import ClosedDay, CutOff, ShopCalendar

WEEKDAY_LABELS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class ShopCalendarForm(forms.ModelForm):
    """Working weekdays as checkboxes, stored as the canonical 'mon,tue,...' string."""

    working_weekdays = forms.TypedMultipleChoiceField(
        choices=[(str(number), label) for number, label in enumerate(WEEKDAY_LABELS)],
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text="Days on which orders depart; only these count as working days for a product's notice.",
    )

    class Meta:
        model = ShopCalendar
        fields = ("working_weekdays", "horizon_days")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        stored = self.initial.get("working_weekdays")
        if isinstance(stored, str):
            self.initial["working_weekdays"] = [str(number) for number in sorted(weekday_numbers(stored))]

    def clean_working_weekdays(self) -> str:
        return format_weekdays(self.cleaned_data["working_weekdays"])


@admin.register(ShopCalendar)
class ShopCalendarAdmin(admin.ModelAdmin):
    form = ShopCalendarForm
    list_display = ("__str__", "working_days", "horizon_days", "updated_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not ShopCalendar.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: ShopCalendar | None = None) -> bool:
        return False

    @admin.display(description="Working weekdays")
    def working_days(self, obj: ShopCalendar) -> str:
        numbers = weekday_numbers(obj.working_weekdays)
        return ", ".join(WEEKDAY_LABELS[number][:3] for number in range(len(WEEKDAY_CODES)) if number in numbers)


@admin.register(ClosedDay)
class ClosedDayAdmin(admin.ModelAdmin):
    list_display = ("date", "recurs_yearly", "label")
    list_filter = ("recurs_yearly",)
    search_fields = ("label",)
    date_hierarchy = "date"


@admin.register(CutOff)
class CutOffAdmin(admin.ModelAdmin):
    list_display = ("weekday", "time")
    ordering = ("weekday",)
