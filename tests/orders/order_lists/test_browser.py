import pytest
from playwright.sync_api import Page, expect

from accounts.models import Contact
from tests.accounts.factories import ContactFactory

pytestmark = [pytest.mark.browser, pytest.mark.urls("tests.shop.urls")]


def _log_in(page: Page, base: str, email: str, password: str, next_url: str) -> None:
    page.goto(f"{base}/account/login/?next={next_url}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


@pytest.mark.django_db(transaction=True)
def test_buyer_keeps_favourites_and_adds_them_to_the_cart(live_server, page: Page, shop_data, screenshot_dir):
    _log_in(page, live_server.url, "anna@a.example", "buyer-pass-123", "/c/flowers/?all=1")
    products = page.get_by_test_id("products")
    for sku in ("ROSE-RED", "PEONY-TUE"):
        products.locator(f'[data-sku="{sku}"]').get_by_test_id("add-favourite").click()
        expect(page.get_by_role("status")).to_contain_text("is on your list Favourites")

    page.get_by_role("link", name="Lists", exact=True).click()
    page.get_by_role("link", name="Favourites").click()
    items = page.get_by_test_id("list-items")
    expect(items.locator('[data-sku="PEONY-TUE"] [data-testid="reason"]')).to_contain_text(
        "Not deliverable on Fridays · first possible delivery Tue 1 Dec"
    )
    page.get_by_label("Default quantity of Red Naomi rose").fill("12")
    items.locator('[data-sku="ROSE-RED"]').get_by_role("button", name="Update").click()
    expect(page.get_by_label("Default quantity of Red Naomi rose")).to_have_value("12")
    page.screenshot(path=f"{screenshot_dir}/shop-order-list.png", full_page=True)

    page.get_by_test_id("list-to-cart").click()
    expect(page.get_by_role("status")).to_contain_text("Sarah Bernhardt peony (PEONY-TUE) was not added")
    expect(page.get_by_test_id("cart-count")).to_have_text("1")
    expect(page.get_by_label("Quantity of Red Naomi rose")).to_have_value("12")


@pytest.mark.django_db(transaction=True)
def test_company_admin_invites_a_colleague(live_server, page: Page, shop_data, screenshot_dir):
    ContactFactory(company=shop_data["company_a"], company_admin=True, email="boss@a.example", language="en")
    _log_in(page, live_server.url, "boss@a.example", "buyer-pass-123", "/")
    page.get_by_role("link", name="Company users").click()
    form = page.get_by_test_id("invite-form")
    form.get_by_label("Email").fill("new.buyer@a.example")
    form.get_by_label("First name").fill("Noor")
    form.get_by_label("Role").select_option("approver")
    form.get_by_role("button", name="Add user").click()
    expect(page.get_by_role("status")).to_contain_text("new.buyer@a.example was added")
    expect(page.locator('[data-user="new.buyer@a.example"]')).to_contain_text("invited")
    page.screenshot(path=f"{screenshot_dir}/shop-company-users.png", full_page=True)
    assert Contact.objects.get(email="new.buyer@a.example").shop_role == "approver"
