import pytest
from django.test import Client

from segments.permissions import marketing_segment_permissions_grant
from tests.accounts.factories import ContactFactory, StaffUserFactory

STAFF_PASSWORD = "staff-pass-123"  # StaffUserFactory's


@pytest.fixture
def marketer(db):
    """Staff in the Marketing group, with the group's segment permissions."""
    user = StaffUserFactory(email="marketer@b2bshop.example")
    user.groups.add(marketing_segment_permissions_grant())
    return user


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
