"""Properties of the rule language (hypothesis).

1. For random valid rules drawn from the registry, the compiled SQL selects exactly the
   contacts that the reference evaluator (tests/segments/reference.py) selects, over one
   small but rich dataset.
2. `validate_rule` on arbitrary JSON, and on mutations of valid rules, raises nothing
   but RuleValidationError; what it accepts compiles and survives `rule_to_json`.
"""

from __future__ import annotations

import copy
import datetime
import json
import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from accounts.models import CompanyAttributeValue, Contact, User
from accounts.text import fold
from orders.models import Cart, Order
from segments.compiler import compile_rule
from segments.statistics import run_statistics_prepare
from segments.fields import VALUELESS_OPERATORS, WINDOW_NAMES, Field, FieldRegistry, FieldType, field_registry_build
from segments.validation import RuleValidationError, rule_to_json, validate_rule
from tests.accounts.factories import CompanyAttributeDefinitionFactory, CompanyFactory, ContactFactory
from tests.catalog.factories import ProductFactory
from tests.segments import reference
from tests.segments.factories import CompanyValueFactory, SegmentFactory, SegmentMembershipFactory
from tests.segments.test_compiler import NOW, cart, category, local, order, utc

# The examples only read the dataset, which each test builds once (a function-scoped fixture).
CI = settings(
    settings.get_profile("ci"), suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


# ------------------------------------------------------------------ the dataset


def _attribute(company, definition, raw, **typed):
    CompanyAttributeValue.objects.create(company=company, definition=definition, raw_value=raw, **typed)


def dataset_build() -> None:
    """Eight companies, twelve contacts: NULLs, unicode, cancelled and open orders, carts, values, memberships."""
    flowers = category("flowers")
    roses = category("roses", flowers)
    red_roses = category("red-roses", roses)
    tulips = category("tulips", flowers)
    plants = category("plants")
    orchids = category("orchids", plants)
    red = ProductFactory(sku="RED-1", category=red_roses)
    rose = ProductFactory(sku="ROSE-1", category=roses)
    tulip = ProductFactory(sku="TUL-1", category=tulips)
    orchid = ProductFactory(sku="ORC-1", category=orchids)
    plant = ProductFactory(sku="PLANT-1", category=plants)
    odd = ProductFactory(sku="RED_%2", category=red_roses)

    nl = CompanyFactory(
        erp_id="100001", name="De Bloemenhal B.V.", country="NL", region="Noord-Holland", city="Aalsmeer", sector="G",
        employee_count=45, customer_group="Retail", price_group="P1", credit_limit=Decimal("5000.00"),
        payment_terms_days=30, customer_since=datetime.date(2019, 5, 1),
    )
    de = CompanyFactory(
        erp_id="de-200", name="MÜLLER Blumen GmbH", country="DE", region="Bayern", city="München", sector="A",
        employee_count=250, customer_group="Wholesale", price_group="p1", credit_limit=Decimal("12500.50"),
        payment_terms_days=14, customer_since=datetime.date(2025, 12, 31), account_type="dealer",
    )
    dk = CompanyFactory(
        erp_id="DK_300", name="Ørsted Flowers ApS", country="DK", region="", city="København",
        sector="wholesale of flowers", employee_count=9, customer_group="", price_group="P2",
    )
    gb = CompanyFactory(
        erp_id="400%", name="100% Roses_Ltd", country="GB", region="Greater London", city="London", sector="G",
        employee_count=None, credit_limit=Decimal("0.00"), customer_since=datetime.date(2026, 4, 2), blocked=True,
    )
    tr = CompanyFactory(
        erp_id="500", name="İzmir Çiçek", country="TR", city="İzmir", employee_count=10, account_type="prospect",
        customer_group="Retail",
    )
    cy = CompanyFactory(erp_id="600", name="Nicosia Florals", country="CY", city="Nicosia", employee_count=49,
                        payment_terms_days=0, customer_since=datetime.date(2026, 3, 18))
    xk = CompanyFactory(erp_id="700", name="Kosovo Lule", country="XK", city="Prishtina", employee_count=50,
                        customer_since=datetime.date(2026, 1, 1))
    nameless = CompanyFactory(erp_id="800", name="Nameless Trading", country="", city="", employee_count=0)

    def contact(email, company, **extra):
        extra.setdefault("date_joined", local(2024, 1, 10, 9))
        return ContactFactory(email=email, company=company, password=None, **extra)

    anna = contact("anna@bloemenhal.nl", nl, role=User.Role.BUYER, language="en", last_login=NOW - datetime.timedelta(days=3),
                   marketing_consent=True, job_title="Inkoper")
    bram = contact("bram@bloemenhal.nl", nl, role=User.Role.PURCHASING_MANAGER, last_login=None, is_active=False,
                   job_title="HEAD OF PURCHASING", date_joined=utc(2026, 3, 31, 22, 30))
    clara = contact("clara@mueller.de", de, role=User.Role.DECISION_MAKER, language="de", last_login=utc(2026, 3, 17, 23, 30),
                    job_title="Einkäufer")
    dirk = contact("dirk@mueller.de", de, role=User.Role.FINANCE, language="de", last_login=local(2026, 3, 18, 9),
                   job_title="50%_share manager")
    emma = contact("emma@orsted.dk", dk, role=User.Role.USER, language="fr", last_login=utc(2026, 3, 31, 22, 30))
    finn = contact("finn@roses.co.uk", gb, role=User.Role.ADMIN, language="en", last_login=NOW + datetime.timedelta(hours=2),
                   job_title="Buyer", marketing_consent=True)
    gul = contact("gul@izmir.com.tr", tr, role="", last_login=None, job_title="  ")
    hana = contact("hana@nicosia.cy", cy, last_login=utc(2025, 12, 31, 23, 30), date_joined=local(2025, 12, 31, 23))
    ilir = contact("ilir@lule.xk", xk, role=User.Role.DECISION_MAKER, last_login=local(2024, 4, 1, 12))
    jan = contact("jan@nameless.example", nameless, role=User.Role.USER, last_login=NOW - datetime.timedelta(days=400))
    contact("kees@bloemenhal.nl", nl, role=User.Role.ADMIN, language="nl", last_login=local(2026, 3, 31, 23, 59),
            job_title="Ørsted liaison")
    contact("lena@mueller.de", de, role=User.Role.BUYER, language="de", is_active=False, marketing_consent=True)

    order(nl, local(2024, 6, 15, 10), [(red, 10, "2.50"), (tulip, 5, "3.00")], channel="phone")
    order(nl, utc(2025, 12, 31, 23, 30), [(rose, 3, "33.33")], channel="web", placed_by=anna)
    order(nl, utc(2026, 3, 31, 21, 59), [(orchid, 1, "100.00")], channel="web", status=Order.Status.OPEN, placed_by=bram)
    order(nl, utc(2026, 3, 31, 22, 30), [(plant, 2, "0.50")], channel="email")
    order(nl, local(2026, 2, 10, 12), [(red, 1000, "100.00")], channel="web", status=Order.Status.CANCELLED, placed_by=anna)
    order(de, utc(2025, 6, 30, 22, 30), [(odd, 7, "12.34")], channel="edi", placed_by=clara)
    order(de, local(2026, 1, 15, 8), [(tulip, 20, "1.10"), (rose, 2, "5.00")], channel="web", placed_by=dirk)
    order(de, local(2026, 3, 1, 8), [], channel="sales_rep")
    order(dk, utc(2024, 12, 31, 23, 30), [(orchid, 3, "10.00")], channel="fax")
    order(dk, local(2026, 4, 1, 9), [(red, 1, "50000.01")], channel="web", status=Order.Status.OPEN, placed_by=emma)
    order(gb, local(2026, 3, 20, 12), [(tulip, 1, "10.00")], channel="web", status=Order.Status.CANCELLED, placed_by=finn)
    order(cy, local(2025, 11, 11, 9), [(plant, 3, "33.33")], channel="phone")
    order(cy, local(2025, 11, 11, 15), [(plant, 1, "33.34")], channel="web", placed_by=hana)
    order(xk, local(2026, 3, 25, 16), [(rose, 4, "12.50")], channel="web", placed_by=ilir)
    order(nameless, local(2023, 2, 1, 10), [(orchid, 1, "1.00")], channel="email")

    cart(anna, [(red, 10, "2.60", utc(2026, 3, 30, 10)), (tulip, 6, "3.00", utc(2026, 3, 31, 22, 30))])
    cart(clara, [(rose, 16, "1.25", local(2026, 2, 1, 8))])
    cart(emma, [])
    cart(finn, [(plant, 1, "0.01", NOW + datetime.timedelta(hours=1))])
    cart(bram, [(orchid, 100, "9.99", local(2026, 3, 1, 8))], status=Cart.Status.ORDERED)
    cart(hana, [(tulip, 3, "1.00", local(2026, 3, 2, 8))], status=Cart.Status.ABANDONED)
    cart(ilir, [(odd, 2, "12.34", utc(2025, 12, 31, 23, 30))])

    def value(company, **extra):
        CompanyValueFactory(company=company, computed_for=NOW.date(), company_total=8, **extra)

    value(nl, rfm_recency=5, rfm_frequency=4, rfm_monetary=5, rfm_segment="champions", revenue_rank=8,
          top_25_percent=True, lifetime_revenue=Decimal("240.99"), predicted_clv_12m=Decimal("310.25"))
    value(de, rfm_recency=4, rfm_frequency=3, rfm_monetary=4, rfm_segment="potential_loyalists", revenue_rank=6,
          lifetime_revenue=Decimal("150.38"))
    value(dk, rfm_recency=5, rfm_frequency=1, rfm_monetary=5, rfm_segment="new", revenue_rank=7, top_25_percent=True,
          lifetime_revenue=Decimal("50030.01"), predicted_clv_12m=Decimal("1000.00"))
    value(gb, revenue_rank=2, lifetime_revenue=Decimal("0.00"))
    value(cy, rfm_recency=2, rfm_frequency=2, rfm_monetary=3, rfm_segment="hibernating", revenue_rank=4,
          lifetime_revenue=Decimal("133.33"), predicted_clv_12m=Decimal("12.35"))
    value(xk, rfm_recency=3, rfm_frequency=1, rfm_monetary=2, rfm_segment="about_to_sleep", revenue_rank=5,
          lifetime_revenue=Decimal("50.00"))

    tier = CompanyAttributeDefinitionFactory(name="loyalty_tier", value_type="text")
    fleet = CompanyAttributeDefinitionFactory(name="fleet_size", value_type="number")
    contract = CompanyAttributeDefinitionFactory(name="contract_end", value_type="date")
    organic = CompanyAttributeDefinitionFactory(name="organic", value_type="boolean")
    _attribute(nl, tier, "Gold Plus", text_value=fold("Gold Plus"))
    _attribute(nl, fleet, "12.5", number_value=Decimal("12.5"))
    _attribute(nl, contract, "2026-12-31", date_value=datetime.date(2026, 12, 31))
    _attribute(nl, organic, "yes", boolean_value=True)
    _attribute(de, tier, "Ü-Level 50%", text_value=fold("Ü-Level 50%"))
    _attribute(de, fleet, "0.000001", number_value=Decimal("0.000001"))
    _attribute(de, contract, "2026-03-31", date_value=datetime.date(2026, 3, 31))
    _attribute(de, organic, "no", boolean_value=False)
    _attribute(dk, tier, "", text_value="")
    _attribute(dk, fleet, "n/a", number_value=None)
    _attribute(dk, organic, "?", boolean_value=None)
    _attribute(gb, tier, "?", text_value=None)
    _attribute(gb, contract, "2026-04-01", date_value=datetime.date(2026, 4, 1))
    _attribute(cy, fleet, "-3.25", number_value=Decimal("-3.25"))
    _attribute(cy, contract, "2020-01-01", date_value=datetime.date(2020, 1, 1))

    vip, newsletter, dormant = SegmentFactory(slug="vip"), SegmentFactory(slug="newsletter"), SegmentFactory(slug="dormant")
    SegmentFactory(slug="nobody")
    for segment, contacts in ((vip, (anna, clara, finn)), (newsletter, (anna, bram, emma, gul)), (dormant, (ilir, jan))):
        for member in contacts:
            SegmentMembershipFactory(segment=segment, contact=member, since=local(2026, 3, 1))


ATTRIBUTES = (
    ("loyalty_tier", "text", "Loyalty tier", ""),
    ("fleet_size", "number", "Fleet size", ""),
    ("contract_end", "date", "Contract end", ""),
    ("organic", "boolean", "Organic", ""),
)


# ------------------------------------------------------------ values to draw from


def _decimal(value: Fraction | Decimal | int, places: int) -> Decimal:
    fraction = Fraction(value)
    exact = Decimal(fraction.numerator) / Decimal(fraction.denominator)
    return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


def json_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


@dataclass
class Pools:
    """Values worth comparing with: the dataset's actual values, their neighbours and boundaries."""

    snapshot: reference.Snapshot
    registry: FieldRegistry
    _cache: dict[tuple[str, str], list[Any]] = field(default_factory=dict)

    @property
    def fields(self) -> list[Field]:
        return list(self.registry)

    def actual(self, key: str, window: Any) -> list[Any]:
        cache_key = (key, json.dumps(window))
        if cache_key not in self._cache:
            self._cache[cache_key] = [
                reference.field_value(key, contact, self.snapshot, window) for contact in self.snapshot.contacts
            ]
        return self._cache[cache_key]

    def numbers(self, key: str, window: Any) -> list[Decimal]:
        found = {Decimal(0), Decimal(1), Decimal(-1), Decimal(75), Decimal(50000)}
        for value in self.actual(key, window):
            if value is None:
                continue
            cents = _decimal(value, 2)
            found |= {_decimal(value, 6), cents, cents + Decimal("0.01"), cents - Decimal("0.01"),
                      Decimal(math.floor(value)), Decimal(math.ceil(value)) + 1}
        return sorted(found)

    def texts(self, key: str) -> list[str]:
        found = {"", "%", "_", "zz", "ü"}
        for value in self.actual(key, None):
            if not value:
                continue
            found |= {value, value.upper(), value.lower(), f"  {value} ", value[:1], value[:3], value[1:4], value[-3:]}
        return sorted(found)

    def days(self, key: str, window: Any) -> list[datetime.date]:
        today = self.snapshot.today
        found = {today, today - datetime.timedelta(days=1), today + datetime.timedelta(days=1),
                 datetime.date(2025, 12, 31), datetime.date(2026, 1, 1)}
        for value in self.actual(key, window):
            if value is not None:
                day = self.snapshot.local_day(value)
                found |= {day - datetime.timedelta(days=1), day, day + datetime.timedelta(days=1)}
        return sorted(found)

    def day_counts(self, key: str, window: Any) -> list[int]:
        today = self.snapshot.today
        found = {0, 1, 7, 14, 30, 365}
        for day in self.days(key, window):
            found.add(max(0, (today - day).days))
        return sorted(found)

    def references(self, spec: Field) -> list[str]:
        if spec.choices:
            return list(spec.choice_values)
        if spec.reference == "product":
            return sorted(product.sku for product in self.snapshot.products.values()) + ["NOPE-1"]
        if spec.reference == "category":
            return sorted(self.snapshot.category_slug.values()) + ["no-such-category"]
        return ["vip", "newsletter", "dormant", "nobody", "ghost"]

    def choices(self, spec: Field) -> list[str]:
        if spec.key == "company.country":
            return ["NL", "DE", "DK", "GB", "TR", "CY", "XK", "BE", "US"]
        return list(spec.choice_values)


def _cased(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(strategy, st.sampled_from([str, str.upper, str.lower, lambda s: f" {s} "])).map(lambda t: t[1](t[0]))


def windows(pools: Pools) -> st.SearchStrategy[Any]:
    days = pools.days("sales.last_order_at", None)
    return st.one_of(
        st.sampled_from(WINDOW_NAMES),
        st.builds(lambda n: {"last_days": n}, st.sampled_from([0, 1, 2, 7, 30, 90, 365, 800])),
        st.lists(st.sampled_from(days), min_size=2, max_size=2).map(sorted).map(
            lambda pair: {"from": pair[0].isoformat(), "to": pair[1].isoformat()}
        ),
    )


def values(pools: Pools, spec: Field, op: str, window: Any) -> st.SearchStrategy[Any]:
    kind = spec.type
    if kind == FieldType.REFERENCE:
        return st.lists(st.sampled_from(pools.references(spec)), min_size=1, max_size=3)
    if kind == FieldType.NUMBER:
        numbers = st.sampled_from(pools.numbers(spec.key, window))
        if op == "between":
            return st.lists(numbers, min_size=2, max_size=2).map(lambda pair: [json_number(v) for v in sorted(pair)])
        return numbers.map(json_number)
    if kind in (FieldType.DATE, FieldType.DATETIME):
        days = st.sampled_from(pools.days(spec.key, window))
        if op == "between":
            return st.lists(days, min_size=2, max_size=2).map(lambda pair: [d.isoformat() for d in sorted(pair)])
        if op in ("within_last_days", "more_than_days_ago"):
            return st.sampled_from(pools.day_counts(spec.key, window))
        return days.map(datetime.date.isoformat)
    scalars = _cased(st.sampled_from(pools.choices(spec))) if kind == FieldType.ENUM else st.sampled_from(pools.texts(spec.key))
    if op in ("in", "not_in"):
        return st.lists(scalars, min_size=1, max_size=3)
    return scalars


@st.composite
def conditions(draw, pools: Pools) -> dict[str, Any]:
    spec = draw(st.sampled_from(pools.fields))
    op = draw(st.sampled_from(spec.operators))
    node: dict[str, Any] = {"field": spec.key, "op": op}
    window = None
    if spec.windowed and draw(st.booleans()):
        window = node["window"] = draw(windows(pools))
    if op not in VALUELESS_OPERATORS:
        node["value"] = draw(values(pools, spec, op, window))
    return node


def rules(pools: Pools, depth: int = 5) -> st.SearchStrategy[dict[str, Any]]:
    """Valid rule JSON: conditions nested in all/any/not up to `depth` levels (at most 3**4 conditions)."""
    leaf = conditions(pools)
    if depth <= 1:
        return leaf
    child = rules(pools, depth - 1)
    return st.one_of(
        leaf,
        st.lists(child, max_size=3).map(lambda items: {"all": items}),
        st.lists(child, max_size=3).map(lambda items: {"any": items}),
        child.map(lambda item: {"not": item}),
    )


@pytest.fixture
def pools(db, settings) -> Pools:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    dataset_build()
    return Pools(snapshot=reference.snapshot_load(now=NOW), registry=field_registry_build(ATTRIBUTES))


def sql_members(rule: dict[str, Any], *, registry: FieldRegistry) -> set[int]:
    """The members per contact (correlated aggregates); the refresh run's form must select the same."""
    tree = validate_rule(rule, registry=registry)
    members = set(Contact.objects.filter(compile_rule(tree, registry=registry, now=NOW)).values_list("pk", flat=True))
    statistics = run_statistics_prepare(nodes=[tree], registry=registry, now=NOW)
    bulk = compile_rule(tree, registry=registry, now=NOW, statistics=statistics)
    assert set(Contact.objects.filter(bulk).values_list("pk", flat=True)) == members, "the refresh form disagrees"
    return members


class CompiledRuleTests:
    def test_the_dataset_covers_what_the_property_needs(self, pools):
        snapshot = pools.snapshot
        assert len(snapshot.contacts) == 12
        assert {company.country for company in snapshot.companies.values()} >= {"", "TR", "CY", "XK", "GB"}
        assert any(order.status == Order.Status.CANCELLED for orders in snapshot.orders.values() for order in orders)
        assert any(contact.last_login is None for contact in snapshot.contacts)
        assert len(pools.actual("segment.member_of", None)) == 12

    @CI
    @given(data=st.data())
    def test_sql_membership_equals_the_reference_evaluator(self, pools, data):
        rule = data.draw(rules(pools), label="rule")
        expected = reference.members(rule, snapshot=pools.snapshot)
        actual = sql_members(rule, registry=pools.registry)
        note(f"only in SQL: {sorted(actual - expected)}; only in the reference: {sorted(expected - actual)}")
        assert actual == expected

    @CI
    @given(data=st.data())
    def test_single_conditions_match_the_reference_evaluator(self, pools, data):
        """Every field and operator on its own, so that a mismatch shrinks to one condition."""
        rule = data.draw(conditions(pools), label="condition")
        expected = reference.members(rule, snapshot=pools.snapshot)
        assert sql_members(rule, registry=pools.registry) == expected
        assert sql_members({"not": rule}, registry=pools.registry) == {c.pk for c in pools.snapshot.contacts} - expected


# ------------------------------------------------------------- arbitrary JSON

RULE_WORDS = ["all", "any", "not", "field", "op", "value", "window", "last_days", "from", "to"]
STATIC_REGISTRY = field_registry_build(ATTRIBUTES)
FIELD_KEYS = list(STATIC_REGISTRY.keys) + ["company.contry", "sales.", "attr.x", ""]
OPERATOR_WORDS = sorted({op for spec in STATIC_REGISTRY for op in spec.operators}) + ["like", ""]
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**15), max_value=10**15), st.floats(allow_nan=True),
    st.text(max_size=12), st.sampled_from(FIELD_KEYS + OPERATOR_WORDS + list(WINDOW_NAMES)),
    st.sampled_from(["2026-04-01", " 2026-02-29 ", "2026-13-01", "12.5", "1e3", "NaN", "nl", "web", "VIP"]),
)
JSON = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(RULE_WORDS), st.text(max_size=6)), children, max_size=4),
    ),
    max_leaves=25,
)


def _containers(data: Any, path: tuple = ()) -> list[tuple]:
    found = [path] if isinstance(data, (dict, list)) else []
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, child in items:
        found += _containers(child, path + (key,))
    return found


@st.composite
def mutated_rules(draw, pools: Pools) -> Any:
    """A valid rule with one container changed: a key dropped, added or replaced, an item replaced."""
    rule = copy.deepcopy(draw(rules(pools, depth=4)))
    path = draw(st.sampled_from(_containers(rule)))
    target = rule
    for key in path:
        target = target[key]
    if isinstance(target, dict) and target and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(target)))
        if draw(st.booleans()):
            del target[key]
        else:
            target[key] = draw(JSON)
    elif isinstance(target, dict):
        target[draw(st.sampled_from(RULE_WORDS + ["extra"]))] = draw(JSON)
    elif target:
        target[draw(st.integers(0, len(target) - 1))] = draw(JSON)
    else:
        target.append(draw(JSON))
    return rule


def _resolves(data: Any, pointer: str) -> bool:
    """Whether a JSON pointer, or the container it points into, exists in `data`."""
    tokens = [token.replace("~1", "/").replace("~0", "~") for token in pointer.split("/")[1:]] if pointer else []
    for index, token in enumerate(tokens):
        if isinstance(data, dict) and token in data:
            data = data[token]
        elif isinstance(data, list) and token.isdigit() and int(token) < len(data):
            data = data[int(token)]
        else:
            return index == len(tokens) - 1  # a missing key ("value") of an existing node
    return True


def _check_validation(data: Any, registry: FieldRegistry) -> None:
    try:
        tree = validate_rule(data, registry=registry)
    except RuleValidationError as error:
        assert error.errors
        for detail in error.errors:
            assert detail.message and isinstance(detail.message, str)
            assert detail.path == "" or detail.path.startswith("/")
            assert _resolves(data, detail.path), detail.path
        return
    # Accepted: it compiles, and its canonical JSON validates to the same tree.
    compile_rule(tree, registry=registry, now=NOW)
    assert validate_rule(rule_to_json(tree), registry=registry) == tree


class ValidateRuleRobustnessTests:
    @CI
    @given(data=JSON)
    def test_arbitrary_json_raises_nothing_but_rule_validation_error(self, data):
        _check_validation(data, STATIC_REGISTRY)

    @CI
    @given(data=st.data())
    def test_mutated_valid_rules_raise_nothing_but_rule_validation_error(self, pools, data):
        _check_validation(data.draw(mutated_rules(pools), label="rule"), pools.registry)

    @CI
    @given(data=st.data())
    def test_valid_rules_survive_the_canonical_json_round_trip(self, pools, data):
        rule = data.draw(rules(pools), label="rule")
        tree = validate_rule(rule, registry=pools.registry)
        assert validate_rule(rule_to_json(tree), registry=pools.registry) == tree
        assert json.loads(json.dumps(rule_to_json(tree))) == rule_to_json(tree)
