import pytest
from django.db import IntegrityError

from accounts.models import Contact, User
from tests.accounts.factories import CompanyFactory, ContactFactory, StaffUserFactory


@pytest.mark.django_db
class UserManagerTests:
    def test_create_user_normalizes_the_whole_email_to_lower_case(self):
        user = User.objects.create_user("Anna.de.Vries@Example.COM", "secret-123")
        assert user.email == "anna.de.vries@example.com"
        assert user.check_password("secret-123") is True

    def test_create_user_without_password_has_no_usable_password(self):
        user = User.objects.create_user("imported@example.com")
        assert user.has_usable_password() is False

    def test_login_lookup_is_case_insensitive(self):
        User.objects.create_user("buyer@example.com", "secret-123")
        assert User.objects.get_by_natural_key(" Buyer@Example.com ").email == "buyer@example.com"


@pytest.mark.django_db
class ContactTests:
    def test_contacts_are_users_with_a_company_and_staff_are_not(self):
        contact = ContactFactory()
        staff = StaffUserFactory()
        assert list(Contact.objects.values_list("pk", flat=True)) == [contact.pk]
        assert contact.is_contact is True
        assert staff.is_contact is False

    def test_email_is_unique(self):
        ContactFactory(email="one@example.com")
        with pytest.raises(IntegrityError):
            User.objects.create(email="one@example.com", company=CompanyFactory())
