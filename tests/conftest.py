import os
import shutil
from unittest import mock

import pytest
from django.db import connections
from django_redis.cache import RedisCache
from hypothesis import HealthCheck, settings

# Playwright's sync API keeps an event loop in the main thread; Django must still
# be allowed to set up and flush the test database from it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

settings.register_profile(
    "ci", deadline=None, max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
settings.register_profile(
    "dev", deadline=None, max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture(autouse=True)
def _empty_cache():
    """Ids are reused after a rolled-back test: a cached value must not outlive its test."""
    from django.core.cache import cache

    yield
    cache.clear()  # in Redis: this worker's keys only (see _isolated_cache)


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    """Uploaded files of a test go to a temporary folder; passwords hash fast."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache():
    """Parallel workers share one Redis in CI: give each its own key prefix, start empty."""
    from django.conf import settings as django_settings
    from django.core.cache import cache
    from django.test import override_settings

    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    caches = {name: {**config, "KEY_PREFIX": f"test-{worker}"} for name, config in django_settings.CACHES.items()}
    # django-redis' clear() flushes the whole database, other workers' keys (their sessions,
    # segment ids) included: in tests it clears only this worker's prefix.
    with override_settings(CACHES=caches), mock.patch.object(RedisCache, "clear", lambda self: self.delete_pattern("*")):
        cache.clear()
        yield


# ----------------------------------------------------------------- browser tests


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Drive Debian's Chromium (Playwright cannot download its own here); fail, never skip, without it."""
    executable = os.environ.get("CHROMIUM_EXECUTABLE") or shutil.which("chromium")
    if not executable:
        pytest.fail("Chromium not found: install Debian's chromium package (apt-get install chromium)")
    return {**browser_type_launch_args, "executable_path": executable}


@pytest.fixture(scope="session")
def browser(browser):
    """pytest-playwright's browser; at the end, close the database connections opened while Playwright ran.

    Playwright's event loop gives main-thread code its own context, and so its own
    connections; once Playwright stops, pytest-django can no longer see them, and
    PostgreSQL refuses to drop the test database while they are open.
    """
    yield browser
    connections.close_all()


@pytest.fixture
def screenshot_dir(tmp_path):
    """Where browser tests leave screenshots: $BROWSER_SCREENSHOT_DIR, or the test's temporary folder."""
    folder = os.environ.get("BROWSER_SCREENSHOT_DIR")
    if not folder:
        return tmp_path
    os.makedirs(folder, exist_ok=True)
    return folder


# ------------------------------------------------------------------ admin users


@pytest.fixture
def superuser(db):
    from accounts.models import User

    return User.objects.create_superuser("admin@b2bshop.example", "admin-pass-123")


@pytest.fixture
def marketer(db):
    """Staff in the Marketing group with all of the group's permissions, as the demo's marketer."""
    from accounts.services import marketing_group_ensure
    from segments.permissions import marketing_segment_permissions_grant
    from tests.accounts.factories import StaffUserFactory

    user = StaffUserFactory(email="marketer@b2bshop.example")
    marketing_segment_permissions_grant()  # the segments app adds its own permissions to the same group
    user.groups.add(marketing_group_ensure())
    return user


@pytest.fixture
def admin_client_for(client):
    def login(user):
        client.force_login(user)
        return client

    return login
