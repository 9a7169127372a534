"""Password-reset mails are limited per account and per client address, without telling the visitor."""

from unittest import mock

import pytest

from accounts.password_reset_limits import WINDOW_SECONDS, password_reset_allowed
from tests.accounts.factories import ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def limits(settings):
    settings.PASSWORD_RESETS_PER_ACCOUNT_PER_HOUR = 2
    settings.PASSWORD_RESETS_PER_ADDRESS_PER_HOUR = 3


def _reset(client, email, address="10.0.0.1"):
    return client.post("/account/password-reset/", {"email": email}, REMOTE_ADDR=address)


class PasswordResetLimitTests:
    def test_an_account_gets_its_limit_of_mails_then_the_same_page_and_no_mail(self, client, limits, mailoutbox):
        ContactFactory(email="anna@a.example")

        answers = [_reset(client, "anna@a.example", address=f"10.0.0.{n}") for n in range(1, 5)]

        assert [answer["Location"] for answer in answers] == ["/account/password-reset/sent/"] * 4
        assert len(mailoutbox) == 2

    def test_the_account_is_the_email_whatever_its_case(self, client, limits, mailoutbox):
        ContactFactory(email="anna@a.example")
        for email in ("anna@a.example", "ANNA@a.example", " Anna@A.example"):
            _reset(client, email, address=f"10.0.1.{len(email)}")
        assert len(mailoutbox) == 2

    def test_one_address_asking_for_many_accounts_is_limited(self, client, limits, mailoutbox):
        for n in range(5):
            ContactFactory(email=f"buyer{n}@a.example")

        for n in range(5):
            _reset(client, f"buyer{n}@a.example")

        assert len(mailoutbox) == 3

    def test_the_limit_ends_with_the_hour(self, limits):
        start = 1_000 * WINDOW_SECONDS
        assert [password_reset_allowed(email="anna@a.example", address="10.0.0.9", now=start) for _ in range(3)] == [
            True, True, False,
        ]
        assert password_reset_allowed(email="anna@a.example", address="10.0.0.9", now=start + WINDOW_SECONDS) is True

    def test_without_a_cache_the_reset_still_works(self, client, limits, mailoutbox):
        ContactFactory(email="anna@a.example")
        with mock.patch("accounts.password_reset_limits.cache.incr", side_effect=ValueError("cache down")):
            for n in range(4):
                _reset(client, "anna@a.example", address=f"10.0.2.{n}")
        assert len(mailoutbox) == 4
