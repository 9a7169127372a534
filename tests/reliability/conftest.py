"""Fixtures of the fault tests: an unreachable broker and cache, the shop's test data and clock."""

from unittest import mock

import pytest
from django.core.cache import cache
from django.test import override_settings
from rest_framework.test import APIClient

from b2bshop.celery import app as celery_app
from tests.integrations.mailchimp.conftest import members_set, standin  # noqa: F401  (the Mailchimp stand-in)
from tests.shop.conftest import NOW, shop_data  # noqa: F401  (shared test data of the shop pages)
from tests.shop.test_redis_down import UNREACHABLE_REDIS

# Nothing listens on port 1 of the loopback address: every connection is refused at once.
UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"


def _celery_connections_reset() -> None:
    """Celery caches its connection and producer pools; drop them so the next publish uses the current URL.

    Not closed: kombu keeps them in a process-wide registry per URL and hands them out again.
    """
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker_down():
    """Celery as in production (not eager), with its broker unreachable. Yields a switch back to eager."""
    saved = celery_app.conf.broker_url, celery_app.conf.task_always_eager
    celery_app.conf.broker_url, celery_app.conf.task_always_eager = UNREACHABLE_BROKER, False
    _celery_connections_reset()

    def broker_back_eager() -> None:
        """The broker is back; in the tests tasks then run in-process (eager), as a worker would run them."""
        celery_app.conf.broker_url, celery_app.conf.task_always_eager = saved
        _celery_connections_reset()

    try:
        yield broker_back_eager
    finally:
        celery_app.conf.broker_url, celery_app.conf.task_always_eager = saved
        _celery_connections_reset()


@pytest.fixture
def cache_down(settings):
    """The cache (Redis) is unreachable, with the project's django-redis options."""
    settings.DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = False
    with override_settings(CACHES=UNREACHABLE_REDIS):
        cache.set("probe", "value")
        assert cache.get("probe") is None, "the cache must really be unreachable for this test"
        yield


@pytest.fixture
def shop_now():
    """The shop pages' clock: Thursday 26 Nov 2026 10:00 in Amsterdam (next delivery Friday 27 Nov)."""
    with mock.patch("catalog.shop_views.timezone.now", return_value=NOW):
        yield NOW


@pytest.fixture
def marketer_api(marketer):
    client = APIClient()
    client.force_authenticate(marketer)
    return client
