"""Segment assortments in the cart and at checkout, and the cart/checkout content-block placements."""

import pytest

from orders.delivery_calendar import DeliveryMoment
from orders.models import Cart, CartLine, Order
from orders.selectors import company_delivery_profile, shop_calendar_rules
from orders.services import (
    RESTRICTED_LINE_REASON,
    CartLinesNotOrderableError,
    cart_line_checks,
    cart_line_set,
    cart_moment_set,
    order_place,
    order_reorder,
)
from personalization.models import ContentBlock
from tests.personalization.factories import (
    CategoryRestrictionFactory,
    ContentBlockFactory,
    ProductRestrictionFactory,
)
from tests.shop.conftest import NOW

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.shop.urls"), pytest.mark.usefixtures("category_tree")]

FRIDAY = DeliveryMoment(departure_date=NOW.date(), delivery_date=NOW.date().replace(day=27))


@pytest.fixture
def cart_of_b(shop_data):
    """Buyer B's open cart for Friday with a rose and a tulip, filled while both were visible."""
    buyer = shop_data["buyer_b"]
    cart_moment_set(contact=buyer, moment=FRIDAY, now=NOW)
    cart_line_set(contact=buyer, product=shop_data["rose"], quantity=5, now=NOW)
    cart_line_set(contact=buyer, product=shop_data["tulip"], quantity=10, now=NOW)
    return Cart.objects.get(contact=buyer, status=Cart.Status.OPEN)


def _checks(cart, **extra):
    return cart_line_checks(
        cart=cart,
        moment=FRIDAY,
        calendar=shop_calendar_rules(),
        profile=company_delivery_profile(cart.contact.company),
        now=NOW,
        **extra,
    )


class CartLineChecksTests:
    def test_a_line_the_contact_can_no_longer_see_is_marked_restricted(self, shop_data, dealers, cart_of_b):
        ProductRestrictionFactory(product=shop_data["tulip"], include_segments=[dealers])
        checks = {check.line.product.sku: check for check in _checks(cart_of_b)}
        assert (checks["ROSE-RED"].orderable, checks["ROSE-RED"].restricted) == (True, False)
        tulip = checks["TULIP-YEL"]
        assert (tulip.orderable, tulip.restricted, tulip.availability.reason) == (False, True, RESTRICTED_LINE_REASON)
        assert tulip.availability.first_moment is None

    def test_a_hidden_category_restricts_its_products_lines(self, shop_data, dealers, cart_of_b):
        CategoryRestrictionFactory(category=shop_data["roses"], include_segments=[dealers])
        restricted = {check.line.product.sku for check in _checks(cart_of_b) if check.restricted}
        assert restricted == {"ROSE-RED"}

    def test_given_segment_ids_decide_instead_of_the_contacts(self, shop_data, dealers, cart_of_b):
        ProductRestrictionFactory(product=shop_data["tulip"], include_segments=[dealers])
        as_member = _checks(cart_of_b, segment_ids=frozenset({dealers.pk}))
        assert not any(check.restricted for check in as_member)

    def test_the_line_checks_cost_constant_queries(self, shop_data, dealers, cart_of_b, django_assert_max_num_queries):
        ProductRestrictionFactory(product=shop_data["tulip"], include_segments=[dealers])
        calendar, profile = shop_calendar_rules(), company_delivery_profile(shop_data["company_b"])
        cart_line_set(contact=shop_data["buyer_b"], product=shop_data["tuesday_only"], quantity=3, now=NOW)
        # One query for the lines with their products, one for the products the contact may not see.
        with django_assert_max_num_queries(2):
            checks = cart_line_checks(
                cart=cart_of_b, moment=FRIDAY, calendar=calendar, profile=profile, now=NOW, segment_ids=frozenset()
            )
        assert len(checks) == 3


class OrderPlaceRestrictedTests:
    def test_checkout_refuses_a_restricted_line_and_keeps_the_cart(self, shop_data, dealers, cart_of_b):
        ProductRestrictionFactory(product=shop_data["tulip"], include_segments=[dealers])
        with pytest.raises(CartLinesNotOrderableError) as caught:
            order_place(contact=shop_data["buyer_b"], now=NOW)
        assert [(error.path, error.message) for error in caught.value.errors] == [
            ("/lines/1", f"TULIP-YEL: {RESTRICTED_LINE_REASON}")
        ]
        assert Order.objects.count() == 0
        cart_of_b.refresh_from_db()
        assert cart_of_b.status == Cart.Status.OPEN
        assert CartLine.objects.filter(cart=cart_of_b).count() == 2

    def test_a_member_still_orders_the_restricted_product(self, shop_data, dealers):
        ProductRestrictionFactory(product=shop_data["tulip"], include_segments=[dealers])
        buyer = shop_data["buyer_a"]
        cart_moment_set(contact=buyer, moment=FRIDAY, now=NOW)
        cart_line_set(contact=buyer, product=shop_data["tulip"], quantity=10, now=NOW)
        order = order_place(contact=buyer, now=NOW)
        assert [line.product.sku for line in order.lines.all()] == ["TULIP-YEL"]


class ReorderRestrictedTests:
    def test_reorder_skips_a_product_the_contact_can_no_longer_see(self, shop_data, dealers, cart_of_b):
        order = order_place(contact=shop_data["buyer_b"], now=NOW)
        ProductRestrictionFactory(product=shop_data["tulip"], include_segments=[dealers])

        result = order_reorder(contact=shop_data["buyer_b"], order=order, now=NOW)

        assert [product.sku for product in result.added] == [shop_data["rose"].sku]
        assert [(product.sku, reason) for product, reason in result.skipped] == [
            ("TULIP-YEL", f"{RESTRICTED_LINE_REASON}.")
        ]
        cart = Cart.objects.get(contact=shop_data["buyer_b"], status=Cart.Status.OPEN)
        assert list(cart.lines.values_list("product__sku", flat=True)) == [shop_data["rose"].sku]

    def test_a_member_reorders_the_restricted_product(self, shop_data, dealers):
        buyer = shop_data["buyer_a"]
        cart_moment_set(contact=buyer, moment=FRIDAY, now=NOW)
        cart_line_set(contact=buyer, product=shop_data["tulip"], quantity=10, now=NOW)
        order = order_place(contact=buyer, now=NOW)
        ProductRestrictionFactory(product=shop_data["tulip"], include_segments=[dealers])

        result = order_reorder(contact=buyer, order=order, now=NOW)

        assert [product.sku for product in result.added] == ["TULIP-YEL"]
        assert result.skipped == ()


class CartPageRestrictedTests:
    def test_the_cart_marks_the_line_with_the_reason_and_keeps_it(self, client, shop_data, dealers, cart_of_b):
        ProductRestrictionFactory(product=shop_data["tulip"], include_segments=[dealers])
        client.force_login(shop_data["buyer_b"])
        html = client.get("/cart/").content.decode()
        assert 'data-sku="TULIP-YEL" data-restricted="1"' in html
        assert RESTRICTED_LINE_REASON in html
        assert 'data-testid="restricted-warning">1 product is no longer in your assortment' in html
        # The name is not linked: its product page is a 404 for this contact.
        assert 'href="/p/TULIP-YEL/"' not in html and 'href="/p/ROSE-RED/"' in html
        assert 'data-sku="ROSE-RED" data-restricted' not in html
        # Only removing is offered for the restricted line, and the delivery-date warning stays away.
        assert f'id="line-{CartLine.objects.get(product=shop_data["rose"]).pk}"' in html
        tulip_line = CartLine.objects.get(product=shop_data["tulip"])
        assert f'id="line-{tulip_line.pk}"' not in html
        assert "cannot be delivered on this date" not in html

    def test_checkout_page_refuses_and_keeps_the_cart(self, client, shop_data, dealers, cart_of_b):
        ProductRestrictionFactory(product=shop_data["tulip"], include_segments=[dealers])
        client.force_login(shop_data["buyer_b"])
        page = client.get("/checkout/").content.decode()
        assert "restricted-warning" in page and "disabled" in page
        response = client.post("/checkout/")
        assert response.status_code == 400
        assert f"TULIP-YEL: {RESTRICTED_LINE_REASON}" in response.content.decode()
        assert Order.objects.count() == 0
        assert CartLine.objects.filter(cart=cart_of_b).count() == 2

    def test_after_removing_the_line_the_order_goes_through(self, client, shop_data, dealers, cart_of_b):
        ProductRestrictionFactory(product=shop_data["tulip"], include_segments=[dealers])
        client.force_login(shop_data["buyer_b"])
        client.post("/cart/lines/", {"product": shop_data["tulip"].pk, "quantity": 0})
        assert client.post("/checkout/").status_code == 302
        assert Order.objects.get().lines.get().product == shop_data["rose"]

    def test_an_invisible_product_cannot_be_added(self, client, shop_data, dealers):
        ProductRestrictionFactory(product=shop_data["tulip"], include_segments=[dealers])
        client.force_login(shop_data["buyer_b"])
        client.post("/cart/lines/", {"product": shop_data["tulip"].pk, "quantity": 10, "add": "1"})
        response = client.post("/quick-order/", {"lines": "TULIP-YEL 10"})
        assert response.status_code == 400 and "unknown SKU" in response.content.decode()
        assert not CartLine.objects.filter(product=shop_data["tulip"]).exists()

        client.force_login(shop_data["buyer_a"])
        client.post("/cart/lines/", {"product": shop_data["tulip"].pk, "quantity": 10, "add": "1"})
        assert CartLine.objects.filter(product=shop_data["tulip"], cart__contact=shop_data["buyer_a"]).exists()


class CartAndCheckoutPlacementTests:
    def test_cart_and_checkout_show_their_own_placements_for_the_visitor(self, client, shop_data, dealers, cart_of_b):
        ContentBlockFactory(headline="Free trolley for dealers", placement=ContentBlock.Placement.CART,
                            include_segments=[dealers])
        ContentBlockFactory(headline="Order before 14:00", placement=ContentBlock.Placement.CART, fallback=True)
        ContentBlockFactory(headline="Pay by invoice", placement=ContentBlock.Placement.CHECKOUT)
        ContentBlockFactory(headline="Hero only", placement=ContentBlock.Placement.HOME_HERO)

        client.force_login(shop_data["buyer_b"])
        cart_page = client.get("/cart/").content.decode()
        checkout_page = client.get("/checkout/").content.decode()
        assert "Order before 14:00" in cart_page and "Free trolley" not in cart_page
        assert "Pay by invoice" not in cart_page and "Hero only" not in cart_page
        assert 'data-placement="checkout"' in checkout_page and "Pay by invoice" in checkout_page
        assert "Order before 14:00" not in checkout_page

        client.force_login(shop_data["buyer_a"])
        member_cart = client.get("/cart/").content.decode()  # an empty cart shows its block too
        assert "Free trolley for dealers" in member_cart and "Order before 14:00" not in member_cart

    def test_checkout_block_shows_on_the_refused_checkout_too(self, client, shop_data, dealers, cart_of_b):
        ProductRestrictionFactory(product=shop_data["tulip"], include_segments=[dealers])
        ContentBlockFactory(headline="Questions? Call us", placement=ContentBlock.Placement.CHECKOUT)
        client.force_login(shop_data["buyer_b"])
        response = client.post("/checkout/")
        assert response.status_code == 400 and "Questions? Call us" in response.content.decode()
