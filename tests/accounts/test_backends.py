"""The login backend loads a request's contact with its company in one query (accounts.backends)."""

import pytest
from django.contrib.auth import get_user
from django.test import Client, RequestFactory

from accounts.backends import ShopUserBackend
from accounts.models import Contact, User
from tests.accounts.factories import CompanyFactory, ContactFactory

pytestmark = pytest.mark.django_db


def test_a_contact_comes_as_contact_with_its_company_in_one_query(django_assert_num_queries):
    contact = ContactFactory(company=CompanyFactory(name="Bloemen A"))
    with django_assert_num_queries(1):
        user = ShopUserBackend().get_user(contact.pk)
        assert isinstance(user, Contact)
        assert user.company.name == "Bloemen A"
        assert user.email == contact.email


def test_a_staff_user_stays_a_plain_user(django_assert_num_queries):
    staff = User.objects.create_user(email="marketer@example.com", password="x" * 12, is_staff=True)
    with django_assert_num_queries(1):
        user = ShopUserBackend().get_user(staff.pk)
    assert type(user) is User
    assert user.pk == staff.pk and user.is_staff and user.company_id is None
    assert not user._state.adding
    user.first_name = "Mia"
    user.save(update_fields=["first_name"])  # an ordinary, saved row
    assert User.objects.get(pk=staff.pk).first_name == "Mia"


def test_inactive_and_unknown_users_are_nobody():
    inactive = ContactFactory(is_active=False)
    assert ShopUserBackend().get_user(inactive.pk) is None
    assert ShopUserBackend().get_user(0) is None


def test_a_logged_in_request_gets_the_contact_and_a_deactivated_one_is_logged_out():
    contact = ContactFactory()
    client = Client()
    client.force_login(contact)
    request = RequestFactory().get("/")
    request.session = client.session
    user = get_user(request)
    assert isinstance(user, Contact) and user.pk == contact.pk

    User.objects.filter(pk=contact.pk).update(is_active=False)
    assert not get_user(request).is_authenticated
