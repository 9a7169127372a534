"""In real Chromium: segment offers in the cart and at checkout (issue #10).

A champion sees the reward promotion in the cart and pays by invoice; a prospect is offered
prepayment only; a Belgian buyer sees the Belgian shipping cost next to the delivery date.
"""

import pytest
from playwright.sync_api import Page, expect

from orders.models import Order
from tests.shop.test_offers_pages import fill_cart, offers_for

pytestmark = [pytest.mark.browser, pytest.mark.urls("tests.shop.urls")]

BUYER_PASSWORD = "buyer-pass-123"  # ContactFactory's


def _log_in(page: Page, base_url: str, email: str, next_url: str) -> None:
    page.goto(f"{base_url}/account/login/?next={next_url}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(BUYER_PASSWORD)
    page.get_by_role("button", name="Log in").click()


@pytest.mark.django_db(transaction=True)
def test_a_reward_buyer_sees_the_promotion_in_the_cart_and_pays_by_invoice(
    live_server, page: Page, shop_data, screenshot_dir
):
    offers_for(shop_data)
    fill_cart(shop_data["buyer_a"], shop_data)
    _log_in(page, live_server.url, "anna@a.example", "/cart/")

    applied = page.get_by_test_id("promotions-applied")
    expect(applied).to_contain_text("Champions reward")
    expect(applied.get_by_test_id("promotion-saving")).to_have_text("− € 7.20")
    expect(page.locator('[data-sku="ROSE-RED"] [data-testid="line-savings"]')).to_have_text("Champions reward: − € 4.20")
    expect(page.get_by_test_id("shipping")).to_contain_text("Fri 27 Nov")
    expect(page.get_by_test_id("shipping-cost")).to_have_text("€ 17.50")
    expect(page.get_by_test_id("cart-total")).to_have_text("€ 154.30")
    page.screenshot(path=f"{screenshot_dir}/offers-cart.png", full_page=True)

    page.get_by_role("link", name="Checkout").click()
    methods = page.get_by_role("group", name="Payment method")
    expect(methods.get_by_role("radio")).to_have_count(2)
    methods.get_by_label("Invoice (on account)").check()
    page.screenshot(path=f"{screenshot_dir}/offers-checkout.png", full_page=True)
    page.get_by_role("button", name="Place order").click()

    expect(page.get_by_test_id("confirmation")).to_contain_text("Fri 27 Nov")
    expect(page.get_by_test_id("order-payment-method")).to_have_text("Invoice (on account)")
    expect(page.get_by_test_id("order-total")).to_have_text("€ 154.30")
    expect(page.get_by_test_id("order-promotions")).to_contain_text("Champions reward")
    page.screenshot(path=f"{screenshot_dir}/offers-order.png", full_page=True)
    order = Order.objects.get()
    assert (order.pricing.payment_method, str(order.pricing.total_amount)) == ("invoice", "154.30")


@pytest.mark.django_db(transaction=True)
def test_a_prospect_is_offered_prepayment_only(live_server, page: Page, shop_data):
    offers_for(shop_data)
    fill_cart(shop_data["buyer_b"], shop_data)
    _log_in(page, live_server.url, "bert@b.example", "/checkout/")

    methods = page.get_by_role("group", name="Payment method")
    expect(methods.get_by_role("radio")).to_have_count(1)
    expect(methods.get_by_label("Prepayment (bank transfer before delivery)")).to_be_checked()
    expect(page.get_by_text("Invoice (on account)")).to_have_count(0)
    expect(page.get_by_test_id("promotions-applied")).to_have_count(0)
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_test_id("order-payment-method")).to_have_text("Prepayment (bank transfer before delivery)")


@pytest.mark.django_db(transaction=True)
def test_a_belgian_buyer_sees_belgian_shipping_costs(live_server, page: Page, shop_data, screenshot_dir):
    offers_for(shop_data)
    company = shop_data["company_b"]
    company.country = "BE"
    company.save()
    fill_cart(shop_data["buyer_b"], shop_data)
    _log_in(page, live_server.url, "bert@b.example", "/cart/")

    expect(page.get_by_test_id("shipping")).to_contain_text("Fri 27 Nov")
    expect(page.get_by_test_id("shipping-label")).to_have_text("Belgium: EUR 29.50; free from EUR 750.00")
    expect(page.get_by_test_id("shipping-cost")).to_have_text("€ 29.50")
    expect(page.get_by_test_id("cart-total")).to_have_text("€ 189.50")
    page.screenshot(path=f"{screenshot_dir}/offers-cart-belgium.png", full_page=True)
