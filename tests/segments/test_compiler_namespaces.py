"""cart.*, value.*, segment.*, company.attr.* and the derived company fields (precise semantics 5, 8, 12, 15)."""

import datetime
from decimal import Decimal

import pytest

from accounts.models import CompanyAttributeValue, Contact
from accounts.text import fold
from orders.models import Cart
from tests.accounts.factories import CompanyAttributeDefinitionFactory
from tests.segments.factories import CompanyValueFactory, SegmentFactory, SegmentMembershipFactory
from tests.segments.test_compiler import NOW, cart, category, company, cond, contact, local, matches, product, utc


@pytest.mark.django_db
class CartTests:
    @pytest.fixture(autouse=True)
    def _carts(self):
        flowers = category("flowers")
        roses = category("roses", flowers)
        red_roses = category("red-roses", roses)
        plants = category("plants")
        self.red, self.tulip = product("RED-1", red_roses), product("TUL-1", category("tulips", flowers))
        self.plant = product("PLANT-1", plants)
        self.shopper = contact("shopper@x.nl")
        cart(self.shopper, [(self.red, 10, "2.60", utc(2026, 3, 30, 10)), (self.tulip, 6, "3.00", utc(2026, 3, 31, 22, 30))])
        contact("colleague@x.nl", company=self.shopper.company)
        other = contact("other@x.nl")
        cart(other, [(self.plant, 16, "1.25", local(2026, 2, 1, 8))], status=Cart.Status.ABANDONED)
        cart(other, [(self.plant, 1, "0.01", local(2026, 3, 1, 8))])

    def test_line_count_quantity_and_value_of_the_open_cart(self):
        assert matches(cond("cart.line_count", "eq", 2)) == {"shopper@x.nl"}
        assert matches(cond("cart.quantity", "eq", 16)) == {"shopper@x.nl"}
        assert matches(cond("cart.value", "eq", 44)) == {"shopper@x.nl"}  # 10 x 2.60 + 6 x 3.00, at the line prices
        assert matches(cond("cart.value", "eq", 0.01)) == {"other@x.nl"}

    def test_only_the_open_cart_counts(self):
        assert matches(cond("cart.quantity", "gt", 15)) == {"shopper@x.nl"}
        assert matches(cond("cart.contains_product", "contains_any", ["PLANT-1"])) == {"other@x.nl"}
        assert matches(cond("cart.line_count", "eq", 1)) == {"other@x.nl"}

    def test_a_cart_belongs_to_the_contact_not_the_company(self):
        assert matches(cond("cart.line_count", "eq", 0)) == {"colleague@x.nl"}
        assert matches(cond("cart.contains_product", "contains_any", ["RED-1"])) == {"shopper@x.nl"}

    def test_last_item_added_at_is_the_latest_line_on_its_local_day(self):
        assert matches(cond("cart.last_item_added_at", "after", "2026-03-31")) == {"shopper@x.nl"}  # 00:30 on 1 April
        assert matches(cond("cart.last_item_added_at", "within_last_days", 0)) == {"shopper@x.nl"}
        assert matches(cond("cart.last_item_added_at", "more_than_days_ago", 14)) == {"other@x.nl"}

    @pytest.mark.parametrize(
        ("value", "expected"),
        [(["red-roses"], {"shopper"}), (["roses"], {"shopper"}), (["flowers"], {"shopper"}), (["tulips"], {"shopper"}),
         (["plants"], {"other"}), (["nothing-here"], set())],
    )
    def test_contains_category_matches_the_category_and_its_descendants(self, value, expected):
        assert matches(cond("cart.contains_category", "contains_any", value)) == {f"{name}@x.nl" for name in expected}

    def test_contains_category_all_and_none(self):
        assert matches(cond("cart.contains_category", "contains_all", ["roses", "tulips"])) == {"shopper@x.nl"}
        assert matches(cond("cart.contains_category", "contains_none", ["flowers"])) == {"colleague@x.nl", "other@x.nl"}


@pytest.mark.django_db
class CustomerValueTests:
    """value.* reads the CompanyValue row of the contact's company (recomputed by the refresh)."""

    @pytest.fixture(autouse=True)
    def _values(self):
        def valued(email, **fields):
            owner = contact(email)
            CompanyValueFactory(company=owner.company, computed_for=NOW.date(), **fields)

        valued("champion@x.nl", rfm_recency=5, rfm_frequency=4, rfm_monetary=5, rfm_segment="champions", revenue_rank=7,
               company_total=8, top_25_percent=True, lifetime_revenue=Decimal("1240.99"), predicted_clv_12m=Decimal("310.25"))
        valued("boundary@x.nl", rfm_recency=4, rfm_frequency=3, rfm_monetary=4, rfm_segment="potential_loyalists",
               revenue_rank=6, company_total=8, lifetime_revenue=Decimal("150.38"))
        valued("third@x.nl", rfm_recency=1, rfm_frequency=1, rfm_monetary=1, rfm_segment="hibernating", revenue_rank=2,
               company_total=3, lifetime_revenue=Decimal("0.00"))

    @pytest.mark.parametrize(
        ("op", "value", "expected"),
        [
            ("gt", 75, {"champion"}),
            ("gte", 75, {"champion", "boundary"}),
            ("eq", 75, {"boundary"}),
            ("eq", 87.5, {"champion"}),
            ("gt", 66.66, {"champion", "boundary", "third"}),
            ("lt", 66.67, {"third"}),
            ("eq", 66.67, set()),
            ("between", [66.666666, 66.666667], {"third"}),
            ("lte", 66.666666, set()),
        ],
    )
    def test_revenue_percentile_is_100_times_rank_over_total_exactly(self, op, value, expected):
        assert matches(cond("value.revenue_percentile", op, value)) == {f"{name}@x.nl" for name in expected}

    def test_top_25_percent(self):
        assert matches(cond("value.top_25_percent", "is_true")) == {"champion@x.nl"}
        assert matches(cond("value.top_25_percent", "is_false")) == {"boundary@x.nl", "third@x.nl"}

    def test_rfm_scores_and_segment(self):
        assert matches(cond("value.rfm_recency", "gte", 4)) == {"champion@x.nl", "boundary@x.nl"}
        assert matches(cond("value.rfm_frequency", "between", [3, 4])) == {"champion@x.nl", "boundary@x.nl"}
        assert matches(cond("value.rfm_monetary", "eq", 1)) == {"third@x.nl"}
        assert matches(cond("value.rfm_segment", "in", ["CHAMPIONS", "hibernating"])) == {"champion@x.nl", "third@x.nl"}
        assert matches(cond("value.rfm_segment", "ne", "champions")) == {"boundary@x.nl", "third@x.nl"}

    def test_money_values(self):
        assert matches(cond("value.lifetime_revenue", "gt", 150.37)) == {"champion@x.nl", "boundary@x.nl"}
        assert matches(cond("value.lifetime_revenue", "eq", 150.38)) == {"boundary@x.nl"}
        assert matches(cond("value.lifetime_revenue", "eq", 0)) == {"third@x.nl"}
        assert matches(cond("value.predicted_clv_12m", "gte", 310.25)) == {"champion@x.nl"}
        assert matches(cond("value.predicted_clv_12m", "is_empty")) == {"boundary@x.nl", "third@x.nl"}

    def test_value_is_company_level(self):
        contact("colleague@x.nl", company=Contact.objects.get(email="champion@x.nl").company)
        assert matches(cond("value.rfm_segment", "eq", "champions")) == {"champion@x.nl", "colleague@x.nl"}


@pytest.mark.django_db
class SegmentMemberOfTests:
    """segment.member_of reads the referenced segments' membership rows."""

    @pytest.fixture(autouse=True)
    def _memberships(self):
        vip, newsletter = SegmentFactory(slug="vip"), SegmentFactory(slug="newsletter")
        SegmentFactory(slug="nobody")
        both, vip_only, newsletter_only = contact("both@x.nl"), contact("vip@x.nl"), contact("news@x.nl")
        contact("none@x.nl", company=both.company)
        for segment, member in ((vip, both), (newsletter, both), (vip, vip_only), (newsletter, newsletter_only)):
            SegmentMembershipFactory(segment=segment, contact=member, since=local(2026, 3, 1))

    @pytest.mark.parametrize(
        ("op", "value", "expected"),
        [
            ("contains_any", ["vip"], {"both", "vip"}),
            ("contains_any", ["vip", "newsletter"], {"both", "vip", "news"}),
            ("contains_all", ["vip", "newsletter"], {"both"}),
            ("contains_none", ["vip"], {"news", "none"}),
            ("contains_any", ["nobody"], set()),
            ("contains_none", ["nobody", "unknown-slug"], {"both", "vip", "news", "none"}),
        ],
    )
    def test_membership(self, op, value, expected):
        assert matches(cond("segment.member_of", op, value)) == {f"{name}@x.nl" for name in expected}


@pytest.mark.django_db
class AttributeTests:
    """company.attr.<name> of each type, via CompanyAttributeValue rows (text_value holds the folded text)."""

    @pytest.fixture(autouse=True)
    def _attributes(self):
        definitions = {
            name: CompanyAttributeDefinitionFactory(name=name, value_type=value_type)
            for name, value_type in (("loyalty_tier", "text"), ("fleet_size", "number"), ("contract_end", "date"),
                                     ("organic", "boolean"))
        }

        def attributed(email, **values):
            owner = contact(email)
            for name, (raw, typed) in values.items():
                column = {"loyalty_tier": "text_value", "fleet_size": "number_value", "contract_end": "date_value",
                          "organic": "boolean_value"}[name]
                CompanyAttributeValue.objects.create(
                    company=owner.company, definition=definitions[name], raw_value=raw, **{column: typed}
                )

        attributed("gold@x.nl", loyalty_tier=("Gold Plus", fold("Gold Plus")), fleet_size=("12.5", Decimal("12.5")),
                   contract_end=("2026-12-31", datetime.date(2026, 12, 31)), organic=("yes", True))
        attributed("umlaut@x.de", loyalty_tier=("Ü-Level 50%", fold("Ü-Level 50%")), fleet_size=("0.000001", Decimal("0.000001")),
                   contract_end=("2026-03-18", datetime.date(2026, 3, 18)), organic=("no", False))
        attributed("negative@x.cy", fleet_size=("-3.25", Decimal("-3.25")), contract_end=("2026-03-17", datetime.date(2026, 3, 17)))
        contact("bare@x.nl")

    @pytest.mark.parametrize(
        ("op", "value", "expected"),
        [
            ("eq", "GOLD plus", {"gold@x.nl"}),
            ("ne", "gold plus", {"umlaut@x.de"}),
            ("contains", "ü-LEVEL", {"umlaut@x.de"}),
            ("contains", "50%", {"umlaut@x.de"}),
            ("contains", "0%", {"umlaut@x.de"}),
            ("starts_with", " Gold ", {"gold@x.nl"}),
            ("in", ["silver", "Ü-LEVEL 50%"], {"umlaut@x.de"}),
            ("not_in", ["silver"], {"gold@x.nl", "umlaut@x.de"}),
            ("is_empty", None, {"negative@x.cy", "bare@x.nl"}),
        ],
    )
    def test_text_attribute(self, op, value, expected):
        assert matches(cond("company.attr.loyalty_tier", op, value)) == expected

    @pytest.mark.parametrize(
        ("op", "value", "expected"),
        [
            ("eq", 12.5, {"gold@x.nl"}),
            ("gt", 12.499999, {"gold@x.nl"}),
            ("lt", 12.500001, {"gold@x.nl", "umlaut@x.de", "negative@x.cy"}),
            ("gt", 0, {"gold@x.nl", "umlaut@x.de"}),
            ("eq", 0.000001, {"umlaut@x.de"}),
            ("lt", 0.000001, {"negative@x.cy"}),
            ("between", [-3.25, 0.000001], {"umlaut@x.de", "negative@x.cy"}),
            ("ne", 12.5, {"umlaut@x.de", "negative@x.cy"}),
            ("is_empty", None, {"bare@x.nl"}),
        ],
    )
    def test_number_attribute(self, op, value, expected):
        assert matches(cond("company.attr.fleet_size", op, value)) == expected

    @pytest.mark.parametrize(
        ("op", "value", "expected"),
        [
            ("before", "2026-03-18", {"negative@x.cy"}),
            ("after", "2026-03-18", {"gold@x.nl"}),
            ("between", ["2026-03-17", "2026-03-18"], {"umlaut@x.de", "negative@x.cy"}),
            ("within_last_days", 14, {"gold@x.nl", "umlaut@x.de"}),
            ("more_than_days_ago", 14, {"negative@x.cy"}),
            ("is_not_empty", None, {"gold@x.nl", "umlaut@x.de", "negative@x.cy"}),
        ],
    )
    def test_date_attribute(self, op, value, expected):
        assert matches(cond("company.attr.contract_end", op, value)) == expected

    def test_boolean_attribute(self):
        assert matches(cond("company.attr.organic", "is_true")) == {"gold@x.nl"}
        assert matches(cond("company.attr.organic", "is_false")) == {"umlaut@x.de"}


@pytest.mark.django_db
class ContinentAndEuTests:
    """Precise semantics 12: UN geoscheme with Europe + micro-states, XK, RU, CY; EU-27."""

    @pytest.fixture(autouse=True)
    def _countries(self):
        for code in ("NL", "TR", "CY", "GB", "XK", "RU", "GE", "KZ", "US", "MC"):
            contact(f"{code.lower()}@x.example", company=company(country=code))

    def test_continent_spot_checks(self):
        assert matches(cond("company.continent", "eq", "europe")) == {
            "nl@x.example", "cy@x.example", "gb@x.example", "xk@x.example", "ru@x.example", "mc@x.example"
        }
        assert matches(cond("company.continent", "eq", "asia")) == {"tr@x.example", "ge@x.example", "kz@x.example"}
        assert matches(cond("company.continent", "eq", "North_America")) == {"us@x.example"}

    def test_eu_member_spot_checks(self):
        assert matches(cond("company.eu_member", "is_true")) == {"nl@x.example", "cy@x.example"}
        assert {"gb@x.example", "xk@x.example", "tr@x.example", "mc@x.example"} <= matches(cond("company.eu_member", "is_false"))
