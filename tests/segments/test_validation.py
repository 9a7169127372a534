"""validate_rule: rule JSON -> rule tree, or every error at once with its JSON pointer (spec/rules.md)."""

import datetime
import json
from decimal import Decimal

import pytest

from b2bshop.exceptions import ApplicationError, ErrorDetail
from segments.fields import field_registry_build
from segments.rules import Condition, Group, Not, SalesWindow
from segments.validation import RuleValidationError, rule_to_json, validate_rule

REGISTRY = field_registry_build(
    [
        ("loyalty_tier", "text", "Loyalty tier", ""),
        ("fleet_size", "number", "Fleet size", ""),
        ("contract_end", "date", "Contract end", ""),
        ("organic", "boolean", "Organic", ""),
    ]
)
BLOCKED = {"field": "company.blocked", "op": "is_true"}


def errors_of(rule) -> list[tuple[str, str]]:
    with pytest.raises(RuleValidationError) as caught:
        validate_rule(rule, registry=REGISTRY)
    return [(detail.path, detail.message) for detail in caught.value.errors]


def only_error(rule) -> tuple[str, str]:
    errors = errors_of(rule)
    assert len(errors) == 1, errors
    return errors[0]


def condition(**node) -> Condition:
    tree = validate_rule(node, registry=REGISTRY)
    assert isinstance(tree, Condition)
    return tree


def nested(levels: int, leaf, kind: str = "all") -> dict:
    """`leaf` wrapped in groups so that the path from the root to it has `levels` nodes."""
    node = leaf
    for _ in range(levels - 1):
        node = {"not": node} if kind == "not" else {kind: [node]}
    return node


class RuleValidationErrorTests:
    def test_is_an_application_error_with_error_details(self):
        with pytest.raises(RuleValidationError, match="The rule is invalid.") as caught:
            validate_rule({"field": "company.name", "op": "gt", "value": "x"}, registry=REGISTRY)
        assert isinstance(caught.value, ApplicationError)
        assert caught.value.errors == (
            ErrorDetail(
                path="/op",
                message="operator 'gt' is not valid for text field company.name; "
                "use one of eq, ne, in, not_in, contains, starts_with, is_empty, is_not_empty",
            ),
        )

    def test_a_rule_with_three_problems_reports_three_errors(self):
        rule = {
            "all": [
                {"field": "company.contry", "op": "eq", "value": "NL"},
                {"field": "company.name", "op": "gt", "value": "x"},
                {"field": "company.employee_count", "op": "eq"},
            ]
        }
        assert [path for path, _message in errors_of(rule)] == ["/all/0/field", "/all/1/op", "/all/2/value"]

    def test_problems_in_different_branches_and_in_one_condition_are_all_reported(self):
        rule = {
            "any": [
                {"not": {"field": "sales.revenue", "op": "gt", "value": "lots", "window": "next_year", "extra": 1}},
                {"all": [{"field": "company.country", "op": "eq", "value": "XX"}], "bogus": True},
            ]
        }
        assert sorted(path for path, _message in errors_of(rule)) == [
            "/any/0/not/extra", "/any/0/not/value", "/any/0/not/window", "/any/1/all/0/value", "/any/1/bogus",
        ]

    def test_a_bad_operator_does_not_hide_a_window_on_a_field_without_windows(self):
        """The window is wrong whatever the operator (company.name never takes one): both are reported."""
        rule = {"field": "company.name", "op": "gt", "value": "x", "window": "this_year"}
        assert [path for path, _message in errors_of(rule)] == ["/op", "/window"]


class UnknownFieldTests:
    def test_a_misspelt_field_suggests_the_closest_field(self):
        path, message = only_error({"all": [BLOCKED, {"field": "company.contry", "op": "eq", "value": "NL"}]})
        assert path == "/all/1/field"
        assert message.startswith("unknown field 'company.contry'; did you mean company.country")

    def test_a_field_without_its_namespace_suggests_the_namespaced_field(self):
        assert "sales.revenue" in only_error({"field": "revenue", "op": "gt", "value": 1})[1]
        assert "contact.last_login" in only_error({"field": "last_login", "op": "is_empty"})[1]

    def test_a_misspelt_sales_field_suggests_it(self):
        path, message = only_error({"field": "sales.revnue", "op": "gt", "value": 1})
        assert (path, message.split("?")[0].split("; did you mean ")[1].split(", ")[0]) == ("/field", "sales.revenue")

    def test_an_undeclared_attribute_is_unknown_and_suggests_declared_ones(self):
        path, message = only_error({"field": "company.attr.loyalty_tire", "op": "eq", "value": "gold"})
        assert path == "/field"
        assert "company.attr.loyalty_tier" in message

    def test_an_unknown_field_unlike_any_other_still_lists_the_closest_fields(self):
        """rules.md: "Unknown field: message lists the closest valid field names" (not only when they are close)."""
        path, message = only_error({"field": "omzet", "op": "gt", "value": 1})
        assert path == "/field"
        assert any(key in message for key in REGISTRY.keys)

    def test_a_field_that_is_not_a_string_asks_for_a_field(self):
        assert only_error({"field": 3, "op": "eq", "value": 1}) == ("/field", "choose a field")
        assert only_error({"op": "eq", "value": 1}) == ("/field", "choose a field")


class OperatorTests:
    @pytest.mark.parametrize(
        ("field", "op", "type_", "valid"),
        [
            ("company.name", "gt", "text", "eq, ne, in, not_in, contains, starts_with, is_empty, is_not_empty"),
            ("company.employee_count", "contains", "number", "eq, ne, gt, gte, lt, lte, between, is_empty, is_not_empty"),
            ("company.country", "gt", "enum", "eq, ne, in, not_in, is_empty, is_not_empty"),
            ("company.blocked", "eq", "boolean", "is_true, is_false"),
            ("company.customer_since", "gt", "date",
             "before, after, between, within_last_days, more_than_days_ago, is_empty, is_not_empty"),
            ("contact.last_login", "eq", "datetime",
             "before, after, between, within_last_days, more_than_days_ago, is_empty, is_not_empty"),
            ("sales.bought_product", "in", "reference", "contains_any, contains_all, contains_none"),
            ("company.attr.organic", "eq", "boolean", "is_true, is_false"),
        ],
    )
    def test_an_operator_invalid_for_the_type_lists_the_valid_ones(self, field, op, type_, valid):
        assert only_error({"all": [{"field": field, "op": op, "value": "x"}]}) == (
            "/all/0/op",
            f"operator '{op}' is not valid for {type_} field {field}; use one of {valid}",
        )

    def test_a_missing_operator_is_reported_at_op(self):
        path, message = only_error({"field": "company.name"})
        assert path == "/op"
        assert message.startswith("operator missing is not valid for text field company.name; use one of eq, ne")

    def test_an_unknown_operator_is_reported_at_op(self):
        path, message = only_error({"field": "sales.revenue", "op": "like", "value": 1})
        assert path == "/op"
        assert "'like'" in message and "between" in message


class ValuePresenceTests:
    @pytest.mark.parametrize(
        ("field", "op"),
        [("company.name", "is_empty"), ("company.name", "is_not_empty"), ("company.blocked", "is_true"),
         ("company.blocked", "is_false"), ("contact.last_login", "is_empty")],
    )
    def test_a_valueless_operator_with_a_value_is_an_error(self, field, op):
        assert only_error({"field": field, "op": op, "value": "x"}) == ("/value", f"operator '{op}' takes no value")

    def test_a_null_value_on_a_valueless_operator_is_still_a_value(self):
        assert only_error({"field": "company.name", "op": "is_empty", "value": None})[0] == "/value"

    @pytest.mark.parametrize(
        ("field", "op"),
        [("company.name", "eq"), ("company.employee_count", "between"), ("contact.last_login", "within_last_days"),
         ("sales.channel", "contains_any"), ("company.country", "in")],
    )
    def test_an_operator_that_compares_without_a_value_is_an_error(self, field, op):
        assert only_error({"field": field, "op": op}) == ("/value", f"operator '{op}' needs a value")

    def test_valueless_operators_give_a_condition_without_value(self):
        assert condition(field="company.name", op="is_empty") == Condition("company.name", "is_empty")
        assert condition(field="company.blocked", op="is_false") == Condition("company.blocked", "is_false")


class NumberValueTests:
    @pytest.mark.parametrize(
        ("value", "message"),
        [("abc", "'abc' is not a number"), (True, "expected a number"), (None, "expected a number"),
         ([1], "expected a number"), ({"n": 1}, "expected a number"), (1.1234567, "use at most 6 decimals"),
         (10**13, "the number is too large")],
    )
    def test_a_number_field_refuses_what_is_not_a_number(self, value, message):
        assert only_error({"field": "company.employee_count", "op": "gt", "value": value}) == ("/value", message)

    def test_numbers_become_exact_decimals(self):
        assert condition(field="sales.average_order_value", op="gt", value=33.33).value == Decimal("33.33")
        assert condition(field="company.credit_limit", op="eq", value=5000).value == Decimal(5000)
        assert condition(field="company.attr.fleet_size", op="lt", value=0.000001).value == Decimal("0.000001")

    def test_between_needs_two_numbers_in_order(self):
        assert only_error({"field": "company.employee_count", "op": "between", "value": [10, 5]}) == (
            "/value", "the first value of 'between' is greater than the second"
        )
        assert only_error({"field": "company.employee_count", "op": "between", "value": [10]}) == (
            "/value", "'between' needs a list of two values: [from, to]"
        )
        assert only_error({"field": "company.employee_count", "op": "between", "value": 10})[0] == "/value"
        assert only_error({"field": "company.employee_count", "op": "between", "value": [1, "x"]})[0] == "/value/1"

    def test_between_accepts_equal_bounds(self):
        assert condition(field="company.employee_count", op="between", value=[10, 10]).value == (10, 10)


class TextValueTests:
    def test_a_text_field_refuses_a_number(self):
        assert only_error({"field": "company.name", "op": "eq", "value": 5}) == (
            "/value", "company.name compares text; give a text value"
        )

    def test_text_values_are_trimmed(self):
        assert condition(field="company.city", op="eq", value="  Aalsmeer \t").value == "Aalsmeer"
        assert condition(field="company.city", op="in", value=[" Aalsmeer", "Delft  "]).value == ("Aalsmeer", "Delft")
        assert condition(field="company.attr.loyalty_tier", op="contains", value=" Gold ").value == "Gold"

    def test_text_keeps_its_case_and_inner_characters(self):
        assert condition(field="company.name", op="contains", value=" 100% Roses_Ltd ").value == "100% Roses_Ltd"

    def test_in_needs_a_non_empty_list_of_texts(self):
        assert only_error({"field": "company.name", "op": "in", "value": []}) == ("/value", "expected a non-empty list")
        assert only_error({"field": "company.name", "op": "not_in", "value": "x"}) == ("/value", "expected a non-empty list")
        assert only_error({"field": "company.name", "op": "in", "value": ["a", 3]}) == (
            "/value/1", "company.name compares text; give a text value"
        )


class EnumValueTests:
    def test_enum_values_are_case_insensitive_and_become_the_declared_choice(self):
        assert condition(field="company.country", op="eq", value="nl").value == "NL"
        assert condition(field="company.country", op="in", value=["nl", " Be "]).value == ("NL", "BE")
        assert condition(field="company.continent", op="eq", value="Europe").value == "europe"
        assert condition(field="contact.language", op="ne", value="DE").value == "de"
        assert condition(field="value.rfm_segment", op="eq", value="CHAMPIONS").value == "champions"

    def test_a_value_that_is_not_a_choice_is_an_error_listing_choices(self):
        path, message = only_error({"field": "company.account_type", "op": "eq", "value": "partner"})
        assert (path, message) == ("/value", "'partner' is not a choice of company.account_type; use one of customer, prospect, dealer")

    def test_an_unknown_country_code_is_an_error(self):
        path, message = only_error({"field": "company.country", "op": "in", "value": ["NL", "XX"]})
        assert path == "/value/1"
        assert message.startswith("'XX' is not a choice of company.country; use one of AD, AE")

    def test_an_enum_refuses_a_non_text_value(self):
        assert only_error({"field": "company.size_band", "op": "eq", "value": 3})[0] == "/value"


class DateValueTests:
    @pytest.mark.parametrize("value", ["2026-02-30", "01-04-2026", "yesterday", 20260401, None])
    def test_a_date_must_be_an_iso_date(self, value):
        path, message = only_error({"field": "company.customer_since", "op": "before", "value": value})
        assert path == "/value"
        assert message.startswith("expected a date as YYYY-MM-DD")

    def test_a_datetime_field_takes_dates(self):
        assert condition(field="contact.last_login", op="after", value="2026-03-01").value == datetime.date(2026, 3, 1)
        assert condition(field="contact.last_login", op="between", value=["2026-03-01", " 2026-03-31 "]).value == (
            datetime.date(2026, 3, 1), datetime.date(2026, 3, 31)
        )

    def test_between_dates_must_be_in_order(self):
        assert only_error({"field": "contact.date_joined", "op": "between", "value": ["2026-02-01", "2026-01-01"]}) == (
            "/value", "the first value of 'between' is greater than the second"
        )

    @pytest.mark.parametrize(
        ("value", "message"),
        [(-1, "the number of days must be between 0 and 36600"), (1.5, "expected a whole number of days"),
         ("14", "expected a whole number of days"), (True, "expected a whole number of days"),
         (None, "expected a whole number of days")],
    )
    def test_days_are_a_whole_number_from_zero(self, value, message):
        assert only_error({"field": "contact.last_login", "op": "within_last_days", "value": value}) == ("/value", message)

    def test_zero_days_is_allowed(self):
        assert condition(field="contact.last_login", op="more_than_days_ago", value=0).value == 0
        assert condition(field="company.attr.contract_end", op="within_last_days", value=14.0).value == 14


class ReferenceValueTests:
    def test_channels_must_be_declared_channels(self):
        assert only_error({"field": "sales.channel", "op": "contains_any", "value": ["web", "telex"]}) == (
            "/value/1", "'telex' is not a channel; use one of web, phone, email, sales_rep, edi, fax"
        )

    def test_a_reference_needs_a_non_empty_list_of_identifiers(self):
        assert only_error({"field": "sales.bought_product", "op": "contains_all", "value": []}) == (
            "/value", "expected a non-empty list"
        )
        assert only_error({"field": "sales.bought_product", "op": "contains_any", "value": ["SKU-1", ""]}) == (
            "/value/1", "expected a product identifier"
        )
        assert only_error({"field": "segment.member_of", "op": "contains_any", "value": [7]}) == (
            "/value/0", "expected a segment identifier"
        )

    def test_identifiers_are_trimmed(self):
        assert condition(field="cart.contains_category", op="contains_none", value=[" roses "]).value == ("roses",)


class WindowTests:
    @pytest.mark.parametrize("field", ["company.name", "contact.last_login", "cart.value", "value.lifetime_revenue"])
    def test_a_window_on_a_field_outside_sales_is_an_error(self, field):
        path, message = only_error({"all": [{"field": field, "op": "is_empty", "window": "this_year"}]})
        assert (path, message) == ("/all/0/window", f"{field} has no window; windows apply to sales.* fields only")

    @pytest.mark.parametrize(
        ("window", "path", "start"),
        [
            ("next_year", "/window", "unknown window 'next_year'; use all_time, this_year"),
            (None, "/window", "a window is all_time, this_year"),
            (["this_year"], "/window", "a window is all_time, this_year"),
            ({"last_days": -3}, "/window/last_days", "the number of days must be between 0"),
            ({"last_days": 2.5}, "/window/last_days", "expected a whole number of days"),
            ({"last_days": "7"}, "/window/last_days", "expected a whole number of days"),
            ({"from": "2026-02-01"}, "/window", "a window is all_time, this_year"),
            ({"from": "x", "to": "2026-01-01"}, "/window/from", "expected a date as YYYY-MM-DD"),
            ({"from": "2026-01-01", "to": "2026-02-30"}, "/window/to", "expected a date as YYYY-MM-DD"),
            ({"from": "2026-02-01", "to": "2026-01-01"}, "/window", "the window's 'from' date is after its 'to' date"),
        ],
    )
    def test_a_badly_shaped_window_is_an_error(self, window, path, start):
        error_path, message = only_error({"field": "sales.revenue", "op": "gt", "value": 1, "window": window})
        assert error_path == path
        assert message.startswith(start)

    @pytest.mark.parametrize(
        ("window", "expected"),
        [
            ("all_time", SalesWindow("all_time")),
            ("this_quarter", SalesWindow("this_quarter")),
            ({"last_days": 0}, SalesWindow("last_days", days=0)),
            ({"from": "2026-01-01", "to": "2026-01-01"},
             SalesWindow("range", start=datetime.date(2026, 1, 1), end=datetime.date(2026, 1, 1))),
        ],
    )
    def test_window_shapes(self, window, expected):
        assert condition(field="sales.channel", op="contains_any", value=["web"], window=window).window == expected

    def test_a_condition_without_window_has_none(self):
        assert condition(field="sales.revenue", op="gt", value=1).window is None


class UnknownKeyTests:
    def test_an_unknown_key_in_a_condition(self):
        assert only_error({"all": [{"field": "company.name", "op": "eq", "value": "x", "values": ["y"]}]}) == (
            "/all/0/values", "unexpected key 'values'; a condition has field, op, value and window"
        )

    def test_an_unknown_key_in_a_group(self):
        assert only_error({"any": [BLOCKED], "name": "VIP"}) == ("/name", "unexpected key 'name' in a 'any' group")
        assert only_error({"not": BLOCKED, "why": 1}) == ("/why", "unexpected key 'why' in a 'not' group")

    def test_two_group_keys_in_one_node(self):
        assert only_error({"all": [BLOCKED], "any": [BLOCKED]}) == ("/any", "unexpected key 'any' in a 'all' group")

    def test_an_unknown_key_in_a_window(self):
        path, message = only_error({"field": "sales.revenue", "op": "gt", "value": 1, "window": {"last_days": 3, "x": 1}})
        assert path == "/window"
        assert message.startswith("a window is all_time")

    def test_unknown_keys_are_escaped_in_the_pointer(self):
        assert only_error({"all": [], "a/b~c": 1})[0] == "/a~1b~0c"


class NodeShapeTests:
    @pytest.mark.parametrize("rule", [[], "all", 3, None, True])
    def test_the_root_must_be_an_object(self, rule):
        path, message = only_error(rule)
        assert path == ""
        assert message.startswith("expected a group")

    def test_every_non_object_child_is_reported(self):
        assert [path for path, _m in errors_of({"all": [1, BLOCKED, "x", None]})] == ["/all/0", "/all/2", "/all/3"]

    def test_not_takes_one_node(self):
        assert only_error({"not": [BLOCKED]})[0] == "/not"

    def test_a_group_takes_a_list(self):
        assert only_error({"all": BLOCKED}) == ("/all", "'all' must be a list of conditions or groups")

    def test_an_object_that_is_neither_group_nor_condition(self):
        assert only_error({"fields": "company.name"}) == ("", "a rule node needs 'all', 'any', 'not' or a 'field' with an 'op'")

    def test_empty_groups_are_valid(self):
        assert validate_rule({"all": []}, registry=REGISTRY) == Group("all", ())
        assert validate_rule({"any": []}, registry=REGISTRY) == Group("any", ())

    def test_the_tree_mirrors_the_json(self):
        tree = validate_rule({"any": [{"not": BLOCKED}, {"all": [BLOCKED]}]}, registry=REGISTRY)
        blocked = Condition("company.blocked", "is_true")
        assert tree == Group("any", (Not(blocked), Group("all", (blocked,))))


class LimitTests:
    @pytest.mark.parametrize("kind", ["all", "any", "not"])
    def test_ten_levels_of_groups_are_allowed(self, kind):
        leaf = {"all": []} if kind == "not" else {kind: []}
        assert validate_rule(nested(10, leaf, kind), registry=REGISTRY) is not None

    @pytest.mark.parametrize("kind", ["all", "any", "not"])
    def test_eleven_levels_of_groups_are_refused_at_the_eleventh(self, kind):
        leaf = {"all": []} if kind == "not" else {kind: []}
        step = "/not" if kind == "not" else f"/{kind}/0"
        assert only_error(nested(11, leaf, kind)) == (
            step * 10, "the rule is nested more than 10 levels deep; simplify the groups"
        )

    def test_a_condition_inside_nine_groups_is_allowed(self):
        assert isinstance(validate_rule(nested(10, BLOCKED), registry=REGISTRY), Group)

    def test_two_hundred_conditions_are_allowed(self):
        assert len(validate_rule({"all": [BLOCKED] * 200}, registry=REGISTRY).children) == 200

    def test_two_hundred_and_one_conditions_are_refused(self):
        rule = {"any": [{"all": [BLOCKED] * 100}, {"all": [BLOCKED] * 100}, {"not": BLOCKED}]}
        assert only_error(rule) == ("", "the rule has 201 conditions; the limit is 200")

    def test_a_rule_under_64_kib_is_allowed(self):
        rule = {"field": "company.name", "op": "in", "value": [f"{index:04d}" + "x" * 51 for index in range(1000)]}
        assert 60 * 1024 > len(json.dumps(rule).encode()) > 56 * 1024
        assert len(validate_rule(rule, registry=REGISTRY).value) == 1000

    def test_a_rule_over_64_kib_is_refused_before_anything_else(self):
        rule = {"field": "company.nmae", "op": "in", "value": [f"{index:04d}" + "x" * 66 for index in range(1000)]}
        assert len(json.dumps(rule, separators=(",", ":")).encode()) > 66 * 1024
        path, message = only_error(rule)
        assert path == ""
        assert message.endswith("the limit is 64 KiB")

    def test_size_counts_utf8_bytes(self):
        rule = {"field": "company.name", "op": "in", "value": ["é" * 40] * 1000}  # 80 bytes, 40 characters
        assert only_error(rule)[1].endswith("the limit is 64 KiB")


class RuleToJsonTests:
    def test_canonical_json_round_trips_to_the_same_tree(self):
        rule = {
            "all": [
                {"field": "company.country", "op": "in", "value": ["nl", " be "]},
                {"field": "company.city", "op": "eq", "value": "  München "},
                {"any": [
                    {"field": "sales.revenue", "op": "between", "value": [1000, 2500.5], "window": {"last_days": 30}},
                    {"field": "sales.channel", "op": "contains_all", "value": ["web", "edi"], "window": "this_year"},
                    {"field": "sales.order_count", "op": "gte", "value": 2,
                     "window": {"from": "2026-01-01", "to": "2026-03-31"}},
                ]},
                {"not": {"field": "contact.last_login", "op": "within_last_days", "value": 14}},
                {"field": "contact.last_login", "op": "is_empty"},
                {"field": "company.customer_since", "op": "before", "value": "2020-01-01"},
                {"field": "company.attr.fleet_size", "op": "gt", "value": 0.000001},
                {"field": "company.attr.organic", "op": "is_true"},
            ]
        }
        tree = validate_rule(rule, registry=REGISTRY)
        canonical = rule_to_json(tree)
        assert validate_rule(canonical, registry=REGISTRY) == tree
        assert rule_to_json(validate_rule(json.loads(json.dumps(canonical)), registry=REGISTRY)) == canonical

    def test_canonical_json_has_normalized_values(self):
        canonical = rule_to_json(validate_rule({"all": [
            {"field": "company.country", "op": "in", "value": ["nl", " be "]},
            {"field": "company.city", "op": "eq", "value": "  München "},
            {"field": "sales.revenue", "op": "gt", "value": 50000.0, "window": {"last_days": 30}},
            {"field": "sales.average_order_value", "op": "lt", "value": 33.33},
            {"field": "contact.last_login", "op": "is_empty"},
        ]}, registry=REGISTRY))
        assert canonical == {"all": [
            {"field": "company.country", "op": "in", "value": ["NL", "BE"]},
            {"field": "company.city", "op": "eq", "value": "München"},
            {"field": "sales.revenue", "op": "gt", "value": 50000, "window": {"last_days": 30}},
            {"field": "sales.average_order_value", "op": "lt", "value": 33.33},
            {"field": "contact.last_login", "op": "is_empty"},
        ]}

    def test_the_sana_example_is_valid_and_canonical(self):
        sana = {"all": [
            {"field": "company.continent", "op": "eq", "value": "europe"},
            {"field": "sales.revenue", "op": "gt", "value": 50000, "window": "this_year"},
            {"field": "cart.quantity", "op": "gt", "value": 15},
            {"field": "contact.last_login", "op": "more_than_days_ago", "value": 14},
        ]}
        assert rule_to_json(validate_rule(sana, registry=REGISTRY)) == sana
