import re

import pytest
from playwright.sync_api import Page, expect

from orders.models import Order

pytestmark = [pytest.mark.browser, pytest.mark.urls("tests.shop.urls")]


@pytest.mark.django_db(transaction=True)
def test_buyer_flow_login_moment_cart_order_reorder(live_server, page: Page, shop_data, screenshot_dir):
    page.goto(f"{live_server.url}/account/login/?next=/c/flowers/")
    page.get_by_label("Email").fill("anna@a.example")
    page.get_by_label("Password").fill("buyer-pass-123")
    page.get_by_role("button", name="Log in").click()

    # Prices and the next delivery moment; the Tuesday-only peony is not offered for Friday.
    expect(page.get_by_test_id("delivery-date")).to_have_text("Fri 27 Nov")
    products = page.get_by_test_id("products")
    expect(products.locator('[data-sku="ROSE-RED"] [data-testid="price"]')).to_have_text("€ 8.40")
    expect(products.locator('[data-sku="PEONY-TUE"]')).to_have_count(0)

    # Changing the moment (the picker applies itself once the script has run) changes the assortment.
    page.wait_for_selector("html[data-shop-js=ready]", state="attached")
    page.get_by_label("Change delivery date").select_option(label="Tue 1 Dec")
    expect(page.get_by_test_id("delivery-date")).to_have_text("Tue 1 Dec")
    expect(products.locator('[data-sku="PEONY-TUE"]')).to_have_count(1)

    # Add two products.
    page.get_by_label("Quantity of Red Naomi rose").fill("10")
    products.locator('[data-sku="ROSE-RED"]').get_by_role("button", name="Add").click()
    expect(page.get_by_test_id("cart-count")).to_have_text("1")
    products.locator('[data-sku="PEONY-TUE"]').get_by_role("button", name="Add").click()
    expect(page.get_by_test_id("cart-count")).to_have_text("2")
    page.screenshot(path=f"{screenshot_dir}/shop-category.png", full_page=True)

    # Checkout and place the order.
    page.get_by_role("link", name=re.compile("^Cart")).click()
    page.get_by_role("link", name="Checkout").click()
    expect(page.get_by_test_id("checkout-delivery")).to_have_text("Tue 1 Dec")
    expect(page.get_by_test_id("cart-total")).to_have_text("€ 90.00")
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_test_id("confirmation")).to_contain_text("Tue 1 Dec")
    order = Order.objects.get()
    assert (order.total_amount, str(order.delivery_date)) == (90, "2026-12-01")
    expect(page.get_by_test_id("cart-count")).to_have_text("0")

    # Reorder from the history.
    page.get_by_role("link", name="Orders", exact=True).click()
    page.locator(f'[data-order="{order.order_number}"]').get_by_role("button", name="Reorder").click()
    expect(page.get_by_test_id("cart-count")).to_have_text("2")
    expect(page.get_by_test_id("cart-lines").locator("tbody tr")).to_have_count(2)
    page.screenshot(path=f"{screenshot_dir}/shop-cart.png", full_page=True)
