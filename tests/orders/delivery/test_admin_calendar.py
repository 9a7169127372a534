"""The calendar admin: pages load, working weekdays are checkboxes, one calendar only."""

import datetime

import pytest
from django.urls import reverse

from accounts.models import User
from orders.models import ClosedDay, ShopCalendar
from tests.orders.delivery.factories import ClosedDayFactory, CutOffFactory, ShopCalendarFactory


@pytest.fixture
def admin_client(client, db, settings):
    settings.ROOT_URLCONF = "tests.orders.delivery.admin_urls"
    client.force_login(User.objects.create_superuser("admin@b2bshop.example", "admin-pass-123"))
    return client


@pytest.mark.django_db
class CalendarAdminTests:
    def test_pages_load(self, admin_client):
        calendar = ShopCalendarFactory()
        closed = ClosedDayFactory(christmas=True)
        cut_off = CutOffFactory()
        urls = [
            reverse("admin:orders_shopcalendar_changelist"),
            reverse("admin:orders_shopcalendar_change", args=[calendar.pk]),
            reverse("admin:orders_closedday_changelist"),
            reverse("admin:orders_closedday_add"),
            reverse("admin:orders_closedday_change", args=[closed.pk]),
            reverse("admin:orders_cutoff_changelist"),
            reverse("admin:orders_cutoff_add"),
            reverse("admin:orders_cutoff_change", args=[cut_off.pk]),
        ]
        for url in urls:
            assert admin_client.get(url).status_code == 200, url

    def test_working_weekdays_are_saved_as_the_canonical_string(self, admin_client):
        response = admin_client.post(
            reverse("admin:orders_shopcalendar_add"), {"working_weekdays": ["5", "0", "2"], "horizon_days": "21"}
        )
        assert response.status_code == 302
        calendar = ShopCalendar.objects.get()
        assert calendar.working_weekdays == "mon,wed,sat"
        assert calendar.horizon_days == 21

    def test_change_page_shows_the_stored_weekdays_checked(self, admin_client):
        calendar = ShopCalendarFactory(working_weekdays="tue,thu")
        response = admin_client.get(reverse("admin:orders_shopcalendar_change", args=[calendar.pk]))
        form = response.context["adminform"].form
        assert [int(value) for value in form.initial["working_weekdays"]] == [1, 3]

    def test_at_least_one_working_weekday(self, admin_client):
        response = admin_client.post(reverse("admin:orders_shopcalendar_add"), {"horizon_days": "28"})
        assert response.status_code == 200
        assert "working_weekdays" in response.context["adminform"].form.errors
        assert not ShopCalendar.objects.exists()

    def test_no_second_calendar_and_no_delete(self, admin_client):
        ShopCalendarFactory()
        assert admin_client.get(reverse("admin:orders_shopcalendar_add")).status_code == 403
        calendar = ShopCalendar.objects.get()
        assert admin_client.get(reverse("admin:orders_shopcalendar_delete", args=[calendar.pk])).status_code == 403

    def test_add_a_yearly_closed_day(self, admin_client):
        response = admin_client.post(
            reverse("admin:orders_closedday_add"), {"date": "2026-04-27", "recurs_yearly": "on", "label": "King's Day"}
        )
        assert response.status_code == 302
        assert ClosedDay.objects.get().recurs_yearly is True
        assert ClosedDay.objects.get().date == datetime.date(2026, 4, 27)
