"""compile_rule: every operator on every field type, groups and candidates (spec/rules.md).

Null semantics, sales, the other namespaces and the query shape have their own
test_compiler_<topic>.py modules; they share the helpers at the top of this one.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from accounts.models import Contact, User
from accounts.text import fold
from catalog.models import CategoryAncestry
from orders.models import Order, OrderLine
from segments.compiler import UnknownFieldError, compile_rule
from segments.fields import field_registry_build
from segments.selectors import rule_matching_contacts
from segments.statistics import run_statistics_prepare
from segments.validation import RuleValidationError, validate_rule
from tests.accounts.factories import CompanyFactory, ContactFactory, StaffUserFactory
from tests.catalog.factories import CategoryFactory, ProductFactory
from tests.orders.factories import (
    CartFactory,
    CartLineFactory,
    OrderFactory,
    OrderLineFactory,
)
from tests.segments.factories import CompanyValueFactory

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
UTC = datetime.UTC
NOW = datetime.datetime(2026, 4, 1, 10, 0, tzinfo=AMSTERDAM)  # a Wednesday in summer time (UTC+2)
TODAY = datetime.date(2026, 4, 1)
REGISTRY = field_registry_build(
    [
        ("loyalty_tier", "text", "Loyalty tier", ""),
        ("fleet_size", "number", "Fleet size", ""),
        ("contract_end", "date", "Contract end", ""),
        ("organic", "boolean", "Organic", ""),
    ]
)


# ---------------------------------------------------------------- shared helpers


def local(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=AMSTERDAM)


def utc(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=UTC)


def matches(rule: dict[str, Any], *, now: datetime.datetime = NOW) -> set[str]:
    """The emails of the contacts the rule selects (validated, compiled, one query).

    Both compiled forms must agree: per contact (correlated aggregates) and the refresh
    run's form over pre-aggregated statistics (semi-joins).
    """
    node = validate_rule(rule, registry=REGISTRY)
    live = set(Contact.objects.filter(compile_rule(node, registry=REGISTRY, now=now)).values_list("email", flat=True))
    statistics = run_statistics_prepare(nodes=[node], registry=REGISTRY, now=now)
    bulk = compile_rule(node, registry=REGISTRY, now=now, statistics=statistics)
    assert set(Contact.objects.filter(bulk).values_list("email", flat=True)) == live, "the refresh form disagrees"
    # Semi-joins without materialised statistics (insight's look-alike count): a third form, the same set.
    semi_joins = rule_matching_contacts(node=node, registry=REGISTRY, now=now)
    assert set(semi_joins.values_list("email", flat=True)) == live, "the semi-join form disagrees"
    return live


def cond(field: str, op: str, value: Any = None, **extra: Any) -> dict[str, Any]:
    node: dict[str, Any] = {"field": field, "op": op, **extra}
    if value is not None:
        node["value"] = value
    return node


def company(**fields: Any):
    """A company; text given here also fills its folded shadow columns."""
    for name in ("erp_id", "name", "region", "city", "sector", "customer_group", "price_group"):
        if name in fields:
            fields[f"{name}_ci"] = fold(fields[name])
    return CompanyFactory(**fields)


def contact(email: str, **fields: Any):
    """A contact without a password hash (fast), in its own company unless one is given."""
    if "job_title" in fields:
        fields["job_title_ci"] = fold(fields["job_title"])
    return ContactFactory(email=email, password=None, **fields)


def order(company_, at: datetime.datetime, lines=(), *, channel: str = "web", status: str = Order.Status.SHIPPED,
          placed_by=None):
    """An order whose total_amount is the sum of its lines, as the order services keep it."""
    placed = OrderFactory(company=company_, ordered_at=at, channel=channel, status=status, contact=placed_by)
    total = Decimal("0.00")
    for line_no, (product, quantity, price) in enumerate(lines, start=1):
        OrderLineFactory(order=placed, line_no=line_no, product=product, quantity=quantity, unit_price=Decimal(price))
        total += quantity * Decimal(price)
    placed.total_amount = total
    placed.save(update_fields=["total_amount"])
    return placed


def category(slug: str, parent=None):
    """A category with its closure rows: (itself, 0), (parent, 1), (grandparent, 2), ..."""
    node = CategoryFactory(slug=slug, parent=parent)
    ancestor, distance = node, 0
    while ancestor is not None:
        CategoryAncestry.objects.create(category=node, ancestor=ancestor, distance=distance)
        ancestor, distance = ancestor.parent, distance + 1
    return node


def product(sku: str, category_=None):
    return ProductFactory(sku=sku, category=category_ or category(f"cat-{sku.lower()}"))


def cart(owner, lines=(), **fields: Any):
    open_cart = CartFactory(contact=owner, **fields)
    for item, quantity, price, added_at in lines:
        CartLineFactory(cart=open_cart, product=item, quantity=quantity, unit_price=Decimal(price), added_at=added_at)
    return open_cart


# ------------------------------------------------------------------------- tests


@pytest.mark.django_db
class NumberOperatorTests:
    @pytest.fixture(autouse=True)
    def _employees(self):
        for email, count in (("nine@x.nl", 9), ("ten@x.nl", 10), ("fortynine@x.nl", 49), ("unknown@x.nl", None)):
            contact(email, company=company(employee_count=count))

    @pytest.mark.parametrize(
        ("op", "value", "expected"),
        [
            ("eq", 10, {"ten"}),
            ("ne", 10, {"nine", "fortynine"}),
            ("gt", 10, {"fortynine"}),
            ("gte", 10, {"ten", "fortynine"}),
            ("lt", 10, {"nine"}),
            ("lte", 10, {"nine", "ten"}),
            ("between", [10, 49], {"ten", "fortynine"}),
            ("between", [9, 9], {"nine"}),
            ("between", [9.5, 10], {"ten"}),
            ("gt", 9.5, {"ten", "fortynine"}),
            ("lte", 9.999, {"nine"}),
            ("eq", 9.5, set()),
            ("ne", 9.5, {"nine", "ten", "fortynine"}),
            ("gt", -1, {"nine", "ten", "fortynine"}),
        ],
    )
    def test_comparisons(self, op, value, expected):
        assert matches(cond("company.employee_count", op, value)) == {f"{name}@x.nl" for name in expected}

    def test_is_empty_and_is_not_empty(self):
        assert matches(cond("company.employee_count", "is_empty")) == {"unknown@x.nl"}
        assert matches(cond("company.employee_count", "is_not_empty")) == {"nine@x.nl", "ten@x.nl", "fortynine@x.nl"}


@pytest.mark.django_db
class MoneyOperatorTests:
    @pytest.fixture(autouse=True)
    def _limits(self):
        contact("a@x.nl", company=company(credit_limit=Decimal("5000.00")))
        contact("b@x.nl", company=company(credit_limit=Decimal("4999.99")))
        contact("c@x.nl", company=company(credit_limit=None))

    @pytest.mark.parametrize(
        ("op", "value", "expected"),
        [
            ("eq", 5000, {"a"}),
            ("eq", 4999.99, {"b"}),
            ("eq", 4999.999, set()),
            ("gt", 4999.99, {"a"}),
            ("gt", 4999.999, {"a"}),
            ("gte", 4999.991, {"a"}),
            ("lt", 5000, {"b"}),
            ("lte", 4999.99, {"b"}),
            ("ne", 5000, {"b"}),
            ("between", [4999.99, 5000], {"a", "b"}),
            ("between", [4999.995, 5000.005], {"a"}),
        ],
    )
    def test_decimal_comparisons_are_exact(self, op, value, expected):
        assert matches(cond("company.credit_limit", op, value)) == {f"{name}@x.nl" for name in expected}


@pytest.mark.django_db
class TextOperatorTests:
    @pytest.fixture(autouse=True)
    def _companies(self):
        contact("muller@x.de", company=company(name="MÜLLER Blumen GmbH", city="München", region="Bayern"))
        contact("orsted@x.dk", company=company(name="Ørsted Flowers", city="København", region=""))
        contact("percent@x.uk", company=company(name="100% Roses_Ltd", city="London", region="Greater London"))
        contact("plain@x.uk", company=company(name="100 Roses Ltd", city="Londen", region="Greater London"))

    @pytest.mark.parametrize(
        ("op", "value", "expected"),
        [
            ("eq", "müller blumen gmbh", {"muller@x.de"}),
            ("eq", "  MÜLLER BLUMEN GMBH ", {"muller@x.de"}),
            ("ne", "Müller Blumen GmbH", {"orsted@x.dk", "percent@x.uk", "plain@x.uk"}),
            ("in", [" ørsted flowers", "100 ROSES LTD"], {"orsted@x.dk", "plain@x.uk"}),
            ("not_in", [" ørsted flowers", "100 ROSES LTD"], {"muller@x.de", "percent@x.uk"}),
            ("contains", "ørs", {"orsted@x.dk"}),
            ("contains", "LLER", {"muller@x.de"}),
            ("contains", " roses ", {"percent@x.uk", "plain@x.uk"}),
            ("starts_with", "ØRSTED", {"orsted@x.dk"}),
            ("starts_with", "100", {"percent@x.uk", "plain@x.uk"}),
        ],
    )
    def test_comparisons_are_case_insensitive_and_trim_the_value(self, op, value, expected):
        assert matches(cond("company.name", op, value)) == expected

    def test_only_the_rule_value_is_trimmed_not_the_stored_text(self):
        contact("padded@x.nl", company=company(name="  Padded Plants "))
        assert matches(cond("company.name", "eq", "padded plants")) == set()
        assert matches(cond("company.name", "eq", "  padded plants ")) == set()  # the value is trimmed
        assert matches(cond("company.name", "contains", "padded plants")) == {"padded@x.nl"}
        assert matches(cond("company.name", "starts_with", "padded")) == set()

    def test_unicode_case_folding_on_city(self):
        assert matches(cond("company.city", "eq", "MÜNCHEN")) == {"muller@x.de"}
        assert matches(cond("company.city", "starts_with", "kØB")) == {"orsted@x.dk"}

    @pytest.mark.parametrize(
        ("op", "value", "expected"),
        [
            ("contains", "%", {"percent@x.uk"}),
            ("contains", "0%", {"percent@x.uk"}),
            ("contains", "s_l", {"percent@x.uk"}),
            ("contains", "_", {"percent@x.uk"}),
            ("starts_with", "100%", {"percent@x.uk"}),
            ("starts_with", "1_0", set()),
            ("starts_with", "%", set()),
            ("eq", "100_ roses ltd", set()),
        ],
    )
    def test_percent_and_underscore_are_literal(self, op, value, expected):
        assert matches(cond("company.name", op, value)) == expected

    def test_is_empty_is_true_for_the_empty_string(self):
        assert matches(cond("company.region", "is_empty")) == {"orsted@x.dk"}
        assert matches(cond("company.region", "is_not_empty")) == {"muller@x.de", "percent@x.uk", "plain@x.uk"}

    def test_contact_text_fields(self):
        contact("einkauf@x.de", job_title="Einkäufer")
        contact("head@x.de", job_title="HEAD OF PURCHASING")
        assert matches(cond("contact.job_title", "contains", "KÄUF")) == {"einkauf@x.de"}
        assert matches(cond("contact.job_title", "eq", "head of purchasing")) == {"head@x.de"}
        assert matches(cond("contact.email", "eq", " Head@X.de ")) == {"head@x.de"}
        assert matches(cond("contact.email", "starts_with", "EINKAUF@")) == {"einkauf@x.de"}


@pytest.mark.django_db
class EnumOperatorTests:
    @pytest.fixture(autouse=True)
    def _countries(self):
        contact("nl@x.nl", company=company(country="NL", account_type="customer"), role=User.Role.BUYER, language="nl")
        contact("be@x.be", company=company(country="BE", account_type="dealer"), role=User.Role.FINANCE, language="fr")
        contact("de@x.de", company=company(country="DE", account_type="prospect"), role="", language="de")
        contact("none@x.example", company=company(country=""), role=User.Role.ADMIN, language="en")

    @pytest.mark.parametrize(
        ("op", "value", "expected"),
        [
            ("eq", "NL", {"nl@x.nl"}),
            ("eq", "nl", {"nl@x.nl"}),
            ("eq", " Nl ", {"nl@x.nl"}),
            ("in", ["nl", "BE"], {"nl@x.nl", "be@x.be"}),
            ("not_in", ["nl", "BE"], {"de@x.de", "none@x.example"}),
        ],
    )
    def test_country_comparisons_are_case_insensitive(self, op, value, expected):
        assert matches(cond("company.country", op, value)) == expected

    def test_ne(self):
        assert matches(cond("company.country", "ne", "nl")) >= {"be@x.be", "de@x.de"}
        assert "nl@x.nl" not in matches(cond("company.country", "ne", "nl"))

    def test_is_empty_is_true_for_the_empty_string(self):
        assert matches(cond("company.country", "is_empty")) == {"none@x.example"}
        assert matches(cond("company.country", "is_not_empty")) == {"nl@x.nl", "be@x.be", "de@x.de"}
        assert matches(cond("contact.role", "is_empty")) == {"de@x.de"}

    def test_other_enums(self):
        assert matches(cond("company.account_type", "eq", "Dealer")) == {"be@x.be"}
        assert matches(cond("company.account_type", "in", ["prospect", "customer"])) == {"nl@x.nl", "de@x.de", "none@x.example"}
        assert matches(cond("contact.role", "eq", "FINANCE")) == {"be@x.be"}
        assert matches(cond("contact.role", "not_in", ["buyer"])) == {"be@x.be", "de@x.de", "none@x.example"}
        assert matches(cond("contact.language", "ne", "NL")) == {"be@x.be", "de@x.de", "none@x.example"}

    @pytest.mark.parametrize(
        ("employees", "band"),
        [(0, "micro"), (9, "micro"), (10, "small"), (49, "small"), (50, "medium"), (249, "medium"), (250, "large"),
         (12000, "large")],
    )
    def test_size_band_boundaries(self, employees, band):
        contact("sized@x.nl", company=company(employee_count=employees))
        assert matches(cond("company.size_band", "eq", band)) == {"sized@x.nl"}
        assert "sized@x.nl" not in matches(cond("company.size_band", "ne", band))

    def test_size_band_is_empty_without_employee_count(self):
        contact("sized@x.nl", company=company(employee_count=None))
        contact("counted@x.nl", company=company(employee_count=5))
        assert "sized@x.nl" in matches(cond("company.size_band", "is_empty"))
        assert "counted@x.nl" not in matches(cond("company.size_band", "is_empty"))


@pytest.mark.django_db
class BooleanOperatorTests:
    def test_is_true_and_is_false(self):
        contact("blocked@x.nl", company=company(blocked=True), marketing_consent=True, is_active=False)
        contact("open@x.nl", company=company(blocked=False), marketing_consent=False, is_active=True)
        assert matches(cond("company.blocked", "is_true")) == {"blocked@x.nl"}
        assert matches(cond("company.blocked", "is_false")) == {"open@x.nl"}
        assert matches(cond("contact.marketing_consent", "is_true")) == {"blocked@x.nl"}
        assert matches(cond("contact.is_active", "is_false")) == {"blocked@x.nl"}
        assert matches(cond("contact.is_active", "is_true")) == {"open@x.nl"}


@pytest.mark.django_db
class DatetimeOperatorTests:
    """contact.last_login against NOW = 2026-04-01 10:00 Amsterdam; days are Amsterdam calendar days."""

    @pytest.fixture(autouse=True)
    def _logins(self):
        contact("late@x.nl", last_login=utc(2026, 3, 17, 23, 30))  # 18 March 00:30 locally
        contact("evening@x.nl", last_login=local(2026, 3, 17, 23, 59))
        contact("today@x.nl", last_login=local(2026, 4, 1, 0, 0))
        contact("future@x.nl", last_login=NOW + datetime.timedelta(hours=30))  # 2 April
        contact("never@x.nl", last_login=None)

    @pytest.mark.parametrize(
        ("op", "value", "expected"),
        [
            ("before", "2026-03-18", {"evening"}),
            ("before", "2026-03-17", set()),
            ("after", "2026-03-17", {"late", "today", "future"}),
            ("after", "2026-03-18", {"today", "future"}),
            ("after", "2026-04-01", {"future"}),
            ("between", ["2026-03-18", "2026-03-18"], {"late"}),
            ("between", ["2026-03-17", "2026-04-01"], {"late", "evening", "today"}),
            ("within_last_days", 14, {"late", "today", "future"}),
            ("within_last_days", 15, {"late", "evening", "today", "future"}),
            ("within_last_days", 0, {"today", "future"}),
            ("more_than_days_ago", 14, {"evening"}),
            ("more_than_days_ago", 13, {"late", "evening"}),
            ("more_than_days_ago", 0, {"late", "evening"}),
        ],
    )
    def test_comparisons_use_the_local_calendar_day(self, op, value, expected):
        assert matches(cond("contact.last_login", op, value)) == {f"{name}@x.nl" for name in expected}

    def test_is_empty_and_is_not_empty(self):
        assert matches(cond("contact.last_login", "is_empty")) == {"never@x.nl"}
        assert matches(cond("contact.last_login", "is_not_empty")) == {"late@x.nl", "evening@x.nl", "today@x.nl", "future@x.nl"}

    def test_23_30_utc_is_the_next_local_day(self):
        assert matches(cond("contact.last_login", "between", ["2026-03-18", "2026-03-18"])) == {"late@x.nl"}
        assert "late@x.nl" not in matches(cond("contact.last_login", "between", ["2026-03-17", "2026-03-17"]))

    def test_date_joined_in_winter(self):
        contact("joined@x.nl", date_joined=utc(2025, 12, 31, 23, 30))  # 1 January 2026 00:30 locally
        assert "joined@x.nl" in matches(cond("contact.date_joined", "after", "2025-12-31"))
        assert "joined@x.nl" not in matches(cond("contact.date_joined", "before", "2026-01-01"))

    def test_the_result_depends_on_now_not_on_data_changes(self):
        assert "late@x.nl" in matches(cond("contact.last_login", "within_last_days", 14))
        assert "late@x.nl" not in matches(cond("contact.last_login", "within_last_days", 14), now=NOW + datetime.timedelta(days=1))
        assert "late@x.nl" in matches(cond("contact.last_login", "more_than_days_ago", 14), now=local(2026, 4, 2, 0, 0))


@pytest.mark.django_db
class DateOperatorTests:
    """company.customer_since (a date) against today = 2026-04-01."""

    @pytest.fixture(autouse=True)
    def _dates(self):
        for email, since in (("d14@x.nl", datetime.date(2026, 3, 18)), ("d15@x.nl", datetime.date(2026, 3, 17)),
                             ("today@x.nl", TODAY), ("future@x.nl", datetime.date(2026, 4, 2)), ("none@x.nl", None)):
            contact(email, company=company(customer_since=since))

    @pytest.mark.parametrize(
        ("op", "value", "expected"),
        [
            ("before", "2026-03-18", {"d15"}),
            ("after", "2026-03-18", {"today", "future"}),
            ("between", ["2026-03-17", "2026-03-18"], {"d14", "d15"}),
            ("between", ["2026-04-01", "2026-04-01"], {"today"}),
            ("within_last_days", 14, {"d14", "today", "future"}),
            ("within_last_days", 0, {"today", "future"}),
            ("more_than_days_ago", 14, {"d15"}),
            ("more_than_days_ago", 0, {"d14", "d15"}),
        ],
    )
    def test_comparisons(self, op, value, expected):
        assert matches(cond("company.customer_since", op, value)) == {f"{name}@x.nl" for name in expected}

    def test_is_empty(self):
        assert matches(cond("company.customer_since", "is_empty")) == {"none@x.nl"}
        assert len(matches(cond("company.customer_since", "is_not_empty"))) == 4


@pytest.mark.django_db
class ReferenceOperatorTests:
    @pytest.fixture(autouse=True)
    def _orders(self):
        self.tulip, self.rose, self.orchid = product("TUL-1"), product("ROSE-1"), product("ORC-1")
        both, tulips_only, nothing = company(), company(), company()
        contact("both@x.nl", company=both)
        contact("tulips@x.nl", company=tulips_only)
        contact("nothing@x.nl", company=nothing)
        order(both, local(2026, 3, 1, 9), [(self.tulip, 1, "1.00"), (self.rose, 1, "1.00")], channel="web")
        order(both, local(2026, 3, 2, 9), [(self.rose, 1, "1.00")], channel="edi")
        order(tulips_only, local(2026, 3, 1, 9), [(self.tulip, 1, "1.00")], channel="phone")

    @pytest.mark.parametrize(
        ("op", "value", "expected"),
        [
            ("contains_any", ["TUL-1"], {"both", "tulips"}),
            ("contains_any", ["ROSE-1", "ORC-1"], {"both"}),
            ("contains_any", ["ORC-1"], set()),
            ("contains_all", ["TUL-1", "ROSE-1"], {"both"}),
            ("contains_all", ["TUL-1"], {"both", "tulips"}),
            ("contains_all", ["TUL-1", "ORC-1"], set()),
            ("contains_none", ["ROSE-1"], {"tulips", "nothing"}),
            ("contains_none", ["ORC-1"], {"both", "tulips", "nothing"}),
            ("contains_any", [" TUL-1 "], {"both", "tulips"}),
        ],
    )
    def test_bought_product(self, op, value, expected):
        assert matches(cond("sales.bought_product", op, value)) == {f"{name}@x.nl" for name in expected}

    @pytest.mark.parametrize(
        ("op", "value", "expected"),
        [
            ("contains_any", ["edi", "phone"], {"both", "tulips"}),
            ("contains_all", ["web", "edi"], {"both"}),
            ("contains_all", ["web", "phone"], set()),
            ("contains_none", ["web"], {"tulips", "nothing"}),
        ],
    )
    def test_channel(self, op, value, expected):
        assert matches(cond("sales.channel", op, value)) == {f"{name}@x.nl" for name in expected}

    def test_cart_contains_product(self):
        shopper = Contact.objects.get(email="nothing@x.nl")
        cart(shopper, [(self.orchid, 2, "5.00", local(2026, 3, 30, 9)), (self.rose, 1, "2.00", local(2026, 3, 30, 9))])
        assert matches(cond("cart.contains_product", "contains_all", ["ORC-1", "ROSE-1"])) == {"nothing@x.nl"}
        assert matches(cond("cart.contains_product", "contains_any", ["TUL-1"])) == set()
        assert matches(cond("cart.contains_product", "contains_none", ["ORC-1"])) == {"both@x.nl", "tulips@x.nl"}


@pytest.mark.django_db
class GroupTests:
    @pytest.fixture(autouse=True)
    def _contacts(self):
        contact("nl@x.nl", company=company(country="NL", employee_count=5))
        contact("be@x.be", company=company(country="BE", employee_count=500))

    def test_all_of_nothing_matches_every_contact(self):
        assert matches({"all": []}) == {"nl@x.nl", "be@x.be"}

    def test_any_of_nothing_matches_no_contact(self):
        assert matches({"any": []}) == set()

    def test_not_of_empty_groups(self):
        assert matches({"not": {"all": []}}) == set()
        assert matches({"not": {"any": []}}) == {"nl@x.nl", "be@x.be"}

    def test_all_any_not(self):
        nl = cond("company.country", "eq", "NL")
        big = cond("company.employee_count", "gt", 100)
        assert matches({"all": [nl, big]}) == set()
        assert matches({"any": [nl, big]}) == {"nl@x.nl", "be@x.be"}
        assert matches({"all": [{"not": nl}, big]}) == {"be@x.be"}
        assert matches({"not": {"any": [nl, {"not": big}]}}) == {"be@x.be"}
        assert matches({"not": {"not": nl}}) == {"nl@x.nl"}

    def test_ten_levels_deep(self):
        rule = cond("company.country", "eq", "NL")
        for kind in ("all", "any", "not", "not", "all", "any", "not", "not", "all"):
            rule = {"not": rule} if kind == "not" else {kind: [rule]}
        assert matches(rule) == {"nl@x.nl"}


class RegistryBoundaryTests:
    def test_a_field_missing_from_the_registry_never_reaches_sql(self):
        """E.g. an attribute deleted after the rule was validated: compiling refuses instead of guessing."""
        tree = validate_rule(cond("company.attr.loyalty_tier", "eq", "gold"), registry=REGISTRY)
        with pytest.raises(UnknownFieldError):
            compile_rule(tree, registry=field_registry_build(), now=NOW)


@pytest.mark.django_db
class CandidateTests:
    """Every contact is a candidate; only the rule decides (precise semantics 13)."""

    def test_inactive_contacts_blocked_companies_and_prospects_are_candidates(self):
        contact("inactive@x.nl", is_active=False)
        contact("blocked@x.nl", company=company(blocked=True))
        contact("prospect@x.nl", company=company(account_type="prospect"))
        contact("dealer@x.nl", company=company(account_type="dealer"))
        assert matches({"all": []}) == {"inactive@x.nl", "blocked@x.nl", "prospect@x.nl", "dealer@x.nl"}
        assert matches(cond("company.country", "eq", "NL")) == {"inactive@x.nl", "blocked@x.nl", "prospect@x.nl", "dealer@x.nl"}

    def test_staff_users_are_not_contacts(self):
        contact("buyer@x.nl")
        StaffUserFactory(email="marketer@b2bshop.example", password=None)
        assert matches({"all": []}) == {"buyer@x.nl"}
        assert matches({"not": {"any": []}}) == {"buyer@x.nl"}


def matches_or_refused(rule: dict[str, Any]) -> set[str] | None:
    """None when validate_rule refuses the rule; otherwise the members, which must follow the spec."""
    try:
        validate_rule(rule, registry=REGISTRY)
    except RuleValidationError:
        return None
    return matches(rule)


@pytest.mark.django_db
class ExtremeValueTests:
    """A rule the validator accepts never fails in SQL (and gives the same answer on SQLite and PostgreSQL).

    The validator may refuse the extreme values below instead; it must not accept a rule that then crashes.
    """

    @pytest.fixture(autouse=True)
    def _contacts(self):
        contact("logged-in@x.nl", last_login=local(2026, 3, 1, 9), company=company(customer_since=TODAY))
        contact("never@x.nl", last_login=None)

    @pytest.mark.parametrize(
        ("rule", "expected"),
        [
            (cond("contact.last_login", "before", "0001-01-01"), set()),
            (cond("contact.last_login", "after", "9999-12-31"), set()),
            (cond("contact.last_login", "between", ["0001-01-01", "9999-12-31"]), {"logged-in@x.nl"}),
            (cond("company.customer_since", "after", "9999-12-31"), set()),
            (cond("company.customer_since", "before", "0001-01-02"), set()),
        ],
    )
    def test_the_first_and_last_dates(self, rule, expected):
        assert matches_or_refused(rule) in (None, expected)

    def test_a_window_from_the_first_to_the_last_date_is_all_time(self):
        buyer = Contact.objects.get(email="logged-in@x.nl")
        order(buyer.company, local(2026, 3, 1, 9), [(product("TUL-1"), 1, "10.00")])
        rule = cond("sales.revenue", "eq", 10, window={"from": "0001-01-01", "to": "9999-12-31"})
        assert matches_or_refused(rule) in (None, {"logged-in@x.nl"})

    @pytest.mark.parametrize(
        ("field", "value"),
        [("sales.average_order_value", 999999999999.9999), ("sales.web_share", 999999999999.9999)],
    )
    def test_a_large_threshold_on_a_ratio_for_a_company_with_many_orders(self, field, value):
        buyer = Contact.objects.get(email="logged-in@x.nl")
        tulip = product("TUL-1")
        orders = Order.objects.bulk_create(
            Order(order_number=f"BULK{index}", company=buyer.company, ordered_at=local(2026, 1, 1, 9) + datetime.timedelta(
                hours=index), channel="web", total_amount=Decimal("10.00"))
            for index in range(1000)
        )
        OrderLine.objects.bulk_create(
            OrderLine(order=placed, line_no=1, product=tulip, quantity=1, unit_price=Decimal("10.00")) for placed in orders
        )
        assert matches_or_refused(cond(field, "lt", value)) in (None, {"logged-in@x.nl"})
        assert matches_or_refused(cond(field, "gt", -value)) in (None, {"logged-in@x.nl"})

    def test_a_large_threshold_on_the_revenue_percentile_with_many_companies(self):
        buyer = Contact.objects.get(email="logged-in@x.nl")
        CompanyValueFactory(company=buyer.company, computed_for=TODAY, revenue_rank=500, company_total=1000)
        assert matches_or_refused(cond("value.revenue_percentile", "lt", 999999999999.9999)) in (None, {"logged-in@x.nl"})


@pytest.mark.django_db
class UnusualTextTests:
    @pytest.fixture(autouse=True)
    def _companies(self):
        contact("slash@x.nl", company=company(name="Back\\Slash & Co"))
        contact("plain@x.nl", company=company(name="Backslash & Co"))

    def test_a_backslash_is_a_literal_character(self):
        assert matches(cond("company.name", "contains", "k\\s")) == {"slash@x.nl"}
        assert matches(cond("company.name", "starts_with", "BACK\\")) == {"slash@x.nl"}
        assert matches(cond("company.name", "eq", "back\\slash & co")) == {"slash@x.nl"}

    @pytest.mark.parametrize(
        "rule",
        [
            cond("company.name", "eq", "Back\u0000Slash"),
            cond("company.name", "contains", "\u0000"),
            cond("company.name", "not_in", ["x\u0000"]),
            cond("sales.bought_product", "contains_any", ["SKU\u0000"]),
            cond("segment.member_of", "contains_any", ["vip\u0000"]),
        ],
    )
    def test_a_nul_character_in_a_value_is_refused_or_evaluated(self, rule):
        """No stored text holds NUL (PostgreSQL cannot); a rule the validator accepts must still evaluate."""
        expected = {"slash@x.nl", "plain@x.nl"} if rule["op"] == "not_in" else set()
        assert matches_or_refused(rule) in (None, expected)
