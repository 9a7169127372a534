import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from accounts.services import MARKETING_GROUP_NAME
from tests.accounts.factories import ContactFactory, StaffUserFactory


@pytest.fixture
def marketer(db):
    user = StaffUserFactory(email="marketer@b2bshop.example")
    user.groups.add(Group.objects.get_or_create(name=MARKETING_GROUP_NAME)[0])
    return user


@pytest.fixture
def marketer_client(marketer):
    client = APIClient()
    client.force_authenticate(marketer)
    return client


@pytest.fixture
def buyer_client(db):
    client = APIClient()
    client.force_authenticate(ContactFactory())
    return client
