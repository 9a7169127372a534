"""A URLconf with an admin site holding only the calendar admin, until orders/admin.py imports it."""

from django.contrib.admin import AdminSite
from django.urls import path

from orders.admin_calendar import ClosedDayAdmin, CutOffAdmin, ShopCalendarAdmin
from orders.models import ClosedDay, CutOff, ShopCalendar

site = AdminSite(name="admin")
site.register(ShopCalendar, ShopCalendarAdmin)
site.register(ClosedDay, ClosedDayAdmin)
site.register(CutOff, CutOffAdmin)

urlpatterns = [path("admin/", site.urls)]
