import pytest
from django.core import mail

from accounts.company_user_services import (
    CompanyAdminRequiredError,
    CompanyAdminSelfLockoutError,
    CompanyContactInputError,
    CompanyContactNotFoundError,
    CompanyLastAdminError,
    company_contact_deactivate,
    company_contact_invite,
    company_contact_invite_resend,
    company_contact_reactivate,
    company_contact_role_set,
)
from accounts.models import Contact, User
from tests.accounts.factories import CompanyFactory, ContactFactory

pytestmark = pytest.mark.django_db

SITE = "http://shop.example/"
ADMIN, BUYER, APPROVER = User.ShopRole.ADMIN, User.ShopRole.BUYER, User.ShopRole.APPROVER


@pytest.fixture
def company():
    return CompanyFactory(name="Bloemen A")


@pytest.fixture
def admin(company):
    return ContactFactory(company=company, company_admin=True, email="admin@a.example", language="en")


@pytest.fixture
def buyer(company):
    return ContactFactory(company=company, email="buyer@a.example")


@pytest.fixture
def other_company_contact():
    return ContactFactory(company=CompanyFactory(name="Bloemen B"), company_admin=True, email="admin@b.example")


def _invite(admin, **overrides):
    data = {"email": "new@a.example", "first_name": "Nina", "last_name": "Bakker", "shop_role": BUYER}
    return company_contact_invite(admin=admin, site_url=SITE, **{**data, **overrides})


class CompanyContactInviteTests:
    def test_creates_an_active_contact_without_password_and_mails_a_set_password_link(
        self, admin, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            contact = _invite(admin, email="  New@A.example ", shop_role=APPROVER)
        contact = Contact.objects.get(pk=contact.pk)
        assert (contact.email, contact.company_id, contact.shop_role) == ("new@a.example", admin.company_id, APPROVER)
        assert contact.is_active is True and contact.has_usable_password() is False
        assert contact.language == "en"
        (message,) = mail.outbox
        assert message.to == ["new@a.example"]
        assert "Bloemen A" in message.subject
        assert "http://shop.example/account/reset/" in message.body

    def test_the_link_lets_the_contact_choose_a_password_and_log_in(
        self, client, admin, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            contact = _invite(admin)
        link = next(line for line in mail.outbox[0].body.splitlines() if "/account/reset/" in line)
        path = link.removeprefix("http://shop.example")
        form_page = client.get(path, follow=True)
        assert form_page.status_code == 200
        client.post(form_page.redirect_chain[-1][0], {"new_password1": "Tulips-2026!", "new_password2": "Tulips-2026!"})
        contact.refresh_from_db()
        assert contact.check_password("Tulips-2026!") is True

    def test_no_mail_before_the_transaction_commits(self, admin, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            _invite(admin)
        assert mail.outbox == [] and len(callbacks) == 2  # the mail and the segment re-evaluation

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"email": "not-an-email"}, "valid email"),
            ({"email": ""}, "valid email"),
            ({"shop_role": "superuser"}, "Choose a role"),
            ({"first_name": "x" * 151}, "at most 150"),
        ],
    )
    def test_bad_input_is_refused(self, admin, overrides, message):
        with pytest.raises(CompanyContactInputError, match=message):
            _invite(admin, **overrides)
        assert not Contact.objects.filter(email="new@a.example").exists()

    def test_an_email_in_use_anywhere_is_refused(self, admin, other_company_contact):
        with pytest.raises(CompanyContactInputError, match="already has an account"):
            _invite(admin, email="ADMIN@b.example")
        other_company_contact.refresh_from_db()
        assert other_company_contact.company.name == "Bloemen B"

    @pytest.mark.parametrize("role", [BUYER, APPROVER])
    def test_only_a_company_admin_may_invite(self, company, role):
        contact = ContactFactory(company=company, shop_role=role)
        with pytest.raises(CompanyAdminRequiredError) as raised:
            _invite(contact)
        assert raised.value.status_code == 403

    def test_a_deactivated_admin_may_not_invite(self, admin):
        admin.is_active = False
        with pytest.raises(CompanyAdminRequiredError):
            _invite(admin)


class CompanyContactRoleSetTests:
    def test_changes_a_role(self, admin, buyer):
        company_contact_role_set(admin=admin, contact=buyer, shop_role=APPROVER)
        buyer.refresh_from_db()
        assert buyer.shop_role == APPROVER

    def test_the_last_admin_cannot_be_demoted_not_even_by_themselves(self, admin):
        with pytest.raises(CompanyLastAdminError, match="at least one active company admin"):
            company_contact_role_set(admin=admin, contact=admin, shop_role=BUYER)
        admin.refresh_from_db()
        assert admin.shop_role == ADMIN

    def test_an_admin_may_step_down_when_another_active_admin_remains(self, admin, buyer):
        company_contact_role_set(admin=admin, contact=buyer, shop_role=ADMIN)
        company_contact_role_set(admin=admin, contact=admin, shop_role=BUYER)
        admin.refresh_from_db()
        assert admin.shop_role == BUYER

    def test_an_inactive_admin_does_not_count_as_the_other_admin(self, admin, company):
        ContactFactory(company=company, company_admin=True, is_active=False)
        with pytest.raises(CompanyLastAdminError):
            company_contact_role_set(admin=admin, contact=admin, shop_role=APPROVER)

    def test_an_inactive_admin_may_be_demoted(self, admin, company):
        inactive = ContactFactory(company=company, company_admin=True, is_active=False)
        assert company_contact_role_set(admin=admin, contact=inactive, shop_role=BUYER).shop_role == BUYER

    def test_an_unknown_role_is_refused(self, admin, buyer):
        with pytest.raises(CompanyContactInputError):
            company_contact_role_set(admin=admin, contact=buyer, shop_role="owner")

    def test_another_companys_contact_is_not_found(self, admin, other_company_contact):
        with pytest.raises(CompanyContactNotFoundError) as raised:
            company_contact_role_set(admin=admin, contact=other_company_contact, shop_role=BUYER)
        assert raised.value.status_code == 404
        other_company_contact.refresh_from_db()
        assert other_company_contact.shop_role == ADMIN

    def test_a_buyer_cannot_promote_themselves(self, buyer):
        with pytest.raises(CompanyAdminRequiredError):
            company_contact_role_set(admin=buyer, contact=buyer, shop_role=ADMIN)


class CompanyContactDeactivateTests:
    def test_deactivates_and_reactivates_a_contact(self, admin, buyer):
        company_contact_deactivate(admin=admin, contact=buyer)
        buyer.refresh_from_db()
        assert buyer.is_active is False
        company_contact_reactivate(admin=admin, contact=buyer)
        buyer.refresh_from_db()
        assert buyer.is_active is True

    def test_re_evaluates_the_contacts_segments_after_commit(self, admin, buyer, django_capture_on_commit_callbacks):
        from unittest import mock

        with (
            mock.patch("segments.tasks.contacts_reevaluate_task.delay") as delay,
            django_capture_on_commit_callbacks(execute=True),
        ):
            company_contact_deactivate(admin=admin, contact=buyer)
        delay.assert_called_once_with(contact_ids=[buyer.pk])

    def test_an_admin_cannot_deactivate_themselves(self, admin, buyer):
        company_contact_role_set(admin=admin, contact=buyer, shop_role=ADMIN)  # even with another admin
        with pytest.raises(CompanyAdminSelfLockoutError, match="your own account"):
            company_contact_deactivate(admin=admin, contact=admin)
        admin.refresh_from_db()
        assert admin.is_active is True

    def test_admins_can_hand_over_and_the_company_keeps_an_active_admin(self, company):
        first = ContactFactory(company=company, company_admin=True)
        second = ContactFactory(company=company, company_admin=True)
        company_contact_deactivate(admin=second, contact=first)
        first.refresh_from_db()
        assert first.is_active is False
        # `second` is now the last active admin: neither a step down nor a self-deactivation is possible.
        with pytest.raises(CompanyLastAdminError):
            company_contact_role_set(admin=second, contact=second, shop_role=BUYER)
        with pytest.raises(CompanyAdminSelfLockoutError):
            company_contact_deactivate(admin=second, contact=second)

    def test_two_admins_cannot_remove_each_other(self, company):
        """Both act on what they loaded: the second call re-reads the rows under the company lock and refuses."""
        first = ContactFactory(company=company, company_admin=True)
        second = ContactFactory(company=company, company_admin=True)
        first_as_loaded, second_as_loaded = Contact.objects.get(pk=first.pk), Contact.objects.get(pk=second.pk)
        company_contact_deactivate(admin=first_as_loaded, contact=second_as_loaded)
        with pytest.raises(CompanyAdminRequiredError):
            company_contact_deactivate(admin=second_as_loaded, contact=first_as_loaded)
        with pytest.raises(CompanyAdminRequiredError):
            company_contact_role_set(admin=second_as_loaded, contact=first_as_loaded, shop_role=BUYER)
        assert Contact.objects.filter(company=company, shop_role=ADMIN, is_active=True).get() == first

    def test_another_companys_contact_is_not_found(self, admin, other_company_contact):
        with pytest.raises(CompanyContactNotFoundError):
            company_contact_deactivate(admin=admin, contact=other_company_contact)
        with pytest.raises(CompanyContactNotFoundError):
            company_contact_reactivate(admin=admin, contact=other_company_contact)
        other_company_contact.refresh_from_db()
        assert other_company_contact.is_active is True


class CompanyContactInviteResendTests:
    def test_resends_the_link_to_an_invited_contact(self, admin, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            contact = _invite(admin)
            company_contact_invite_resend(admin=admin, contact=contact, site_url=SITE)
        assert [message.to for message in mail.outbox] == [["new@a.example"], ["new@a.example"]]

    def test_not_to_a_contact_with_a_password(self, admin, buyer):
        with pytest.raises(CompanyContactInputError, match="already chosen a password"):
            company_contact_invite_resend(admin=admin, contact=buyer, site_url=SITE)
