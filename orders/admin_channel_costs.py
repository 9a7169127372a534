"""Admin for the handling cost per order channel (the marketer insight's cost per order).

Imported from orders/admin.py so that the model registers with the admin site. Marketers
keep these figures themselves: the Marketing group has every permission on them.
"""

from __future__ import annotations

from django.contrib import admin

from orders.models import ChannelCost


@admin.register(ChannelCost)
class ChannelCostAdmin(admin.ModelAdmin):
    list_display = ("channel", "cost_per_order", "updated_at")
    list_editable = ("cost_per_order",)
    fields = ("channel", "cost_per_order")
