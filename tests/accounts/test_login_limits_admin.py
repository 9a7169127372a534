"""The login limits' admin pages (accounts/login_limits_admin.py): django-axes' records, viewed and never
edited; deleting an account's access attempts lifts its lock."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.test import Client, RequestFactory
from django.urls import reverse

from tests.accounts.factories import ContactFactory, StaffUserFactory

pytestmark = pytest.mark.django_db

BUYER_PASSWORD = "buyer-pass-123"
RECORD = {
    "user_agent": "Firefox", "ip_address": "10.0.0.1", "username": "buyer@shop.example", "http_accept": "text/html",
    "path_info": "/account/login/",
}


@pytest.fixture
def root_client(superuser, admin_client_for):
    return admin_client_for(superuser)


def _url(model, action: str, pk: int) -> str:
    return reverse(f"admin:axes_{model._meta.model_name}_{action}", args=[pk])


def _snapshot(record) -> dict:
    return {field.attname: getattr(record, field.attname) for field in record._meta.concrete_fields}


class LoginRecordAdminTests:
    @pytest.mark.parametrize(
        "model, extra",
        [(AccessLog, {}), (AccessFailureLog, {"locked_out": False}), (AccessAttempt, {"get_data": "", "post_data": "",
                                                                                       "failures_since_start": 2})],
        ids=["access_log", "failure_log", "attempt"],
    )
    def test_a_superuser_views_a_record_and_a_post_to_it_writes_nothing(self, root_client, model, extra):
        record = model.objects.create(**RECORD, **extra)
        before = _snapshot(record)
        page = root_client.get(_url(model, "change", record.pk))
        assert page.status_code == 200
        assert 'name="_save"' not in page.content.decode()
        assert root_client.post(_url(model, "change", record.pk), {}).status_code == 403
        assert root_client.post(_url(model, "change", record.pk), {"username": "someone@else.example"}).status_code == 403
        assert _snapshot(model.objects.get(pk=record.pk)) == before
        assert LogEntry.objects.exists() is False

    @pytest.mark.parametrize("model, extra", [(AccessLog, {}), (AccessFailureLog, {"locked_out": True})],
                             ids=["access_log", "failure_log"])
    def test_logs_are_neither_added_nor_deleted(self, root_client, model, extra):
        record = model.objects.create(**RECORD, **extra)
        assert root_client.get(reverse(f"admin:axes_{model._meta.model_name}_add")).status_code == 403
        assert root_client.post(_url(model, "delete", record.pk), {"post": "yes"}).status_code == 403
        assert model.objects.filter(pk=record.pk).exists() is True


class LiftingALockTests:
    def test_deleting_the_accounts_attempts_lifts_its_lock(self, root_client, settings):
        settings.LOGIN_FAILURES_PER_ACCOUNT = settings.AXES_FAILURE_LIMIT = 3
        settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
        buyer = ContactFactory(email="buyer@shop.example")
        client = Client()  # the buyer's browser; root_client is the superuser's

        def login(password: str):
            return client.post(reverse("shop-login"), {"username": buyer.email, "password": password}, REMOTE_ADDR="10.0.0.1")

        for _ in range(3):
            login("wrong")
        assert login(BUYER_PASSWORD).status_code == 429
        for attempt in AccessAttempt.objects.all():
            assert root_client.post(_url(AccessAttempt, "delete", attempt.pk), {"post": "yes"}).status_code == 302
        assert AccessAttempt.objects.exists() is False
        assert login(BUYER_PASSWORD).status_code == 302
        assert "_auth_user_id" in client.session

    def test_only_who_may_delete_attempts_gets_the_actions_that_delete_them(self, superuser):
        viewer = StaffUserFactory(email="viewer@b2bshop.example")
        viewer.user_permissions.add(Permission.objects.get(content_type__app_label="axes", codename="view_accessattempt"))
        model_admin = admin.site._registry[AccessAttempt]
        actions = {}
        for user in (viewer, superuser):
            request = RequestFactory().get("/admin/axes/accessattempt/")
            request.user = user
            actions[user.email] = set(model_admin.get_actions(request))
        assert actions[viewer.email] == set()
        assert actions[superuser.email] == {"delete_selected", "cleanup_expired_attempts"}
