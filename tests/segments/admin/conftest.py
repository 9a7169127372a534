import pytest
from django.test import Client

from tests.accounts.factories import ContactFactory, StaffUserFactory

STAFF_PASSWORD = "staff-pass-123"  # StaffUserFactory's


@pytest.fixture
def marketer_client(marketer):
    client = Client()
    client.force_login(marketer)
    return client


@pytest.fixture
def superuser_client(db):
    client = Client()
    client.force_login(StaffUserFactory(email="root@b2bshop.example", is_superuser=True))
    return client


@pytest.fixture
def staff_client(db):
    """Staff without the Marketing group."""
    client = Client()
    client.force_login(StaffUserFactory(email="ops@b2bshop.example"))
    return client


@pytest.fixture
def buyer_client(db):
    client = Client()
    client.force_login(ContactFactory())
    return client
