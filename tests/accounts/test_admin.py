from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from accounts.models import CompanyAttributeDefinition, CompanyAttributeValue, Contact, User
from accounts.services import MARKETING_GROUP_NAME, marketing_group_ensure
from tests.admin_support import page_query_count
from tests.accounts.factories import (
    CompanyAttributeDefinitionFactory,
    CompanyFactory,
    ContactFactory,
    StaffUserFactory,
)


@pytest.mark.django_db
class MarketingGroupEnsureTests:
    def test_creates_the_group_with_view_permissions_on_erp_data(self):
        group = marketing_group_ensure()
        codenames = set(group.permissions.values_list("content_type__app_label", "codename"))
        assert group.name == MARKETING_GROUP_NAME
        assert {
            ("accounts", "view_company"),
            ("accounts", "view_contact"),
            ("catalog", "view_product"),
            ("catalog", "view_category"),
            ("catalog", "view_price"),
            ("orders", "view_order"),
            ("integrations", "view_importrun"),
        } <= codenames

    def test_grants_nothing_that_changes_erp_data(self):
        group = marketing_group_ensure()
        writes = {
            codename
            for codename in group.permissions.values_list("codename", flat=True)
            if not codename.startswith("view_")
        }
        # Marketers type custom attributes, run the Mailchimp sync and manage content (spec api.md);
        # ERP data stays read-only.
        assert writes == {
            "add_companyattributedefinition", "change_companyattributedefinition",
            "add_mailchimpsegmentsync", "change_mailchimpsegmentsync",
            "change_mailchimpmembererror", "change_mailchimpemailchangerequest",
            *(f"{action}_{model}" for action in ("add", "change", "delete")
              for model in ("contentblock", "menuitem", "categoryrestriction", "productrestriction")),
            # Segment offers (docs/offers.md): promotions, shipping and payment rules.
            *(f"{action}_{model}" for action in ("add", "change", "delete")
              for model in ("promotion", "promotiontier", "shippingrule", "shippingband", "productshippingweight",
                            "paymentmethodrule")),
            # The insight's cost per order channel (docs/insight.md).
            "add_channelcost", "change_channelcost", "delete_channelcost",
        }
        erp_models = {"company", "contact", "category", "product", "price", "order", "orderline", "importrun"}
        assert not {codename for codename in writes if codename.split("_", 1)[1] in erp_models}

    def test_is_idempotent(self):
        first = set(marketing_group_ensure().permissions.values_list("pk", flat=True))
        second = set(marketing_group_ensure().permissions.values_list("pk", flat=True))
        assert first == second
        assert Group.objects.filter(name=MARKETING_GROUP_NAME).count() == 1

    def test_removes_a_stray_write_permission_and_keeps_other_apps_permissions(self):
        group = Group.objects.create(name=MARKETING_GROUP_NAME)
        stray = Permission.objects.get(content_type__app_label="accounts", codename="change_company")
        other_app = Permission.objects.get(content_type__app_label="auth", codename="view_group")
        group.permissions.add(stray, other_app)

        marketing_group_ensure()

        codenames = set(group.permissions.values_list("codename", flat=True))
        assert "change_company" not in codenames
        assert "view_group" in codenames


@pytest.mark.django_db
class AdminPagesLoadTests:
    @pytest.mark.parametrize("role", ["superuser", "marketer"])
    def test_changelists_and_change_pages_load(self, request, admin_client_for, role):
        client = admin_client_for(request.getfixturevalue(role))
        contact = ContactFactory()
        definition = CompanyAttributeDefinitionFactory()
        CompanyAttributeValue.objects.create(
            company=contact.company, definition=definition, raw_value="x", text_value="x"
        )
        urls = [
            reverse("admin:accounts_company_changelist"),
            reverse("admin:accounts_company_change", args=[contact.company.pk]),
            reverse("admin:accounts_contact_changelist"),
            reverse("admin:accounts_contact_change", args=[contact.pk]),
            reverse("admin:accounts_companyattributedefinition_changelist"),
            reverse("admin:accounts_companyattributedefinition_change", args=[definition.pk]),
            reverse("admin:accounts_companyattributedefinition_add"),
            reverse("admin:index"),
        ]
        for url in urls:
            assert client.get(url).status_code == 200, url

    def test_staff_user_pages_load_for_a_superuser(self, superuser, admin_client_for):
        client = admin_client_for(superuser)
        for url in [
            reverse("admin:accounts_user_changelist"),
            reverse("admin:accounts_user_change", args=[superuser.pk]),
            reverse("admin:accounts_user_add"),
            reverse("admin:auth_user_password_change", args=[superuser.pk]),
        ]:
            assert client.get(url).status_code == 200, url

    def test_a_marketer_cannot_see_staff_users(self, marketer, admin_client_for):
        client = admin_client_for(marketer)
        assert client.get(reverse("admin:accounts_user_changelist")).status_code == 403

    def test_a_buyer_is_redirected_to_the_admin_login(self, client):
        buyer = ContactFactory()
        client.force_login(buyer)
        response = client.get(reverse("admin:accounts_company_changelist"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))

    def test_the_admin_index_lists_erp_data_for_a_marketer(self, marketer, admin_client_for):
        response = admin_client_for(marketer).get(reverse("admin:index"))
        content = response.content.decode()
        for name in ["Companies", "Contacts", "Products", "Orders", "Import runs and data freshness"]:
            assert name in content


@pytest.mark.django_db
class CompanyAdminTests:
    def test_company_pages_are_view_only_and_say_the_erp_manages_them(self, superuser, admin_client_for):
        client = admin_client_for(superuser)
        company = CompanyFactory(name="Bloemen BV")
        response = client.get(reverse("admin:accounts_company_change", args=[company.pk]))
        content = response.content.decode()
        assert "Managed in the ERP" in content
        assert 'name="name"' not in content
        assert client.get(reverse("admin:accounts_company_add")).status_code == 403

    def test_posting_a_change_does_not_alter_erp_fields(self, superuser, admin_client_for):
        client = admin_client_for(superuser)
        company = CompanyFactory(name="Bloemen BV", credit_limit=Decimal("1000.00"))
        response = client.post(
            reverse("admin:accounts_company_change", args=[company.pk]),
            {"name": "Hacked", "erp_id": "X", "credit_limit": "99999", "blocked": "on"},
        )
        company.refresh_from_db()
        assert response.status_code == 403
        assert (company.name, company.erp_id, company.credit_limit, company.blocked) == (
            "Bloemen BV",
            company.erp_id,
            Decimal("1000.00"),
            False,
        )

    def test_attribute_values_are_shown_with_their_typed_value(self, marketer, admin_client_for):
        company = CompanyFactory()
        definition = CompanyAttributeDefinitionFactory(
            name="greenhouse_m2", value_type=CompanyAttributeDefinition.ValueType.NUMBER
        )
        CompanyAttributeValue.objects.create(
            company=company, definition=definition, raw_value="1.500,5", number_value=Decimal("1500.5")
        )
        response = admin_client_for(marketer).get(reverse("admin:accounts_company_change", args=[company.pk]))
        content = response.content.decode()
        assert "1.500,5" in content
        assert "1500.5" in content

    def test_search_finds_a_company_by_erp_id(self, marketer, admin_client_for):
        CompanyFactory(erp_id="000123", name="Kwekerij Zon")
        CompanyFactory(erp_id="000999", name="Tuincentrum Maan")
        response = admin_client_for(marketer).get(reverse("admin:accounts_company_changelist"), {"q": "000123"})
        assert [c.name for c in response.context["cl"].result_list] == ["Kwekerij Zon"]

    def test_changelist_query_count_does_not_grow_with_rows(self, marketer, admin_client_for):
        client = admin_client_for(marketer)
        url = reverse("admin:accounts_company_changelist")
        CompanyFactory.create_batch(5)
        client.get(url)
        few = page_query_count(client, url)
        CompanyFactory.create_batch(20)
        assert page_query_count(client, url) == few


@pytest.mark.django_db
class ContactAdminTests:
    def test_posting_a_change_alters_the_shop_role_but_no_erp_field(self, superuser, admin_client_for):
        client = admin_client_for(superuser)
        contact = ContactFactory(email="anna@example.com", first_name="Anna", marketing_consent=False)
        response = client.post(
            reverse("admin:accounts_contact_change", args=[contact.pk]),
            {
                "shop_role": User.ShopRole.APPROVER,
                "email": "evil@example.com",
                "first_name": "Eve",
                "marketing_consent": "on",
                "company": CompanyFactory().pk,
                "is_active": "",
            },
        )
        contact.refresh_from_db()
        assert response.status_code == 302
        assert contact.shop_role == User.ShopRole.APPROVER
        assert (contact.email, contact.first_name, contact.marketing_consent, contact.is_active) == (
            "anna@example.com",
            "Anna",
            False,
            True,
        )

    def test_a_marketer_cannot_change_a_contact(self, marketer, admin_client_for):
        contact = ContactFactory()
        response = admin_client_for(marketer).post(
            reverse("admin:accounts_contact_change", args=[contact.pk]), {"shop_role": User.ShopRole.ADMIN}
        )
        contact.refresh_from_db()
        assert response.status_code == 403
        assert contact.shop_role == User.ShopRole.BUYER

    def test_contacts_cannot_be_added_or_deleted_here(self, superuser, admin_client_for):
        client = admin_client_for(superuser)
        contact = ContactFactory()
        assert client.get(reverse("admin:accounts_contact_add")).status_code == 403
        assert client.get(reverse("admin:accounts_contact_delete", args=[contact.pk])).status_code == 403

    @pytest.mark.parametrize("query", ["kwekerij", "000777", "jansen", "piet@"])
    def test_search_by_email_name_company_name_and_erp_id(self, marketer, admin_client_for, query):
        wanted = ContactFactory(
            email="piet@kwekerij.example",
            last_name="Jansen",
            company=CompanyFactory(erp_id="000777", name="Kwekerij Zon"),
        )
        ContactFactory(company=CompanyFactory(name="Other"))
        response = admin_client_for(marketer).get(reverse("admin:accounts_contact_changelist"), {"q": query})
        assert [c.pk for c in response.context["cl"].result_list] == [wanted.pk]

    def test_the_list_shows_contacts_only(self, marketer, admin_client_for):
        contact = ContactFactory()
        response = admin_client_for(marketer).get(reverse("admin:accounts_contact_changelist"))
        assert [c.pk for c in response.context["cl"].result_list] == [contact.pk]

    def test_changelist_query_count_does_not_grow_with_rows(self, marketer, admin_client_for):
        client = admin_client_for(marketer)
        url = reverse("admin:accounts_contact_changelist")
        ContactFactory.create_batch(5)
        client.get(url)
        few = page_query_count(client, url)
        ContactFactory.create_batch(20)
        assert page_query_count(client, url) == few


@pytest.mark.django_db
class CompanyAttributeDefinitionAdminTests:
    def test_a_marketer_declares_an_attribute_type(self, marketer, admin_client_for):
        response = admin_client_for(marketer).post(
            reverse("admin:accounts_companyattributedefinition_add"),
            {"name": "greenhouse_m2", "label": "Greenhouse area", "value_type": "number", "help_text": ""},
        )
        assert response.status_code == 302
        definition = CompanyAttributeDefinition.objects.get(name="greenhouse_m2")
        assert definition.value_type == CompanyAttributeDefinition.ValueType.NUMBER

    def test_the_name_cannot_be_changed_once_created(self, marketer, admin_client_for):
        definition = CompanyAttributeDefinitionFactory(name="greenhouse_m2")
        response = admin_client_for(marketer).post(
            reverse("admin:accounts_companyattributedefinition_change", args=[definition.pk]),
            {"name": "renamed", "label": "Area", "value_type": "number", "help_text": ""},
        )
        definition.refresh_from_db()
        assert response.status_code == 302
        assert (definition.name, definition.label, definition.value_type) == ("greenhouse_m2", "Area", "number")


@pytest.mark.django_db
class StaffUserAdminTests:
    def test_adding_a_staff_user_with_email_and_password(self, superuser, admin_client_for):
        response = admin_client_for(superuser).post(
            reverse("admin:accounts_user_add"),
            {
                "email": " Marieke@B2Bshop.example ",
                "first_name": "Marieke",
                "last_name": "Bos",
                "is_staff": "on",
                "usable_password": "true",
                "password1": "tulip-season-2025",
                "password2": "tulip-season-2025",
            },
        )
        assert response.status_code == 302
        user = User.objects.get(email="marieke@b2bshop.example")
        assert user.is_staff is True
        assert user.company is None
        assert user.check_password("tulip-season-2025") is True

    def test_an_email_that_differs_only_in_case_is_taken(self, superuser, admin_client_for):
        StaffUserFactory(email="marieke@b2bshop.example")
        response = admin_client_for(superuser).post(
            reverse("admin:accounts_user_add"),
            {"email": "MARIEKE@b2bshop.example", "usable_password": "false"},
        )
        assert response.status_code == 200
        assert "already exists" in response.content.decode()

    def test_changing_a_staff_user_keeps_the_password(self, superuser, admin_client_for):
        staff = StaffUserFactory(email="jan@b2bshop.example")
        response = admin_client_for(superuser).post(
            reverse("admin:accounts_user_change", args=[staff.pk]),
            {
                "email": "jan@b2bshop.example",
                "first_name": "Jan",
                "last_name": "",
                "is_active": "on",
                "is_staff": "on",
                "date_joined_0": "2025-01-01",
                "date_joined_1": "10:00:00",
            },
        )
        staff.refresh_from_db()
        assert response.status_code == 302
        assert staff.first_name == "Jan"
        assert staff.check_password("staff-pass-123") is True

    def test_the_user_list_shows_staff_and_not_contacts(self, superuser, admin_client_for):
        ContactFactory()
        staff = StaffUserFactory()
        response = admin_client_for(superuser).get(reverse("admin:accounts_user_changelist"))
        assert {u.pk for u in response.context["cl"].result_list} == {superuser.pk, staff.pk}
        assert Contact.objects.count() == 1
