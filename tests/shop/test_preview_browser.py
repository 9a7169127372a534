"""In real Chromium: a marketer previews the shop as a segment from the segment admin and sees its banner."""

import pytest
from django.core.cache import cache
from playwright.sync_api import Page, expect

from catalog.services import category_tree_rebuild
from orders.models import Cart
from segments.permissions import marketing_segment_permissions_grant
from tests.personalization.factories import ContentBlockFactory, MenuItemFactory
from tests.segments.factories import SegmentFactory, SegmentMembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.urls("tests.shop.urls")]

STAFF_PASSWORD = "staff-pass-123"  # StaffUserFactory's


@pytest.fixture
def segment_marketer(marketer):
    """The shared marketer, with the Marketing group's segment permissions (to open the segment admin)."""
    marketing_segment_permissions_grant()
    return marketer


@pytest.fixture
def dealers(shop_data):
    category_tree_rebuild()
    segment = SegmentFactory(slug="dealers", name="Dealers")
    SegmentMembershipFactory(segment=segment, contact=shop_data["buyer_a"])
    ContentBlockFactory(headline="Dealer days: 10% off trolleys", include_segments=[segment], priority=5)
    ContentBlockFactory(headline="Welcome to our shop", fallback=True)
    corner = MenuItemFactory(label="Dealer corner", url="/c/flowers/", for_segments=True, include_segments=[segment])
    MenuItemFactory(label="Trolley deals", url="/search/?q=rose", parent=corner)
    cache.clear()
    return segment


@pytest.mark.django_db(transaction=True)
def test_marketer_previews_the_shop_as_a_segment(live_server, page: Page, segment_marketer, dealers, screenshot_dir):
    page.goto(f"{live_server.url}/admin/login/?next=/admin/segments/segment/{dealers.pk}/change/")
    page.fill("#id_username", segment_marketer.email)
    page.fill("#id_password", STAFF_PASSWORD)
    page.get_by_role("button", name="Log in").click()

    # From the segment's change page to the preview page, with the segment chosen.
    page.get_by_role("link", name="View on site").click()
    expect(page.get_by_label("A member of a segment")).to_have_value(str(dealers.pk))
    page.get_by_role("button", name="View as this segment").click()

    # The shop as a dealer sees it: the preview banner, the dealers' banner and menu item.
    banner = page.get_by_test_id("preview-banner")
    expect(banner).to_contain_text("Viewing as members of segment “Dealers”")
    expect(page.get_by_role("complementary", name="Dealer days: 10% off trolleys")).to_be_visible()
    expect(page.get_by_text("Welcome to our shop")).to_have_count(0)
    expect(page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Dealer corner")).to_be_visible()
    menu = page.get_by_role("navigation", name="Main menu")
    menu.get_by_role("button", name="Show Dealer corner submenu").click()
    expect(menu.get_by_role("link", name="Trolley deals")).to_be_visible()
    page.screenshot(path=f"{screenshot_dir}/shop-preview-segment.png", full_page=True)
    page.keyboard.press("Escape")

    # The preview stays on while browsing, and offers no buying.
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Dealer corner").click()
    expect(banner).to_be_visible()
    expect(page.get_by_role("button", name="Add", exact=True)).to_have_count(0)

    # Leaving it shows the marketer the real shop again.
    banner.get_by_role("button", name="Leave preview").click()
    page.goto(f"{live_server.url}/")
    expect(page.get_by_test_id("preview-banner")).to_have_count(0)
    expect(page.get_by_text("Welcome to our shop")).to_be_visible()
    assert Cart.objects.count() == 0
