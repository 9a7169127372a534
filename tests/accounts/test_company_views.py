import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import Contact, User
from tests.accounts.factories import CompanyFactory, ContactFactory, StaffUserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.shop.urls")]

ADMIN, BUYER, APPROVER = User.ShopRole.ADMIN, User.ShopRole.BUYER, User.ShopRole.APPROVER


@pytest.fixture(autouse=True)
def _no_celery():
    from unittest import mock

    with mock.patch("segments.tasks.contacts_reevaluate_task.delay"):
        yield


@pytest.fixture
def company():
    return CompanyFactory(name="Bloemen A")


@pytest.fixture
def admin(company):
    return ContactFactory(company=company, company_admin=True, email="admin@a.example", first_name="Ada")


@pytest.fixture
def buyer(company):
    return ContactFactory(company=company, email="buyer@a.example", first_name="Bo")


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def _urls(contact):
    return [
        ("get", reverse("shop-company-users")),
        ("post", reverse("shop-company-users")),
        ("post", reverse("shop-company-user-role", args=[contact.pk])),
        ("post", reverse("shop-company-user-deactivate", args=[contact.pk])),
        ("post", reverse("shop-company-user-reactivate", args=[contact.pk])),
        ("post", reverse("shop-company-user-invite", args=[contact.pk])),
    ]


class AccessTests:
    def test_anonymous_visitors_are_sent_to_the_login(self, client, buyer):
        for method, url in _urls(buyer):
            response = getattr(client, method)(url)
            assert response.status_code == 302 and response["Location"].startswith("/account/login/?next="), url

    @pytest.mark.parametrize("role", [BUYER, APPROVER])
    def test_buyers_and_approvers_get_403(self, client, company, buyer, role):
        client.force_login(ContactFactory(company=company, shop_role=role))
        for method, url in _urls(buyer):
            assert getattr(client, method)(url, {"shop_role": ADMIN}).status_code == 403, url
        buyer.refresh_from_db()
        assert buyer.shop_role == BUYER and buyer.is_active is True

    def test_staff_get_403(self, client, buyer):
        client.force_login(StaffUserFactory())
        for method, url in _urls(buyer):
            assert getattr(client, method)(url).status_code == 403, url

    def test_every_form_needs_the_csrf_token(self, admin, buyer):
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(admin)
        for method, url in _urls(buyer):
            if method == "post":
                response = strict.post(url, {"email": "x@a.example", "shop_role": ADMIN})
                assert response.status_code == 403, url
        buyer.refresh_from_db()
        assert buyer.shop_role == BUYER and buyer.is_active is True
        assert not Contact.objects.filter(email="x@a.example").exists()


class UserListTests:
    def test_lists_the_companys_contacts_only(self, client, admin, buyer):
        ContactFactory(company=CompanyFactory(), email="stranger@b.example")
        client.force_login(admin)
        html = client.get(reverse("shop-company-users")).content.decode()
        assert "admin@a.example" in html and "buyer@a.example" in html
        assert "stranger@b.example" not in html
        assert "(you)" in html

    def test_invite_a_user(self, client, admin, django_capture_on_commit_callbacks):
        client.force_login(admin)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("shop-company-users"),
                {"email": "nina@a.example", "first_name": "Nina", "last_name": "Bakker", "shop_role": APPROVER},
                follow=True,
            )
        contact = Contact.objects.get(email="nina@a.example")
        assert (contact.company_id, contact.shop_role) == (admin.company_id, APPROVER)
        assert "nina@a.example was added; we sent them an email to set their password." in _messages(response)
        assert mail.outbox[0].to == ["nina@a.example"]
        assert "http://testserver/account/reset/" in mail.outbox[0].body

    def test_a_bad_invitation_is_a_400_and_creates_nothing(self, client, admin, buyer):
        client.force_login(admin)
        response = client.post(reverse("shop-company-users"), {"email": "nope", "shop_role": BUYER})
        assert response.status_code == 400
        response = client.post(reverse("shop-company-users"), {"email": "buyer@a.example", "shop_role": BUYER})
        assert response.status_code == 400 and "already has an account" in response.content.decode()
        assert Contact.objects.count() == 2

    def test_change_role_deactivate_and_reactivate(self, client, admin, buyer):
        client.force_login(admin)
        client.post(reverse("shop-company-user-role", args=[buyer.pk]), {"shop_role": APPROVER})
        client.post(reverse("shop-company-user-deactivate", args=[buyer.pk]))
        buyer.refresh_from_db()
        assert (buyer.shop_role, buyer.is_active) == (APPROVER, False)
        client.post(reverse("shop-company-user-reactivate", args=[buyer.pk]))
        buyer.refresh_from_db()
        assert buyer.is_active is True

    def test_a_deactivated_contact_is_logged_out_and_cannot_log_in(self, client, admin, buyer):
        login = {"username": "buyer@a.example", "password": "buyer-pass-123"}
        assert Client().post(reverse("shop-login"), login).status_code == 302  # works while active
        buyer_client = Client()
        buyer_client.force_login(buyer)
        assert buyer_client.get(reverse("shop-cart")).status_code == 200
        client.force_login(admin)
        client.post(reverse("shop-company-user-deactivate", args=[buyer.pk]))
        assert buyer_client.get(reverse("shop-cart")).status_code == 302  # the session no longer authenticates
        fresh = Client()
        response = fresh.post(reverse("shop-login"), login)
        assert response.status_code == 200  # the form again, with its error
        assert "_auth_user_id" not in fresh.session

    def test_the_last_admin_is_told_why_they_cannot_step_down(self, client, admin):
        client.force_login(admin)
        response = client.post(reverse("shop-company-user-role", args=[admin.pk]), {"shop_role": BUYER}, follow=True)
        assert any("at least one active company admin" in text for text in _messages(response))
        admin.refresh_from_db()
        assert admin.shop_role == ADMIN

    def test_an_admin_stepping_down_goes_to_the_shop_home(self, client, admin, buyer):
        client.force_login(admin)
        client.post(reverse("shop-company-user-role", args=[buyer.pk]), {"shop_role": ADMIN})
        response = client.post(reverse("shop-company-user-role", args=[admin.pk]), {"shop_role": BUYER})
        assert response["Location"] == reverse("shop-home")
        assert client.get(reverse("shop-company-users")).status_code == 403

    def test_no_deactivate_button_for_yourself_and_a_refusal_when_posted(self, client, admin):
        client.force_login(admin)
        html = client.get(reverse("shop-company-users")).content.decode()
        assert reverse("shop-company-user-deactivate", args=[admin.pk]) not in html
        response = client.post(reverse("shop-company-user-deactivate", args=[admin.pk]), follow=True)
        assert "You cannot deactivate your own account." in _messages(response)
        admin.refresh_from_db()
        assert admin.is_active is True

    def test_resend_the_invitation(self, client, admin, django_capture_on_commit_callbacks):
        invited = ContactFactory(company=admin.company, email="late@a.example", password=None)
        invited.set_unusable_password()
        invited.save()
        client.force_login(admin)
        assert "Send invitation again" in client.get(reverse("shop-company-users")).content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("shop-company-user-invite", args=[invited.pk]))
        assert mail.outbox[0].to == ["late@a.example"]
