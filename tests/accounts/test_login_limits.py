"""Login rate limits (django-axes): per account and per address, on the shop and the admin login."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from tests.accounts.factories import ContactFactory, StaffUserFactory

pytestmark = pytest.mark.django_db

BUYER_PASSWORD = "buyer-pass-123"
STAFF_PASSWORD = "staff-pass-123"


@pytest.fixture
def limits(settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = 3
    settings.LOGIN_FAILURES_PER_ADDRESS = 6
    settings.AXES_FAILURE_LIMIT = 3
    settings.LOGIN_COOLOFF_MINUTES = 15
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    return settings


def _shop_login(client, email, password, address="10.0.0.1", **extra):
    return client.post(reverse("shop-login"), {"username": email, "password": password}, REMOTE_ADDR=address, **extra)


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def _pass_the_cool_off(minutes=16):
    """Time passes: every recorded failure moves into the past."""
    for attempt in AccessAttempt.objects.all():
        attempt.attempt_time -= timedelta(minutes=minutes)
        attempt.save(update_fields=["attempt_time"])


class PerAccountTests:
    def test_the_account_locks_after_its_limit_even_from_changing_addresses(self, client, limits):
        buyer = ContactFactory(email="buyer@shop.example")
        assert _shop_login(client, buyer.email, "wrong", "10.0.0.1").status_code == 200  # the form, with its error
        assert _shop_login(client, buyer.email, "wrong", "10.0.0.2").status_code == 200
        third = _shop_login(client, buyer.email, "wrong", "10.0.0.3")
        assert third.status_code == 429

        locked = _shop_login(client, buyer.email, BUYER_PASSWORD, "10.0.0.4")
        assert locked.status_code == 429
        assert not _logged_in(client)

    def test_the_account_is_the_email_whatever_its_case(self, client, limits):
        buyer = ContactFactory(email="buyer@shop.example")
        for email in ("Buyer@shop.example", "BUYER@SHOP.EXAMPLE", " buyer@shop.example"):
            _shop_login(client, email, "wrong", "10.0.0.9")
        assert _shop_login(client, buyer.email, BUYER_PASSWORD, "10.0.0.10").status_code == 429

    def test_other_accounts_from_other_addresses_still_log_in(self, client, limits):
        ContactFactory(email="victim@shop.example")
        other = ContactFactory(email="other@shop.example")
        for index in range(3):
            _shop_login(client, "victim@shop.example", "wrong", f"10.0.1.{index}")
        response = _shop_login(client, other.email, BUYER_PASSWORD, "10.0.2.1")
        assert response.status_code == 302 and _logged_in(client)

    def test_the_lock_ends_after_the_cool_off(self, client, limits):
        buyer = ContactFactory(email="buyer@shop.example")
        for index in range(3):
            _shop_login(client, buyer.email, "wrong", f"10.0.0.{index}")
        assert _shop_login(client, buyer.email, BUYER_PASSWORD).status_code == 429

        _pass_the_cool_off()

        response = _shop_login(client, buyer.email, BUYER_PASSWORD)
        assert response.status_code == 302 and _logged_in(client)

    def test_a_success_before_the_limit_clears_the_accounts_failures(self, client, limits):
        buyer = ContactFactory(email="buyer@shop.example")
        _shop_login(client, buyer.email, "wrong", "10.0.0.1")
        _shop_login(client, buyer.email, "wrong", "10.0.0.2")
        assert _shop_login(client, buyer.email, BUYER_PASSWORD, "10.0.0.3").status_code == 302
        client.logout()
        _shop_login(client, buyer.email, "wrong", "10.0.0.4")
        _shop_login(client, buyer.email, "wrong", "10.0.0.5")
        assert _shop_login(client, buyer.email, BUYER_PASSWORD, "10.0.0.6").status_code == 302


class PerAddressTests:
    def test_an_address_locks_after_its_limit_across_accounts(self, client, limits):
        for index in range(6):
            _shop_login(client, f"guess{index}@shop.example", "wrong", "192.0.2.7")
        buyer = ContactFactory(email="buyer@shop.example")

        assert _shop_login(client, buyer.email, BUYER_PASSWORD, "192.0.2.7").status_code == 429
        assert not _logged_in(client)
        # The same account from another address is fine: only the address is locked.
        assert _shop_login(client, buyer.email, BUYER_PASSWORD, "192.0.2.8").status_code == 302

    def test_below_the_address_limit_nothing_is_locked(self, client, limits):
        for index in range(5):
            _shop_login(client, f"guess{index}@shop.example", "wrong", "192.0.2.7")
        buyer = ContactFactory(email="buyer@shop.example")
        assert _shop_login(client, buyer.email, BUYER_PASSWORD, "192.0.2.7").status_code == 302

    def test_logging_in_to_an_own_account_does_not_clear_the_address(self, client, limits):
        own = ContactFactory(email="own@shop.example")
        for index in range(5):
            _shop_login(client, f"guess{index}@shop.example", "wrong", "192.0.2.7")
        assert _shop_login(client, own.email, BUYER_PASSWORD, "192.0.2.7").status_code == 302
        client.logout()
        assert _shop_login(client, "guess9@shop.example", "wrong", "192.0.2.7").status_code == 429

    def test_the_address_lock_ends_after_the_cool_off(self, client, limits):
        for index in range(6):
            _shop_login(client, f"guess{index}@shop.example", "wrong", "192.0.2.7")
        buyer = ContactFactory(email="buyer@shop.example")
        assert _shop_login(client, buyer.email, BUYER_PASSWORD, "192.0.2.7").status_code == 429
        _pass_the_cool_off()
        assert _shop_login(client, buyer.email, BUYER_PASSWORD, "192.0.2.7").status_code == 302

    def test_a_forwarded_for_header_is_ignored_without_trusted_proxies(self, client, limits):
        for index in range(6):
            _shop_login(client, f"guess{index}@shop.example", "wrong", "192.0.2.7", HTTP_X_FORWARDED_FOR=f"203.0.113.{index}")
        buyer = ContactFactory(email="buyer@shop.example")
        assert _shop_login(client, buyer.email, BUYER_PASSWORD, "192.0.2.7").status_code == 429

    def test_behind_a_trusted_proxy_the_forwarded_address_counts(self, client, limits):
        limits.TRUSTED_PROXY_COUNT = 1
        for index in range(6):
            # The proxy (REMOTE_ADDR 10.1.1.1) appends the client's address; a client-sent entry comes before it.
            _shop_login(client, f"guess{index}@shop.example", "wrong", "10.1.1.1", HTTP_X_FORWARDED_FOR=f"1.2.3.4, 198.51.100.{index % 2}")
        buyer = ContactFactory(email="buyer@shop.example")
        assert _shop_login(client, buyer.email, BUYER_PASSWORD, "10.1.1.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.0").status_code == 302
        client.logout()
        assert _shop_login(client, buyer.email, BUYER_PASSWORD, "10.1.1.1", HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 302


class LockoutPageTests:
    def test_the_shop_lockout_page_is_clear_and_says_how_long(self, client, limits):
        buyer = ContactFactory(email="buyer@shop.example")
        for _ in range(3):
            response = _shop_login(client, buyer.email, "wrong")
        assert response.status_code == 429
        assert response["Retry-After"] == str(15 * 60)
        html = response.content.decode()
        assert "Too many failed logins" in html and "15 minutes" in html
        assert 'data-testid="login-locked"' in html
        assert reverse("shop-password-reset") in html
        assert "Content-Security-Policy" in response

    def test_the_admin_login_locks_too_with_an_admin_page(self, client, limits):
        staff = StaffUserFactory(email="staff@b2bshop.example")
        url = reverse("admin:login")
        for _ in range(3):
            response = client.post(url, {"username": staff.email, "password": "wrong"}, REMOTE_ADDR="10.0.0.1")
        assert response.status_code == 429
        assert "Logging in is blocked for 15 minutes" in response.content.decode()
        assert "admin/css/base.css" in response.content.decode()

        response = client.post(url, {"username": staff.email, "password": STAFF_PASSWORD}, REMOTE_ADDR="10.0.0.2")
        assert response.status_code == 429
        assert not _logged_in(client)

    def test_shop_and_admin_count_against_the_same_account(self, client, limits):
        staff = StaffUserFactory(email="staff@b2bshop.example")
        _shop_login(client, staff.email, "wrong")
        _shop_login(client, staff.email, "wrong")
        response = client.post(reverse("admin:login"), {"username": staff.email, "password": "wrong"}, REMOTE_ADDR="10.0.0.3")
        assert response.status_code == 429

    def test_the_limits_come_from_settings(self, client, limits):
        limits.LOGIN_FAILURES_PER_ACCOUNT = limits.AXES_FAILURE_LIMIT = 5
        buyer = ContactFactory(email="buyer@shop.example")
        for index in range(4):
            assert _shop_login(client, buyer.email, "wrong", f"10.0.3.{index}").status_code == 200
        assert _shop_login(client, buyer.email, BUYER_PASSWORD, "10.0.3.9").status_code == 302
