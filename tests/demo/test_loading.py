"""Loading the generated data: the web data upserts, the demo logins, seed_demo, demo and generate_dataset."""

import re
from datetime import date, datetime, timezone
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from accounts.models import Company, CompanyAttributeValue, Contact, User
from b2bshop.demo.loading import (
    DEMO_MARKETER_EMAIL,
    DEMO_SUPERUSER_EMAIL,
    demo_logins_ensure,
    web_activity_apply,
)
from catalog.models import Price, Product
from integrations.models import ImportRun
from orders.models import Cart, CartLine, Order, OrderLine
from tests.accounts.factories import ContactFactory
from tests.catalog.factories import ProductFactory

TINY_ARGS = ["--companies", "20", "--contacts", "60", "--order-lines", "500", "--today", "2025-06-15"]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.django_db
class WebActivityApplyTests:
    @pytest.fixture
    def files(self, tmp_path):
        ContactFactory(email="anna@florist.example", last_login=None)
        ContactFactory(email="piet@florist.example", last_login=None)
        ProductFactory(sku="ROS-001")
        ProductFactory(sku="TUL-001")
        accounts = _write(
            tmp_path / "web_accounts.csv",
            "email,date_joined,last_login\n"
            "anna@florist.example,2024-01-02T08:00:00Z,2025-06-10T09:30:00Z\n"
            "piet@florist.example,2024-03-01T10:00:00Z,\n"
            "unknown@florist.example,2024-03-01T10:00:00Z,2025-06-10T09:30:00Z\n",
        )
        carts = _write(
            tmp_path / "web_carts.csv",
            "email,sku,quantity,unit_price,added_at\n"
            "anna@florist.example,ROS-001,40,0.45,2025-06-01T12:00:00Z\n"
            "anna@florist.example,TUL-001,5,3.10,2025-06-02T12:00:00Z\n",
        )
        return accounts, carts

    def test_writes_logins_join_dates_and_an_open_cart(self, files):
        accounts, carts = files
        result = web_activity_apply(accounts_path=accounts, carts_path=carts)
        anna = Contact.objects.get(email="anna@florist.example")
        assert anna.last_login == datetime(2025, 6, 10, 9, 30, tzinfo=timezone.utc)
        assert anna.date_joined == datetime(2024, 1, 2, 8, tzinfo=timezone.utc)
        assert Contact.objects.get(email="piet@florist.example").last_login is None
        cart = Cart.objects.get(contact=anna)
        assert cart.status == Cart.Status.OPEN
        assert cart.created_at == datetime(2025, 6, 1, 12, tzinfo=timezone.utc)
        lines = {line.product.sku: line for line in cart.lines.select_related("product")}
        assert lines["ROS-001"].quantity == 40
        assert lines["TUL-001"].unit_price == Decimal("3.10")
        assert result.carts_created == 1
        assert result.cart_lines_created == 2

    def test_a_batch_of_contacts_who_never_logged_in_only_gets_join_dates(self, files, tmp_path):
        _accounts, carts = files
        never = _write(
            tmp_path / "never.csv",
            "email,date_joined,last_login\npiet@florist.example,2024-03-01T10:00:00Z,\n",
        )
        result = web_activity_apply(accounts_path=never, carts_path=carts)
        piet = Contact.objects.get(email="piet@florist.example")
        assert piet.date_joined == datetime(2024, 3, 1, 10, tzinfo=timezone.utc)
        assert piet.last_login is None
        assert result.accounts_updated == 1

    def test_applying_the_same_files_again_writes_nothing(self, files):
        accounts, carts = files
        web_activity_apply(accounts_path=accounts, carts_path=carts)
        again = web_activity_apply(accounts_path=accounts, carts_path=carts)
        assert (again.accounts_updated, again.carts_created, again.cart_lines_created) == (0, 0, 0)
        assert (again.cart_lines_updated, again.cart_lines_deleted) == (0, 0)
        assert Cart.objects.count() == 1
        assert CartLine.objects.count() == 2

    def test_keeps_the_open_cart_updates_changed_lines_and_drops_lines_not_in_the_file(self, files, tmp_path):
        accounts, carts = files
        web_activity_apply(accounts_path=accounts, carts_path=carts)
        cart_id = Cart.objects.get().pk
        changed = _write(
            tmp_path / "changed_carts.csv",
            "email,sku,quantity,unit_price,added_at\nanna@florist.example,ROS-001,60,0.45,2025-06-03T12:00:00Z\n",
        )
        result = web_activity_apply(accounts_path=accounts, carts_path=changed)
        line = CartLine.objects.get()
        assert (line.cart_id, line.quantity) == (cart_id, 60)
        assert (result.cart_lines_updated, result.cart_lines_deleted) == (1, 1)

    def test_leaves_carts_of_contacts_not_in_the_file_alone(self, files):
        accounts, carts = files
        piet = Contact.objects.get(email="piet@florist.example")
        own = Cart.objects.create(contact=piet)
        CartLine.objects.create(
            cart=own, product=Product.objects.get(sku="TUL-001"), quantity=1, unit_price=Decimal("1"),
            added_at=datetime(2025, 6, 1, tzinfo=timezone.utc),
        )
        web_activity_apply(accounts_path=accounts, carts_path=carts)
        assert own.lines.count() == 1


@pytest.mark.django_db
class DemoLoginsEnsureTests:
    def test_creates_the_marketer_in_the_marketing_group_and_the_superuser(self):
        logins = demo_logins_ensure()
        marketer = User.objects.get(email=DEMO_MARKETER_EMAIL)
        superuser = User.objects.get(email=DEMO_SUPERUSER_EMAIL)
        assert marketer.is_staff is True
        assert marketer.is_superuser is False
        assert marketer.company is None
        assert marketer.groups.filter(name="Marketing").exists()
        assert Group.objects.get(name="Marketing").permissions.filter(codename="view_company").exists()
        assert superuser.is_superuser is True
        passwords = {login.email: login.password for login in logins}
        assert marketer.check_password(passwords[DEMO_MARKETER_EMAIL]) is True
        assert superuser.check_password(passwords[DEMO_SUPERUSER_EMAIL]) is True

    def test_skips_the_demo_contacts_when_the_data_has_none(self):
        emails = [login.email for login in demo_logins_ensure()]
        assert emails == [DEMO_MARKETER_EMAIL, DEMO_SUPERUSER_EMAIL]

    def test_running_it_twice_creates_no_second_user(self):
        demo_logins_ensure()
        demo_logins_ensure()
        assert User.objects.filter(email__endswith="@demo.b2bshop.example").count() == 2


def _counts() -> dict[str, int]:
    return {
        "companies": Company.objects.count(),
        "contacts": Contact.objects.count(),
        "users": User.objects.count(),
        "products": Product.objects.count(),
        "orders": Order.objects.count(),
        "order_lines": OrderLine.objects.count(),
        "carts": Cart.objects.count(),
        "cart_lines": CartLine.objects.count(),
    }


@pytest.mark.django_db
class SeedDemoCommandTests:
    def test_loads_the_shop_through_the_erp_import_and_prints_the_logins(self):
        out = StringIO()
        call_command("seed_demo", *TINY_ARGS, stdout=out)
        assert Company.objects.count() == 20
        assert Contact.objects.count() == 60
        assert OrderLine.objects.count() == 500
        assert set(ImportRun.objects.values_list("entity", flat=True)) == set(ImportRun.Entity.values)
        assert set(Order.objects.values_list("channel", flat=True)) == set(Order.Channel.values)
        assert Order.objects.filter(status=Order.Status.CANCELLED).exists()
        assert Contact.objects.filter(last_login__isnull=True).exists()
        assert Company.objects.filter(orders__isnull=True).exists()
        assert Cart.objects.filter(status=Cart.Status.OPEN, lines__isnull=False).exists()
        greenhouse = CompanyAttributeValue.objects.filter(definition__name="greenhouse_m2").exclude(raw_value="")
        assert greenhouse.exists()
        assert not greenhouse.filter(number_value__isnull=True).exists()
        assert CompanyAttributeValue.objects.filter(definition__name="has_cold_store", boolean_value=True).exists()
        buyer = Contact.objects.get(email="buyer@demo.b2bshop.example")
        admin = Contact.objects.get(email="companyadmin@demo.b2bshop.example")
        assert buyer.check_password("demo-buyer") is True
        assert admin.shop_role == User.ShopRole.ADMIN
        assert admin.company_id == buyer.company_id
        output = out.getvalue()
        for email in ("buyer@demo.b2bshop.example", "companyadmin@demo.b2bshop.example",
                      "marketer@demo.b2bshop.example", "admin@demo.b2bshop.example"):
            assert email in output
        assert "demo-buyer" in output

    def test_running_it_twice_changes_nothing(self):
        call_command("seed_demo", *TINY_ARGS, stdout=StringIO())
        before = _counts()
        first_runs = ImportRun.objects.count()
        call_command("seed_demo", *TINY_ARGS, stdout=StringIO())
        assert _counts() == before
        second = ImportRun.objects.order_by("-pk")[: ImportRun.objects.count() - first_runs]
        assert len(second) == 6
        assert [(run.entity, run.created, run.updated) for run in second if run.created or run.updated] == []

    def test_seeding_again_on_another_day_moves_dates_but_duplicates_nothing(self):
        call_command("seed_demo", *TINY_ARGS, stdout=StringIO())
        before = _counts()
        prices = Price.objects.count()
        later = [*TINY_ARGS[:-1], "2025-09-20"]
        call_command("seed_demo", *later, stdout=StringIO())
        after = _counts()
        assert {key: after[key] for key in before if key != "cart_lines"} == {
            key: before[key] for key in before if key != "cart_lines"
        }
        assert Price.objects.count() == prices
        assert ImportRun.objects.filter(created__gt=0, entity__in=["companies", "contacts", "orders"]).count() == 3
        assert Order.objects.order_by("-ordered_at").first().ordered_at.date() > date(2025, 9, 1)


@pytest.mark.django_db
class DemoCommandTests:
    def test_no_server_seeds_an_empty_database_and_prints_url_and_logins(self):
        out = StringIO()
        call_command("demo", "--no-server", "--port", "8123", verbosity=0, stdout=out)
        assert Company.objects.exists()
        output = out.getvalue()
        assert "http://127.0.0.1:8123/" in output
        assert "http://127.0.0.1:8123/admin/" in output
        assert "buyer@demo.b2bshop.example" in output

    def test_does_not_seed_a_database_that_has_companies(self):
        Company.objects.create(erp_id="X1", name="Existing customer")
        out = StringIO()
        call_command("demo", "--no-server", verbosity=0, stdout=out)
        assert Company.objects.count() == 1
        assert "not seeding" in out.getvalue()


@pytest.mark.django_db
class GenerateDatasetCommandTests:
    def test_out_writes_the_files_and_loads_nothing(self, tmp_path):
        call_command(
            "generate_dataset", "--companies", "5", "--contacts", "10", "--order-lines", "50", "--out",
            str(tmp_path), stdout=StringIO(),
        )
        assert (tmp_path / "orders.csv").exists()
        assert not Company.objects.exists()

    def test_load_imports_files_written_before(self, tmp_path):
        call_command(
            "generate_dataset", "--companies", "6", "--contacts", "12", "--order-lines", "60", "--out",
            str(tmp_path), stdout=StringIO(),
        )
        call_command("generate_dataset", "--load", str(tmp_path), stdout=StringIO())
        assert (Company.objects.count(), Contact.objects.count(), OrderLine.objects.count()) == (6, 12, 60)

    def test_loads_an_explicit_size(self):
        out = StringIO()
        call_command(
            "generate_dataset", "--companies", "10", "--contacts", "30", "--order-lines", "200", "--seed", "3",
            stdout=out,
        )
        assert (Company.objects.count(), Contact.objects.count(), OrderLine.objects.count()) == (10, 30, 200)
        assert "order lines" in out.getvalue()

    def test_a_size_or_all_three_counts_are_required(self):
        with pytest.raises(CommandError, match=re.escape("--size small|large or --contacts, --order-lines")):
            call_command("generate_dataset", "--companies", "5", stdout=StringIO())


@pytest.mark.django_db
class DemoSegmentsTests:
    def test_demo_segments_are_created_once_valid_and_refreshed(self):
        from b2bshop.demo.segments import DEMO_SEGMENTS, demo_segments_ensure
        from segments.models import RefreshRun, Segment
        from segments.services import segment_rule_check

        from tests.catalog.factories import CategoryFactory

        CategoryFactory(slug="tulips")  # referenced by a demo rule
        assert demo_segments_ensure() == len(DEMO_SEGMENTS)
        assert demo_segments_ensure() == 0
        assert Segment.objects.count() == len(DEMO_SEGMENTS) >= 12
        for segment in Segment.objects.all():
            segment_rule_check(rule=segment.rule, own_slug=segment.slug)
        assert not Segment.objects.filter(is_dirty=True).exists()
        assert RefreshRun.objects.filter(status=RefreshRun.Status.SUCCEEDED).count() == 2 * len(DEMO_SEGMENTS)
