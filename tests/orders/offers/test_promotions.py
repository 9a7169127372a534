"""Promotions in the cart quote: each kind with hand-worked money, stacking, thresholds, validity and coupons."""

import datetime
from decimal import Decimal

import pytest

from catalog.models import CategoryAncestry
from orders.offer_models import Promotion
from orders.offers.promotions import (
    BELOW_THRESHOLD,
    EXPIRED,
    NO_SAVING,
    NOT_COMBINABLE,
    NOT_IN_SCOPE,
    NOT_STARTED,
    NOT_VALID_FOR_YOU,
    NOT_VALID_MESSAGE,
    USAGE_LIMIT,
)
from tests.accounts.factories import CompanyFactory, ContactFactory
from tests.catalog.factories import CategoryFactory, PriceFactory, ProductFactory
from tests.orders.factories import OrderFactory
from tests.orders.offers.factories import PromotionFactory, PromotionTierFactory
from tests.orders.offers.support import (
    AMSTERDAM,
    NOW,
    cart_for,
    member_of,
    quote_for,
    savings,
)
from tests.segments.factories import SegmentFactory

pytestmark = pytest.mark.django_db


def _product(sku: str, price: str, **kwargs):
    return ProductFactory(sku=sku, list_price=Decimal(price), **kwargs)


class PercentageTests:
    def test_each_line_is_rounded_to_cents_half_up(self):
        contact = ContactFactory()
        cart_for(contact, (_product("A", "2.45"), 3), (_product("B", "0.45"), 7))
        PromotionFactory(percentage=Decimal(15))

        quote = quote_for(contact)

        # A: 3 x 2.45 = 7.35, 15% = 1.1025 -> 1.10; B: 7 x 0.45 = 3.15, 15% = 0.4725 -> 0.47
        assert savings(quote) == [("A", "7.35", "1.10"), ("B", "3.15", "0.47")]
        assert (quote.subtotal, quote.discount, quote.goods_total) == (
            Decimal("10.50"), Decimal("1.57"), Decimal("8.93"),
        )

    def test_half_a_cent_rounds_up(self):
        contact = ContactFactory()
        cart_for(contact, (_product("A", "0.10"), 1))
        PromotionFactory(percentage=Decimal(5))
        # 5% of 0.10 = 0.005: half up gives 0.01 (banker's rounding would give 0.00)
        assert savings(quote_for(contact)) == [("A", "0.10", "0.01")]

    def test_the_customer_price_is_the_base(self):
        contact = ContactFactory()
        product = _product("A", "10.00")
        PriceFactory(product=product, company=contact.company, price=Decimal("8.00"))
        cart_for(contact, (product, 2))
        PromotionFactory(percentage=Decimal(10))
        line = quote_for(contact).lines[0]
        assert (line.unit_price, line.base_amount, line.saving, line.amount) == (
            Decimal("8.00"), Decimal("16.00"), Decimal("1.60"), Decimal("14.40"),
        )


class FixedAmountTests:
    def test_the_amount_is_spread_by_value_and_the_rounding_rest_goes_to_the_largest_line(self):
        contact = ContactFactory()
        cart_for(contact, (_product("A", "100.00"), 1), (_product("B", "20.00"), 3))
        PromotionFactory(fixed=True, amount=Decimal("25.00"), threshold=Decimal("150.00"))

        quote = quote_for(contact)

        # 25 x 100/160 = 15.625 -> 15.63; 25 x 60/160 = 9.375 -> 9.38; 25.01 - 25.00: -0.01 on A
        assert savings(quote) == [("A", "100.00", "15.62"), ("B", "60.00", "9.38")]
        assert (quote.discount, quote.goods_total) == (Decimal("25.00"), Decimal("135.00"))
        assert quote.applied[0].message == "EUR 25.00 off from EUR 150.00"

    def test_exactly_the_threshold_qualifies(self):
        contact = ContactFactory()
        cart_for(contact, (_product("A", "50.00"), 3))
        PromotionFactory(fixed=True, amount=Decimal("25.00"), threshold=Decimal("150.00"))
        quote = quote_for(contact)
        assert (quote.discount, quote.goods_total) == (Decimal("25.00"), Decimal("125.00"))

    def test_one_cent_below_the_threshold_does_not_and_says_how_much_is_missing(self):
        contact = ContactFactory()
        cart_for(contact, (_product("A", "149.99"), 1))
        promotion = PromotionFactory(fixed=True, amount=Decimal("25.00"), threshold=Decimal("150.00"))

        quote = quote_for(contact)

        assert quote.discount == Decimal("0.00")
        [skipped] = quote.not_applied
        assert (skipped.promotion_id, skipped.code) == (promotion.pk, BELOW_THRESHOLD)
        assert skipped.message == "Add EUR 0.01 more to reach EUR 150.00."

    def test_the_threshold_counts_only_lines_in_scope_and_before_other_discounts(self):
        contact = ContactFactory()
        tulip, vase = _product("TULIP", "100.00"), _product("VASE", "100.00")
        cart_for(contact, (tulip, 1), (vase, 1))
        PromotionFactory(percentage=Decimal(50), priority=10)  # first: halves both lines
        PromotionFactory(fixed=True, amount=Decimal("10.00"), threshold=Decimal("100.00"),
                         scope=Promotion.Scope.PRODUCTS, products=[tulip], priority=1)

        quote = quote_for(contact)

        # The tulip line is 100.00 before discounts (qualifies), 50.00 after the 50%; then 10.00 off the tulip only.
        assert savings(quote) == [("TULIP", "100.00", "60.00"), ("VASE", "100.00", "50.00")]

    def test_never_more_than_the_lines_are_worth(self):
        contact = ContactFactory()
        cart_for(contact, (_product("A", "10.00"), 1))
        PromotionFactory(fixed=True, amount=Decimal("25.00"))
        quote = quote_for(contact)
        assert (quote.discount, quote.goods_total) == (Decimal("10.00"), Decimal("0.00"))


class TieredPriceTests:
    @pytest.fixture
    def setup(self):
        contact = ContactFactory()
        product = _product("STEM", "1.00")
        PriceFactory(product=product, company=contact.company, price=Decimal("0.90"))
        promotion = PromotionFactory(tiered=True, products=[product])
        PromotionTierFactory(promotion=promotion, min_quantity=50, unit_price=Decimal("0.80"))
        PromotionTierFactory(promotion=promotion, min_quantity=100, unit_price=Decimal("0.70"))
        return contact, product, promotion

    def test_the_highest_reached_tier_sets_the_unit_price(self, setup):
        contact, product, _ = setup
        cart_for(contact, (product, 120))
        # 120 x 0.90 = 108.00 at the buyer's price; tier 100+: 120 x 0.70 = 84.00; saving 24.00
        assert savings(quote_for(contact)) == [("STEM", "108.00", "24.00")]

    def test_the_first_tier(self, setup):
        contact, product, _ = setup
        cart_for(contact, (product, 60))
        # 60 x 0.90 = 54.00; tier 50+: 60 x 0.80 = 48.00; saving 6.00
        assert savings(quote_for(contact)) == [("STEM", "54.00", "6.00")]

    def test_below_the_first_tier_says_the_quantity(self, setup):
        contact, product, promotion = setup
        cart_for(contact, (product, 49))
        quote = quote_for(contact)
        assert quote.discount == Decimal("0.00")
        assert [(o.promotion_id, o.code, o.message) for o in quote.not_applied] == [
            (promotion.pk, BELOW_THRESHOLD, "Order at least 50 on a line for the tier price.")
        ]

    def test_a_tier_above_the_customer_price_saves_nothing(self):
        contact = ContactFactory()
        product = _product("STEM", "1.00")
        PriceFactory(product=product, company=contact.company, price=Decimal("0.60"))
        promotion = PromotionFactory(tiered=True, products=[product])
        PromotionTierFactory(promotion=promotion, min_quantity=10, unit_price=Decimal("0.80"))
        cart_for(contact, (product, 20))
        quote = quote_for(contact)
        assert quote.discount == Decimal("0.00")
        assert quote.not_applied[0].code == NO_SAVING

    def test_a_category_scope_includes_sub_categories(self):
        contact = ContactFactory()
        tulips = CategoryFactory(slug="tulips")
        red = CategoryFactory(slug="red-tulips", parent=tulips)
        for category, ancestor, distance in ((tulips, tulips, 0), (red, red, 0), (red, tulips, 1)):
            CategoryAncestry.objects.create(category=category, ancestor=ancestor, distance=distance)
        red_tulip, rose = _product("RED", "0.50", category=red), _product("ROSE", "0.50")
        promotion = PromotionFactory(tiered=True, scope=Promotion.Scope.CATEGORIES, categories=[tulips])
        PromotionTierFactory(promotion=promotion, min_quantity=100, unit_price=Decimal("0.40"))
        cart_for(contact, (red_tulip, 100), (rose, 100))
        # Red tulips: 100 x 0.50 = 50.00 -> 100 x 0.40 = 40.00; roses are not in scope
        assert savings(quote_for(contact)) == [("RED", "50.00", "10.00"), ("ROSE", "50.00", "0.00")]


class FreeProductTests:
    def test_every_full_quantity_gives_the_free_product_as_a_free_line(self):
        contact = ContactFactory()
        tulip, vase = _product("TULIP", "0.50"), _product("VASE", "4.50", name="Glass vase")
        cart_for(contact, (tulip, 25))
        PromotionFactory(free=True, free_product=vase, buy_quantity=10, free_quantity=1,
                         scope=Promotion.Scope.PRODUCTS, products=[tulip])

        quote = quote_for(contact)

        # 25 tulips = 2 full tens: 2 vases free at the buyer's 4.50 = 9.00, fully saved
        assert savings(quote) == [("TULIP", "12.50", "0.00"), ("VASE", "9.00", "9.00")]
        free_line = quote.lines[1]
        assert (free_line.is_free, free_line.quantity, free_line.amount, free_line.cart_line_id) == (
            True, 2, Decimal("0.00"), None,
        )
        assert (quote.subtotal, quote.discount, quote.goods_total) == (
            Decimal("21.50"), Decimal("9.00"), Decimal("12.50"),
        )
        assert quote.applied[0].message == "2 x Glass vase free"

    def test_below_the_quantity_says_how_many_more(self):
        contact = ContactFactory()
        tulip, vase = _product("TULIP", "0.50"), _product("VASE", "4.50", name="Glass vase")
        cart_for(contact, (tulip, 9))
        PromotionFactory(free=True, free_product=vase, buy_quantity=10, free_quantity=1)
        quote = quote_for(contact)
        assert len(quote.lines) == 1
        assert quote.not_applied[0].message == "Add 1 more to get 1 x Glass vase free."

    def test_an_inactive_free_product_is_not_given(self):
        contact = ContactFactory()
        cart_for(contact, (_product("TULIP", "0.50"), 10))
        PromotionFactory(free=True, free_product=_product("VASE", "4.50", is_active=False), buy_quantity=10)
        quote = quote_for(contact)
        assert (len(quote.lines), quote.not_applied[0].code) == (1, "free_product_unavailable")


class StackingTests:
    def test_combinable_promotions_apply_in_priority_order_on_what_is_left(self):
        contact = ContactFactory()
        cart_for(contact, (_product("A", "100.00"), 1))
        first = PromotionFactory(percentage=Decimal(10), priority=10)
        second = PromotionFactory(fixed=True, amount=Decimal("5.00"), priority=5)

        quote = quote_for(contact)

        # 10% of 100.00 = 10.00, then 5.00 off the remaining 90.00
        assert [(o.promotion_id, o.saving) for o in quote.applied] == [
            (first.pk, Decimal("10.00")), (second.pk, Decimal("5.00")),
        ]
        assert quote.goods_total == Decimal("85.00")

    def test_priority_decides_the_order(self):
        contact = ContactFactory()
        cart_for(contact, (_product("A", "100.00"), 1))
        PromotionFactory(percentage=Decimal(10), priority=5)
        PromotionFactory(fixed=True, amount=Decimal("5.00"), priority=10)
        # 5.00 off first, then 10% of 95.00 = 9.50
        assert quote_for(contact).goods_total == Decimal("85.50")

    def test_two_percentages_compound(self):
        contact = ContactFactory()
        cart_for(contact, (_product("A", "100.00"), 1))
        PromotionFactory(percentage=Decimal(10))
        PromotionFactory(percentage=Decimal(10))
        assert quote_for(contact).discount == Decimal("19.00")

    def test_equal_priority_goes_by_age(self):
        contact = ContactFactory()
        cart_for(contact, (_product("A", "100.00"), 1))
        older = PromotionFactory(fixed=True, amount=Decimal("5.00"))
        PromotionFactory(percentage=Decimal(10))
        quote = quote_for(contact)
        assert (quote.applied[0].promotion_id, quote.goods_total) == (older.pk, Decimal("85.50"))

    def test_an_exclusive_promotion_first_in_line_applies_alone(self):
        contact = ContactFactory()
        cart_for(contact, (_product("A", "100.00"), 1))
        exclusive = PromotionFactory(name="Winter deal", percentage=Decimal(20), is_exclusive=True, priority=10)
        other = PromotionFactory(percentage=Decimal(10), priority=5)

        quote = quote_for(contact)

        assert [o.promotion_id for o in quote.applied] == [exclusive.pk]
        assert quote.discount == Decimal("20.00")
        assert [(o.promotion_id, o.code, o.message) for o in quote.not_applied] == [
            (other.pk, NOT_COMBINABLE, "Not combined with “Winter deal”.")
        ]

    def test_an_exclusive_promotion_after_an_applied_one_does_not_apply(self):
        contact = ContactFactory()
        cart_for(contact, (_product("A", "100.00"), 1))
        first = PromotionFactory(name="Loyalty", percentage=Decimal(10), priority=10)
        exclusive = PromotionFactory(percentage=Decimal(30), is_exclusive=True, priority=5)

        quote = quote_for(contact)

        assert [o.promotion_id for o in quote.applied] == [first.pk]
        assert quote.not_applied[0].promotion_id == exclusive.pk
        assert quote.not_applied[0].code == NOT_COMBINABLE
        assert quote.not_applied[0].message == "Cannot be combined with “Loyalty”, which comes first."

    def test_an_exclusive_promotion_that_does_not_qualify_leaves_the_others(self):
        contact = ContactFactory()
        cart_for(contact, (_product("A", "100.00"), 1))
        PromotionFactory(fixed=True, amount=Decimal(50), threshold=Decimal(500), is_exclusive=True, priority=10)
        combinable = PromotionFactory(percentage=Decimal(10), priority=5)
        quote = quote_for(contact)
        assert [o.promotion_id for o in quote.applied] == [combinable.pk]

    def test_a_promotion_for_other_products_is_listed_as_not_in_scope(self):
        contact = ContactFactory()
        cart_for(contact, (_product("A", "100.00"), 1))
        promotion = PromotionFactory(scope=Promotion.Scope.PRODUCTS, products=[_product("B", "1.00")])
        assert [(o.promotion_id, o.code) for o in quote_for(contact).not_applied] == [(promotion.pk, NOT_IN_SCOPE)]


class SegmentTests:
    def test_a_promotion_for_another_segment_is_invisible(self):
        contact = ContactFactory()
        cart_for(contact, (_product("A", "100.00"), 1))
        PromotionFactory(include_segments=[SegmentFactory()])
        quote = quote_for(contact)
        assert (quote.applied, quote.not_applied, quote.discount) == ((), (), Decimal("0.00"))

    def test_members_of_an_included_segment_get_it(self):
        contact, segment = ContactFactory(), SegmentFactory()
        member_of(contact, segment)
        cart_for(contact, (_product("A", "100.00"), 1))
        PromotionFactory(include_segments=[segment, SegmentFactory()])
        quote = quote_for(contact)
        assert quote.discount == Decimal("10.00")
        assert quote.applied[0].segment_ids == frozenset({segment.pk})

    def test_an_excluded_segment_wins(self):
        contact, included, excluded = ContactFactory(), SegmentFactory(), SegmentFactory()
        member_of(contact, included, excluded)
        cart_for(contact, (_product("A", "100.00"), 1))
        PromotionFactory(include_segments=[included], exclude_segments=[excluded])
        assert quote_for(contact).applied == ()

    def test_an_inactive_promotion_never_applies(self):
        contact = ContactFactory()
        cart_for(contact, (_product("A", "100.00"), 1))
        PromotionFactory(is_active=False)
        assert quote_for(contact).applied == ()


class ValidityTests:
    """Windows are entered in Amsterdam time; the end is exclusive."""

    def test_the_last_second_before_an_amsterdam_midnight_end_still_counts(self):
        contact = ContactFactory()
        cart_for(contact, (_product("A", "100.00"), 1))
        ends = datetime.datetime(2026, 11, 27, 0, 0, tzinfo=AMSTERDAM)
        promotion = PromotionFactory(ends_at=ends, coupon_code="WINTER")
        assert promotion.ends_at == datetime.datetime(2026, 11, 26, 23, 0, tzinfo=datetime.UTC)

        just_before = quote_for(contact, coupon="WINTER", now=datetime.datetime(2026, 11, 26, 23, 59, 59, tzinfo=AMSTERDAM))
        at_the_end = quote_for(contact, coupon="WINTER", now=ends)

        assert just_before.discount == Decimal("10.00")
        assert at_the_end.discount == Decimal("0.00")
        assert [(o.code, o.message) for o in at_the_end.not_applied] == [(EXPIRED, "Expired on Fri 27 Nov 2026.")]

    def test_a_code_less_promotion_disappears_at_its_end(self):
        contact = ContactFactory()
        cart_for(contact, (_product("A", "100.00"), 1))
        PromotionFactory(ends_at=datetime.datetime(2026, 11, 27, 0, 0, tzinfo=AMSTERDAM))
        quote = quote_for(contact, now=datetime.datetime(2026, 11, 27, 0, 0, tzinfo=AMSTERDAM))
        assert (quote.applied, quote.not_applied) == ((), ())

    def test_the_start_is_inclusive(self):
        contact = ContactFactory()
        cart_for(contact, (_product("A", "100.00"), 1))
        starts = datetime.datetime(2026, 11, 27, 0, 0, tzinfo=AMSTERDAM)
        PromotionFactory(starts_at=starts, coupon_code="EARLY")
        before = quote_for(contact, coupon="EARLY", now=starts - datetime.timedelta(seconds=1))
        assert [(o.code, o.message) for o in before.not_applied] == [(NOT_STARTED, "Starts on Fri 27 Nov 2026.")]
        assert quote_for(contact, coupon="EARLY", now=starts).discount == Decimal("10.00")

    def test_a_summer_end_is_amsterdam_midnight_at_utc_plus_two(self):
        contact = ContactFactory()
        cart_for(contact, (_product("A", "100.00"), 1))
        PromotionFactory(ends_at=datetime.datetime(2026, 7, 1, 0, 0, tzinfo=AMSTERDAM))
        last_second = datetime.datetime(2026, 6, 30, 21, 59, 59, tzinfo=datetime.UTC)
        assert quote_for(contact, now=last_second).discount == Decimal("10.00")
        assert quote_for(contact, now=last_second + datetime.timedelta(seconds=1)).discount == Decimal("0.00")


class CouponTests:
    @pytest.fixture
    def gold(self):
        segment = SegmentFactory()
        promotion = PromotionFactory(name="Gold members", coupon_code="GOLD", include_segments=[segment])
        return segment, promotion

    def test_the_right_buyer_with_the_code_gets_it_in_any_case(self, gold):
        segment, promotion = gold
        contact = ContactFactory()
        member_of(contact, segment)
        cart_for(contact, (_product("A", "100.00"), 1))
        quote = quote_for(contact, coupon=" gold ")
        assert [(o.promotion_id, o.coupon_code) for o in quote.applied] == [(promotion.pk, "GOLD")]
        assert quote.coupon_code == "GOLD"

    def test_without_the_code_it_does_not_apply_and_is_not_shown(self, gold):
        segment, _ = gold
        contact = ContactFactory()
        member_of(contact, segment)
        cart_for(contact, (_product("A", "100.00"), 1))
        quote = quote_for(contact)
        assert (quote.applied, quote.not_applied) == ((), ())

    def test_another_segments_code_reveals_nothing_and_answers_like_an_unknown_code(self, gold):
        contact = ContactFactory()
        cart_for(contact, (_product("A", "100.00"), 1))

        wrong_segment = quote_for(contact, coupon="GOLD")
        unknown = quote_for(contact, coupon="NOPE")

        assert wrong_segment.applied == ()
        assert [(o.promotion_id, o.name, o.code, o.message) for o in wrong_segment.not_applied] == [
            (None, "GOLD", NOT_VALID_FOR_YOU, NOT_VALID_MESSAGE)
        ]
        assert [(o.promotion_id, o.name, o.code, o.message) for o in unknown.not_applied] == [
            (None, "NOPE", NOT_VALID_FOR_YOU, NOT_VALID_MESSAGE)
        ]

    def test_an_excluded_buyer_gets_the_same_answer(self, gold):
        segment, promotion = gold
        excluded = SegmentFactory()
        promotion.exclude_segments.set([excluded])
        contact = ContactFactory()
        member_of(contact, segment, excluded)
        cart_for(contact, (_product("A", "100.00"), 1))
        assert [o.code for o in quote_for(contact, coupon="GOLD").not_applied] == [NOT_VALID_FOR_YOU]

    def test_an_expired_code_says_so_to_its_segment(self, gold):
        segment, promotion = gold
        promotion.ends_at = datetime.datetime(2026, 11, 1, 0, 0, tzinfo=AMSTERDAM)
        promotion.save()
        contact = ContactFactory()
        member_of(contact, segment)
        cart_for(contact, (_product("A", "100.00"), 1))
        assert [o.code for o in quote_for(contact, coupon="GOLD").not_applied] == [EXPIRED]

    def test_a_used_up_code_cannot_be_reused_by_the_same_company(self, gold):
        segment, promotion = gold
        promotion.usage_limit_per_company = 1
        promotion.save()
        company = CompanyFactory()
        colleague, other = ContactFactory(company=company), ContactFactory()
        for buyer in (colleague, other):
            member_of(buyer, segment)
            cart_for(buyer, (_product(f"A-{buyer.pk}", "100.00"), 1))
        promotion.redemptions.create(
            company=company, order=OrderFactory(company=company), use_number=1, discount_amount=Decimal("10.00"),
            redeemed_at=NOW,
        )

        reused = quote_for(colleague, coupon="GOLD")

        assert [(o.code, o.message) for o in reused.not_applied] == [
            (USAGE_LIMIT, "Already used: it can be used once per company.")
        ]
        assert quote_for(other, coupon="GOLD").discount == Decimal("10.00")  # the limit is per company
