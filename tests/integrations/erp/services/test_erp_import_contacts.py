import pytest

from accounts.models import Contact, User
from tests.accounts.factories import CompanyFactory, ContactFactory, StaffUserFactory
from tests.integrations.erp.files import counts_of, csv_text, errors_of

HEADER = "email,company_erp_id,first_name,last_name,role,language,marketing_consent,job_title,is_active"


@pytest.fixture
def company(db):
    return CompanyFactory(erp_id="000123")


@pytest.mark.django_db
class ContactImportTests:
    def test_imports_a_contact_with_every_column(self, run_import, company):
        run = run_import(
            "contacts",
            csv_text(HEADER, "Anna.de.Vries@Example.COM,000123,Anna,de Vries,Decision maker,de,ja,Inkoper,1"),
        )
        assert run.failed == 0
        contact = Contact.objects.get()
        assert (contact.email, contact.company, contact.first_name, contact.last_name) == (
            "anna.de.vries@example.com",
            company,
            "Anna",
            "de Vries",
        )
        assert (contact.role, contact.language, contact.marketing_consent) == ("decision_maker", "de", True)
        assert (contact.job_title, contact.job_title_ci, contact.is_active) == ("Inkoper", "inkoper", True)

    def test_a_new_contact_has_no_usable_password(self, run_import, company):
        run_import("contacts", csv_text("email,company_erp_id", "new@example.com,000123"))
        assert Contact.objects.get().has_usable_password() is False

    def test_empty_cells_take_the_defaults(self, run_import, company):
        run_import("contacts", csv_text(HEADER, "a@example.com,000123,,,,,,,"))
        contact = Contact.objects.get()
        assert (contact.language, contact.marketing_consent, contact.is_active, contact.role) == ("nl", False, True, "")

    def test_an_unknown_company_is_a_row_error(self, run_import, company):
        run = run_import("contacts", csv_text("email,company_erp_id", "a@example.com,000999"))
        assert errors_of(run) == [(2, "company_erp_id", "no company with ERP id '000999'; import the companies first")]
        assert Contact.objects.count() == 0

    def test_an_invalid_email_is_a_row_error(self, run_import, company):
        run = run_import("contacts", csv_text("email,company_erp_id", "anna@,000123", "b@example.com,000123"))
        assert errors_of(run) == [(2, "email", "'anna@' is not a valid email address")]
        assert list(Contact.objects.values_list("email", flat=True)) == ["b@example.com"]

    def test_the_email_of_a_staff_account_is_a_row_error(self, run_import, company):
        StaffUserFactory(email="staff@b2bshop.example")
        run = run_import("contacts", csv_text("email,company_erp_id", "Staff@b2bshop.example,000123"))
        assert errors_of(run) == [
            (2, "email", "this email address belongs to a staff account, not to a contact of a company")
        ]
        assert User.objects.get(email="staff@b2bshop.example").company is None

    def test_an_existing_contact_is_updated_and_keeps_its_password(self, run_import, company):
        contact = ContactFactory(email="anna@example.com", company=CompanyFactory(erp_id="000001"), first_name="A")
        run = run_import("contacts", csv_text("email,company_erp_id,first_name", "ANNA@example.com,000123,Anna"))
        assert counts_of(run)["updated"] == 1
        contact.refresh_from_db()
        assert (contact.company, contact.first_name) == (company, "Anna")
        assert contact.check_password("buyer-pass-123") is True

    def test_importing_the_same_file_again_changes_nothing(self, run_import, company):
        content = csv_text(HEADER, "a@example.com,000123,Anna,de Vries,buyer,en,yes,Buyer,true")
        run_import("contacts", content)
        again = run_import("contacts", content)
        assert counts_of(again) == {"rows": 1, "created": 0, "updated": 0, "unchanged": 1, "failed": 0}

    def test_the_same_email_twice_in_any_case_reports_the_later_row(self, run_import, company):
        run = run_import("contacts", csv_text("email,company_erp_id,first_name", "a@x.nl,000123,A", "A@X.NL,000123,B"))
        assert errors_of(run) == [(3, "email", "duplicate key: already on line 2; only the first one is imported")]
        assert Contact.objects.get().first_name == "A"
