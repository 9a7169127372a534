"""The field registry holds every field of rules.md with its type, label, help text and operators."""

import pytest

from accounts.countries import CONTINENT_BY_COUNTRY, CONTINENTS, COUNTRY_CODES, EU_MEMBERS, normalize_country
from segments.fields import OPERATORS, VALUELESS_OPERATORS, WINDOW_NAMES, FieldType, field_registry_build

REGISTRY = field_registry_build()

# rules.md, "Fields": every key with the type the spec gives it.
SPEC_FIELDS = {
    "company.erp_id": "text", "company.name": "text", "company.country": "enum", "company.region": "text",
    "company.city": "text", "company.continent": "enum", "company.eu_member": "boolean", "company.sector": "text",
    "company.size_band": "enum", "company.employee_count": "number", "company.customer_group": "text",
    "company.price_group": "text", "company.credit_limit": "number", "company.payment_terms_days": "number",
    "company.customer_since": "date", "company.blocked": "boolean", "company.account_type": "enum",
    "contact.email": "text", "contact.role": "enum", "contact.language": "enum", "contact.last_login": "datetime",
    "contact.date_joined": "datetime", "contact.marketing_consent": "boolean", "contact.job_title": "text",
    "contact.is_active": "boolean",
    "sales.revenue": "number", "sales.order_count": "number", "sales.average_order_value": "number",
    "sales.quantity": "number", "sales.distinct_products": "number", "sales.distinct_categories": "number",
    "sales.last_order_at": "datetime", "sales.first_order_at": "datetime", "sales.web_share": "number",
    "sales.channel": "reference", "sales.bought_product": "reference", "sales.bought_category": "reference",
    "cart.line_count": "number", "cart.quantity": "number", "cart.value": "number",
    "cart.last_item_added_at": "datetime", "cart.contains_product": "reference", "cart.contains_category": "reference",
    "value.rfm_recency": "number", "value.rfm_frequency": "number", "value.rfm_monetary": "number",
    "value.rfm_segment": "enum", "value.revenue_percentile": "number", "value.top_25_percent": "boolean",
    "value.lifetime_revenue": "number", "value.predicted_clv_12m": "number",
    "segment.member_of": "reference",
}


class FieldRegistryTests:
    def test_has_exactly_the_fields_of_the_spec_with_their_types(self):
        assert {field.key: str(field.type) for field in REGISTRY} == SPEC_FIELDS

    def test_keys_are_unique(self):
        assert len(REGISTRY.keys) == len(set(REGISTRY.keys))

    @pytest.mark.parametrize("key", sorted(SPEC_FIELDS))
    def test_every_field_has_a_label_and_help_text(self, key):
        field = REGISTRY.get(key)
        assert field.label.strip() and field.help_text.strip()

    def test_operators_per_type_follow_the_spec_table(self):
        assert OPERATORS == {
            FieldType.NUMBER: ("eq", "ne", "gt", "gte", "lt", "lte", "between", "is_empty", "is_not_empty"),
            FieldType.TEXT: ("eq", "ne", "in", "not_in", "contains", "starts_with", "is_empty", "is_not_empty"),
            FieldType.ENUM: ("eq", "ne", "in", "not_in", "is_empty", "is_not_empty"),
            FieldType.BOOLEAN: ("is_true", "is_false"),
            FieldType.DATETIME: ("before", "after", "between", "within_last_days", "more_than_days_ago", "is_empty",
                                 "is_not_empty"),
            FieldType.DATE: ("before", "after", "between", "within_last_days", "more_than_days_ago", "is_empty",
                             "is_not_empty"),
            FieldType.REFERENCE: ("contains_any", "contains_all", "contains_none"),
        }

    def test_valueless_operators(self):
        assert VALUELESS_OPERATORS == {"is_empty", "is_not_empty", "is_true", "is_false"}

    def test_only_sales_fields_take_a_window(self):
        assert {field.key for field in REGISTRY if field.windowed} == {key for key in SPEC_FIELDS if key.startswith("sales.")}

    def test_named_windows(self):
        assert set(WINDOW_NAMES) == {"all_time", "this_year", "last_year", "this_quarter", "this_month"}

    def test_get_of_an_unknown_key_is_none(self):
        assert REGISTRY.get("company.contry") is None
        assert "company.country" in REGISTRY
        assert "company.attr.tier" not in REGISTRY


class FieldChoiceTests:
    @pytest.mark.parametrize(
        ("key", "choices"),
        [
            ("company.continent", ("europe", "asia", "africa", "north_america", "south_america", "oceania", "antarctica")),
            ("company.size_band", ("micro", "small", "medium", "large")),
            ("company.account_type", ("customer", "prospect", "dealer")),
            ("contact.role", ("buyer", "purchasing_manager", "decision_maker", "finance", "user", "admin")),
            ("contact.language", ("nl", "en", "de", "fr")),
            ("sales.channel", ("web", "phone", "email", "sales_rep", "edi", "fax")),
            ("value.rfm_segment", ("champions", "loyal", "new", "promising", "potential_loyalists", "need_attention",
                                   "about_to_sleep", "cant_lose", "at_risk", "hibernating")),
        ],
    )
    def test_declared_choices(self, key, choices):
        assert set(REGISTRY.get(key).choice_values) == set(choices)

    def test_country_choices_are_the_iso_codes_of_the_country_table(self):
        choices = REGISTRY.get("company.country").choice_values
        assert set(choices) == COUNTRY_CODES
        assert all(len(code) == 2 and code.isupper() for code in choices)
        assert {"NL", "BE", "DE", "GB", "US", "XK", "CY", "TR"} <= set(choices)

    @pytest.mark.parametrize(
        ("key", "reference"),
        [("sales.bought_product", "product"), ("sales.bought_category", "category"), ("cart.contains_product", "product"),
         ("cart.contains_category", "category"), ("segment.member_of", "segment"), ("sales.channel", "channel")],
    )
    def test_reference_fields_name_what_they_refer_to(self, key, reference):
        assert REGISTRY.get(key).reference == reference


class AttributeFieldTests:
    @pytest.mark.parametrize(
        ("value_type", "type_"),
        [("text", "text"), ("number", "number"), ("date", "date"), ("boolean", "boolean")],
    )
    def test_a_declared_attribute_becomes_a_typed_company_field(self, value_type, type_):
        registry = field_registry_build([("fleet", value_type, "Fleet", "How many trucks.")])
        field = registry.get("company.attr.fleet")
        assert (str(field.type), field.label, field.help_text, field.windowed) == (type_, "Fleet", "How many trucks.", False)

    def test_an_attribute_without_label_or_help_still_has_both(self):
        field = field_registry_build([("loyalty_tier", "text", "", "")]).get("company.attr.loyalty_tier")
        assert field.label.strip() and field.help_text.strip()

    def test_attributes_come_after_the_static_fields(self):
        registry = field_registry_build([("a", "text", "", ""), ("b", "number", "", "")])
        assert registry.keys == REGISTRY.keys + ("company.attr.a", "company.attr.b")


class CountryTableTests:
    @pytest.mark.parametrize(
        ("code", "continent"),
        [("NL", "europe"), ("TR", "asia"), ("CY", "europe"), ("XK", "europe"), ("RU", "europe"), ("GE", "asia"),
         ("AM", "asia"), ("AZ", "asia"), ("KZ", "asia"), ("MC", "europe"), ("SM", "europe"), ("VA", "europe"),
         ("LI", "europe"), ("AD", "europe"), ("US", "north_america"), ("BR", "south_america"), ("EG", "africa"),
         ("AU", "oceania"), ("AQ", "antarctica"), ("GB", "europe")],
    )
    def test_continents_follow_the_un_geoscheme_as_amended(self, code, continent):
        assert CONTINENT_BY_COUNTRY[code] == continent

    def test_every_continent_has_countries(self):
        assert set(CONTINENT_BY_COUNTRY.values()) == set(CONTINENTS)

    def test_eu_is_the_eu_27(self):
        assert len(EU_MEMBERS) == 27
        assert {"NL", "BE", "DE", "CY", "MT", "HR", "IE"} <= EU_MEMBERS
        assert not {"GB", "CH", "NO", "IS", "TR", "XK"} & EU_MEMBERS
        assert EU_MEMBERS <= COUNTRY_CODES

    def test_normalize_country(self):
        assert normalize_country(" nl ") == "NL"
        assert normalize_country("") == ""
        with pytest.raises(ValueError, match="unknown country code 'ZZ'"):
            normalize_country("ZZ")
