"""The demo's personalization: banners per segment, a segment-filtered menu and a segment assortment.

What a flower wholesaler's marketer would set up on day one, on top of the demo segments
(`b2bshop/demo/segments.py`): the champions are thanked for their loyalty reward, lapsing
customers get a come-back offer, tulip buyers see the new varieties, and garden plants
(shrubs and hedges) are an assortment for garden centres and dealers only, so a florist
such as the demo buyer sees neither the category nor its menu entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from catalog.models import Category, Product
from personalization.models import CategoryRestriction, ContentBlock, MenuItem
from personalization.services import content_block_save, menu_tree_rebuild, rich_text_sanitise
from segments.models import Segment

Placement = ContentBlock.Placement


@dataclass(frozen=True)
class DemoBlock:
    name: str
    placement: str
    headline: str
    text: str
    link_url: str = ""
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    priority: int = 0
    is_fallback: bool = False
    kind: str = ContentBlock.Kind.BANNER
    category_slug: str = ""
    carousel_category_slug: str = ""


@dataclass(frozen=True)
class DemoMenuItem:
    label: str
    category_slug: str = ""
    url: str = ""
    include: tuple[str, ...] = ()
    children: tuple[DemoMenuItem, ...] = field(default=())


GARDEN_SEGMENTS = ("garden-centres", "dealers")

DEMO_BLOCKS: tuple[DemoBlock, ...] = (
    DemoBlock(
        "Champions: loyalty reward", Placement.HOME_HERO, "Thank you for being one of our best customers",
        "<p>As a thank-you you get <strong>5% off every order</strong>. It is applied in your cart automatically.</p>",
        link_url="/c/cut-flowers/", include=("champions",), priority=30,
    ),
    DemoBlock(
        "At risk: come back", Placement.HOME_HERO, "We have missed you",
        "<p>Fresh from the auction every morning. Use code <strong>COMEBACK25</strong> for EUR 25 off "
        "an order over EUR 150.</p>",
        link_url="/c/seasonal-flowers/", include=("at-risk",), priority=20,
    ),
    DemoBlock(
        "Garden centres: spring plants", Placement.HOME_HERO, "Your spring assortment is in",
        "<p>Perennials, bedding plants, shrubs and hedges: order now for the first spring weekends.</p>",
        link_url="/c/garden-plants/", include=GARDEN_SEGMENTS, priority=10,
    ),
    DemoBlock(
        "Everyone: fresh every morning", Placement.HOME_HERO, "Fresh flowers and plants on your delivery day",
        "<p>Choose your delivery day first: the shop shows what can be delivered then.</p>",
        link_url="/c/cut-flowers/", is_fallback=True,
    ),
    DemoBlock(
        "Tulip buyers: new varieties", Placement.CATEGORY_TOP, "New tulip varieties this season",
        "<p>You bought tulips this year: have a look at this season's new colours.</p>",
        include=("tulip-buyers",), category_slug="tulips", priority=10,
    ),
    DemoBlock(
        "Abandoned carts: reminder", Placement.CART, "Your cart is waiting",
        "<p>Order before the cut-off to get it on your chosen delivery day.</p>",
        include=("abandoned-carts",), priority=10,
    ),
    DemoBlock(
        "Web-first: thank you", Placement.CHECKOUT, "Thank you for ordering online",
        "<p>Web orders are processed first at the auction.</p>",
        include=("web-first",), priority=10,
    ),
    DemoBlock(
        "Top 25%: favourites carousel", Placement.PRODUCT_LIST, "Popular with our best customers",
        "", include=("top-25",), kind=ContentBlock.Kind.PRODUCT_CAROUSEL, carousel_category_slug="garden-roses",
        priority=10,
    ),
)

DEMO_MENU: tuple[DemoMenuItem, ...] = (
    DemoMenuItem("Cut flowers", "cut-flowers", children=(
        DemoMenuItem("Roses", "roses"), DemoMenuItem("Tulips", "tulips"), DemoMenuItem("Seasonal flowers", "seasonal-flowers"),
    )),
    DemoMenuItem("Pot plants", "pot-plants", children=(
        DemoMenuItem("Orchids", "orchids"), DemoMenuItem("Indoor plants", "indoor-plants"),
    )),
    DemoMenuItem("Garden plants", "garden-plants", include=GARDEN_SEGMENTS, children=(
        DemoMenuItem("Perennials", "perennials"), DemoMenuItem("Shrubs and hedges", "shrubs-hedges"),
    )),
    DemoMenuItem("Bulbs", "bulbs"),
    DemoMenuItem("Supplies", "supplies"),
    DemoMenuItem("Dealer corner", url="/c/packaging/", include=("dealers",)),
)

RESTRICTED_CATEGORIES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("shrubs-hedges", GARDEN_SEGMENTS, "Nursery stock: sold to garden centres and dealers only."),
)


def _segments(slugs: tuple[str, ...]) -> list[Segment]:
    return list(Segment.objects.filter(slug__in=slugs).order_by("pk"))


def _block_create(demo: DemoBlock, categories: dict[str, Category]) -> None:
    block = ContentBlock(
        name=demo.name, placement=demo.placement, kind=demo.kind, headline=demo.headline,
        text=rich_text_sanitise(demo.text), link_url=demo.link_url, priority=demo.priority,
        is_fallback=demo.is_fallback, category=categories.get(demo.category_slug),
    )

    def save_related() -> None:
        block.include_segments.set(_segments(demo.include))
        block.exclude_segments.set(_segments(demo.exclude))
        if demo.carousel_category_slug:
            block.products.set(
                Product.objects.filter(category__slug=demo.carousel_category_slug, is_active=True).order_by("name")[:8]
            )

    content_block_save(block=block, save_related=save_related)


def _menu_create(
    items: tuple[DemoMenuItem, ...], categories: dict[str, Category], existing_segments: set[str], parent: MenuItem | None
) -> None:
    for position, demo in enumerate(items):
        if not set(demo.include) <= existing_segments:
            continue  # without its segments the item would show to everyone
        visibility = MenuItem.Visibility.SEGMENTS if demo.include else MenuItem.Visibility.EVERYONE
        item = MenuItem.objects.create(
            parent=parent, position=position, label=demo.label, category=categories.get(demo.category_slug),
            url=demo.url, visibility=visibility,
        )
        item.include_segments.set(_segments(demo.include))
        _menu_create(demo.children, categories, existing_segments, item)


def demo_personalization_ensure() -> int:
    """Create the demo banners, menu and restrictions that are missing; returns how many were created.

    Runs after the demo segments exist (blocks for a missing segment would reach everyone, so
    those are skipped). Idempotent: blocks by name, the menu only when there is none, restrictions
    by category.
    """
    existing_segments = set(Segment.objects.values_list("slug", flat=True))
    categories = {category.slug: category for category in Category.objects.all()}
    created = 0
    with transaction.atomic():
        names = set(ContentBlock.objects.values_list("name", flat=True))
        for demo in DEMO_BLOCKS:
            if demo.name in names or not set(demo.include) <= existing_segments:
                continue
            if demo.category_slug and demo.category_slug not in categories:
                continue
            _block_create(demo, categories)
            created += 1
        if not MenuItem.objects.exists():
            _menu_create(DEMO_MENU, categories, existing_segments, parent=None)
            menu_tree_rebuild()
            created += MenuItem.objects.count()
        for slug, include, note in RESTRICTED_CATEGORIES:
            category = categories.get(slug)
            if category is None or CategoryRestriction.objects.filter(category=category).exists():
                continue
            if not set(include) <= existing_segments:
                continue
            restriction = CategoryRestriction.objects.create(category=category, note=note)
            restriction.include_segments.set(_segments(include))
            created += 1
    return created
