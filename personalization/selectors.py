"""Reads of personalization: which blocks, menu items, categories and products a visitor sees.

Every selector takes the visitor as plain values (`segment_ids`, `is_authenticated`), so
the same code serves a real visitor and a marketer's "view as" preview (`Viewer`).
Segment conditions are compiled to `Exists()` subqueries (`segment_conditions_hold`), or,
for the reads every shop page makes (blocks, menu, assortment), checked in Python
(`segment_rule_holds`) over rows that the same SQL loads for every visitor: compiling the
conditions made a logged-in visitor's page slower than an anonymous one. Either way the
query count never grows with the number of blocks, items, restrictions or segments.
Nothing here writes.

The segment semantics (spec "Precise semantics"), for blocks, menu items and restrictions:
no include segments: applies to everyone, anonymous visitors included; include segments:
only logged-in contacts that are a member of at least one; exclude segments always win.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, F, Model, OuterRef, Q, QuerySet, Value
from django.shortcuts import get_object_or_404

from accounts.models import Contact, User
from catalog.models import Category, CategoryAncestry, Product
from personalization.models import (
    CategoryRestriction,
    ContentBlock,
    MenuItem,
    ProductRestriction,
)
from segments.models import Segment, SegmentMembership
from segments.selectors import contact_segment_ids

# --- The visitor -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    """Whom a page is rendered for: a real visitor, or a marketer's read-only preview.

    `preview_label` is set only for previews; the storefront shows it in a banner and
    must then not write anything (carts, logins, orders, membership).
    """

    segment_ids: frozenset[int] = frozenset()
    is_authenticated: bool = False
    contact_id: int | None = None
    preview_label: str | None = None

    @property
    def is_preview(self) -> bool:
        return self.preview_label is not None


ANONYMOUS_VIEWER = Viewer()


def visitor_segment_ids(user: User | AnonymousUser) -> frozenset[int]:
    """The logged-in contact's segment ids (cached per contact); empty for anonymous visitors and staff."""
    if not user.is_authenticated or getattr(user, "company_id", None) is None:
        return frozenset()
    return contact_segment_ids(contact_id=user.pk)


def viewer_for_user(user: User | AnonymousUser) -> Viewer:
    """The viewer of a real request (at most one query, and none on a cache hit)."""
    if not user.is_authenticated:
        return ANONYMOUS_VIEWER
    contact_id = user.pk if getattr(user, "company_id", None) is not None else None
    return Viewer(segment_ids=visitor_segment_ids(user), is_authenticated=True, contact_id=contact_id)


def viewer_for_segment_preview(*, segment_id: int) -> Viewer:
    """'View as segment X': a logged-in contact who is a member of exactly that segment (Http404 if unknown)."""
    segment = get_object_or_404(Segment.objects.only("id", "name"), pk=segment_id)
    return Viewer(
        segment_ids=frozenset({segment.pk}),
        is_authenticated=True,
        contact_id=None,
        preview_label=f"Viewing as members of segment “{segment.name}”",
    )


def viewer_for_contact_preview(*, contact_id: int) -> Viewer:
    """'View as contact Y': that contact's current memberships, read from the table (not the cache: no writes)."""
    contact = get_object_or_404(
        Contact.objects.select_related("company").only("id", "email", "company__name"), pk=contact_id
    )
    segment_ids = frozenset(SegmentMembership.objects.filter(contact_id=contact.pk).values_list("segment_id", flat=True))
    company = f" ({contact.company.name})" if contact.company is not None else ""
    return Viewer(
        segment_ids=segment_ids,
        is_authenticated=True,
        contact_id=contact.pk,
        preview_label=f"Viewing as contact {contact.email}{company}",
    )


def anonymous_preview_viewer() -> Viewer:
    """'View as an anonymous visitor', with the preview banner."""
    return Viewer(preview_label="Viewing as an anonymous visitor")


# --- Segment conditions ------------------------------------------------------------------------------------------


def _m2m_exists(relation: object, *, segment_ids: Iterable[int] | None) -> Exists:
    """Exists(a row of this M2M for the outer object [with one of `segment_ids`])."""
    through: type[Model] = relation.through  # type: ignore[attr-defined]
    source = relation.field.m2m_field_name()  # type: ignore[attr-defined]
    rows = through.objects.filter(**{source: OuterRef("pk")})
    if segment_ids is not None:
        rows = rows.filter(segment_id__in=sorted(segment_ids))
    return Exists(rows)


def segment_conditions_hold(
    model: type[Model], *, segment_ids: frozenset[int], is_authenticated: bool
) -> Q:
    """Q over `model` (with `include_segments` / `exclude_segments`): its segment conditions hold for the visitor."""
    has_include = _m2m_exists(model.include_segments, segment_ids=None)  # type: ignore[attr-defined]
    included = ~Q(has_include)
    if is_authenticated and segment_ids:
        included |= Q(_m2m_exists(model.include_segments, segment_ids=segment_ids))  # type: ignore[attr-defined]
    if not segment_ids:
        return included
    excluded = _m2m_exists(model.exclude_segments, segment_ids=segment_ids)  # type: ignore[attr-defined]
    return included & ~Q(excluded)


def segment_rule_holds(
    *, include: Collection[int], exclude: Collection[int], segment_ids: frozenset[int], is_authenticated: bool
) -> bool:
    """`segment_conditions_hold` in Python, for rules whose segment ids the caller loaded."""
    if segment_ids and not segment_ids.isdisjoint(exclude):
        return False
    return not include or (is_authenticated and not segment_ids.isdisjoint(include))


def _segment_links(rows: Iterable[tuple[int, int | None, int | None]]) -> dict[int, tuple[set[int], set[int]]]:
    """(object id, include segment id, exclude segment id) rows of a join over both M2Ms -> id: (include, exclude)."""
    links: dict[int, tuple[set[int], set[int]]] = {}
    for object_id, include_id, exclude_id in rows:
        include, exclude = links.setdefault(object_id, (set(), set()))
        if include_id is not None:
            include.add(include_id)
        if exclude_id is not None:
            exclude.add(exclude_id)
    return links


# --- Content blocks ---------------------------------------------------------------------------------------------


def content_blocks_for(
    *,
    placement: str,
    segment_ids: frozenset[int],
    is_authenticated: bool,
    now: datetime.datetime,
    category: Category | None = None,
    product: Product | None = None,
    limit: int = 1,
) -> list[ContentBlock]:
    """The blocks to show in `placement`, best first, at most `limit`; one query.

    A block matches when it is active, scheduled at `now` (starts_at <= now < ends_at),
    its scope fits (no category, or `category` is it or below it; no product, or it is
    `product`) and its segment conditions hold. Order: higher priority, later starts_at
    (no start counts as earliest), higher id. Fallback blocks come only when no other
    block matches. Carousel products are not loaded: use `content_block_product_list`.
    """
    return content_blocks_by_placement(
        placements=(placement,), segment_ids=segment_ids, is_authenticated=is_authenticated, now=now,
        category=category, product=product, limit=limit,
    )[placement]


def content_blocks_by_placement(
    *,
    placements: tuple[str, ...],
    segment_ids: frozenset[int],
    is_authenticated: bool,
    now: datetime.datetime,
    category: Category | None = None,
    product: Product | None = None,
    limit: int = 1,
) -> dict[str, list[ContentBlock]]:
    """`content_blocks_for` of several placements of one page, in one query.

    The query is the same for every visitor: it loads the placements' candidate blocks with
    their segment ids (one row per include x exclude pair), and the segment conditions are
    checked here. Compiling the conditions into SQL cost a logged-in visitor more than an
    anonymous one (two more subqueries per rule table).
    """
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    if limit < 1:
        return {placement: [] for placement in placements}
    scope = Q(category__isnull=True)
    if category is not None:
        scope |= Q(Exists(CategoryAncestry.objects.filter(category_id=category.pk, ancestor_id=OuterRef("category_id"))))
    product_scope = Q(product__isnull=True)
    if product is not None:
        product_scope |= Q(product_id=product.pk)
    candidates = (
        ContentBlock.objects.filter(
            Q(placement__in=placements, is_active=True)
            & (Q(starts_at__isnull=True) | Q(starts_at__lte=now))
            & (Q(ends_at__isnull=True) | Q(ends_at__gt=now))
            & scope
            & product_scope
        )
        .annotate(rule_include_id=F("include_segments"), rule_exclude_id=F("exclude_segments"))
        .order_by("is_fallback", "-priority", F("starts_at").desc(nulls_last=True), "-id")
    )
    rows = list(candidates)
    blocks: dict[int, ContentBlock] = {}  # best first: a dict keeps the position of a block's first row
    for block in rows:
        blocks.setdefault(block.pk, block)
    links = _segment_links((block.pk, block.rule_include_id, block.rule_exclude_id) for block in rows)
    shown: dict[str, list[ContentBlock]] = {placement: [] for placement in placements}
    for placement in placements:
        chosen = [
            block
            for block in blocks.values()
            if block.placement == placement and segment_rule_holds(
                include=links[block.pk][0], exclude=links[block.pk][1], segment_ids=segment_ids,
                is_authenticated=is_authenticated,
            )
        ][:limit]
        # Non-fallback blocks sort first: if the best one is not a fallback, no fallback may show.
        if chosen and not chosen[0].is_fallback:
            chosen = [block for block in chosen if not block.is_fallback]
        shown[placement] = chosen
    return shown


def content_block_product_list(
    *, block: ContentBlock, segment_ids: frozenset[int], is_authenticated: bool, limit: int = 12
) -> list[Product]:
    """A carousel's active products that the visitor may see, by name, at most `limit`; one query."""
    return list(
        block.products.filter(is_active=True)
        .filter(visible_products_filter(segment_ids=segment_ids, is_authenticated=is_authenticated))
        .order_by("name", "id")[:limit]
    )


# --- Assortment: hidden categories and products --------------------------------------------------------------------


def _failing_category_restrictions(*, segment_ids: frozenset[int], is_authenticated: bool) -> QuerySet[CategoryRestriction]:
    return CategoryRestriction.objects.exclude(
        segment_conditions_hold(CategoryRestriction, segment_ids=segment_ids, is_authenticated=is_authenticated)
    )


def _hidden_category_links(*, segment_ids: frozenset[int], is_authenticated: bool) -> QuerySet[CategoryAncestry]:
    """Closure rows whose ancestor-or-self is restricted away from the visitor."""
    failing = _failing_category_restrictions(segment_ids=segment_ids, is_authenticated=is_authenticated)
    return CategoryAncestry.objects.filter(ancestor_id__in=failing.values("category_id"))


def hidden_category_ids(*, segment_ids: frozenset[int], is_authenticated: bool) -> frozenset[int]:
    """Categories hidden from the visitor: restricted away from them, or below such a category; one query."""
    return visitor_assortment(segment_ids=segment_ids, is_authenticated=is_authenticated).hidden_category_ids


def visible_categories_filter(*, segment_ids: frozenset[int], is_authenticated: bool) -> Q:
    """Q over catalog.Category: not hidden from the visitor (no query until used)."""
    links = _hidden_category_links(segment_ids=segment_ids, is_authenticated=is_authenticated)
    return ~Q(Exists(links.filter(category_id=OuterRef("pk"))))


def visible_products_filter(*, segment_ids: frozenset[int], is_authenticated: bool) -> Q:
    """Q over catalog.Product: the visitor may see it (listings, search, product URLs, reorder, API).

    A product is invisible when its own restriction does not hold for the visitor, or when
    its category (or an ancestor of it) is hidden. Combine it with the delivery filter:
    `Product.objects.filter(visible_products_filter(...) & orderable_products_filter(...))`.
    """
    failing_products = ProductRestriction.objects.filter(product_id=OuterRef("pk")).exclude(
        segment_conditions_hold(ProductRestriction, segment_ids=segment_ids, is_authenticated=is_authenticated)
    )
    hidden_links = _hidden_category_links(segment_ids=segment_ids, is_authenticated=is_authenticated)
    return ~Q(Exists(failing_products)) & ~Q(Exists(hidden_links.filter(category_id=OuterRef("category_id"))))


@dataclass(frozen=True)
class Assortment:
    """What a visitor may not see, as ids: the request loads it once and filters every listing with it."""

    hidden_category_ids: frozenset[int] = frozenset()
    hidden_product_ids: frozenset[int] = frozenset()  # products whose own restriction fails for the visitor

    def products_filter(self) -> Q:
        """Q over catalog.Product, the same as `visible_products_filter` for this visitor.

        Plain id lists instead of the correlated subqueries: cheaper to compile and plan in
        every product query of a page (count, page, undeliverable count).
        """
        condition = Q()
        if self.hidden_category_ids:
            condition &= ~Q(category_id__in=sorted(self.hidden_category_ids))
        if self.hidden_product_ids:
            condition &= ~Q(pk__in=sorted(self.hidden_product_ids))
        return condition


def visitor_assortment(*, segment_ids: frozenset[int], is_authenticated: bool) -> Assortment:
    """Hidden categories (as `hidden_category_ids`) and products restricted away by their own restriction; one query.

    The query is the same for every visitor: the restrictions' segment links and the closure rows
    below restricted categories; the segment conditions are checked here (`segment_rule_holds`).
    A restriction without any segment holds for everyone, so only linked ones are read.
    """

    def links(model: type[Model], kind: str, object_field: str) -> list[QuerySet]:
        parts = []
        for relation, direction in ((model.include_segments, "i"), (model.exclude_segments, "e")):  # type: ignore[attr-defined]
            through: type[Model] = relation.through
            source = relation.field.m2m_field_name()
            parts.append(
                through.objects.order_by()
                .annotate(kind=Value(kind + direction), object_id=F(f"{source}__{object_field}"), other_id=F("segment_id"))
                .values_list("kind", "object_id", "other_id")
            )
        return parts

    below_restricted = (
        CategoryAncestry.objects.filter(ancestor__restriction__isnull=False)
        .order_by()
        .annotate(kind=Value("d"), object_id=F("category_id"), other_id=F("ancestor_id"))
        .values_list("kind", "object_id", "other_id")
    )
    category_links = links(CategoryRestriction, "c", "category_id")
    product_links = links(ProductRestriction, "p", "product_id")
    rows = below_restricted.union(*category_links, *product_links, all=True)

    segments: dict[str, dict[int, tuple[set[int], set[int]]]] = {"c": {}, "p": {}}
    descendants: dict[int, set[int]] = {}  # restricted category -> itself and the categories below it
    for kind, object_id, other_id in rows:
        if kind == "d":
            descendants.setdefault(other_id, set()).add(object_id)
        else:
            include, exclude = segments[kind[0]].setdefault(object_id, (set(), set()))
            (include if kind[1] == "i" else exclude).add(other_id)

    def failing(kind: str) -> set[int]:
        return {
            object_id
            for object_id, (include, exclude) in segments[kind].items()
            if not segment_rule_holds(
                include=include, exclude=exclude, segment_ids=segment_ids, is_authenticated=is_authenticated
            )
        }

    hidden_categories: set[int] = set()
    for category_id in failing("c"):
        hidden_categories |= descendants.get(category_id, set())
    return Assortment(hidden_category_ids=frozenset(hidden_categories), hidden_product_ids=frozenset(failing("p")))


def visible_product_list(
    *, segment_ids: frozenset[int], is_authenticated: bool, products: QuerySet[Product] | None = None
) -> QuerySet[Product]:
    """The products (all, or the given queryset) the visitor may see."""
    queryset = Product.objects.all() if products is None else products
    return queryset.filter(visible_products_filter(segment_ids=segment_ids, is_authenticated=is_authenticated))


def product_is_visible(*, product_id: int, segment_ids: frozenset[int], is_authenticated: bool) -> bool:
    """For product URLs (404 when False) and cart lines (marked when False); one query."""
    return visible_product_list(
        segment_ids=segment_ids, is_authenticated=is_authenticated, products=Product.objects.filter(pk=product_id)
    ).exists()


def invisible_product_ids(
    *, product_ids: Iterable[int], segment_ids: frozenset[int], is_authenticated: bool
) -> frozenset[int]:
    """Which of `product_ids` the visitor may not see: cart lines to mark, reorder lines to skip; one query."""
    wanted = sorted(set(product_ids))
    if not wanted:
        return frozenset()
    return frozenset(
        Product.objects.filter(pk__in=wanted)
        .exclude(visible_products_filter(segment_ids=segment_ids, is_authenticated=is_authenticated))
        .values_list("pk", flat=True)
    )


# --- Menu -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MenuNode:
    id: int
    label: str
    url: str
    category_id: int | None
    category_slug: str | None
    children: tuple[MenuNode, ...] = field(default=())


def menu_for(
    *, segment_ids: frozenset[int], is_authenticated: bool, hidden_category_ids: frozenset[int] | None = None
) -> list[MenuNode]:
    """The visible menu as a tree (roots first, siblings by position); one query.

    An item is visible when it is active, its visibility and segment conditions hold,
    its category (if any) is not hidden from the visitor, and its parent is visible:
    a hidden item takes its children with it. A category item has `url` ""; the
    storefront builds the category URL from `category_slug`. `hidden_category_ids`: the
    visitor's hidden categories when the caller has them already (else a subquery finds them).

    The query is the same for every visitor: the active items with their segment ids (one row
    per include x exclude pair); visibility and segment conditions are checked here.
    """
    items_query = MenuItem.objects.filter(is_active=True)
    if hidden_category_ids is None:
        hidden_links = _hidden_category_links(segment_ids=segment_ids, is_authenticated=is_authenticated)
        items_query = items_query.filter(
            Q(category__isnull=True) | ~Q(Exists(hidden_links.filter(category_id=OuterRef("category_id"))))
        )
        hidden_category_ids = frozenset()
    visibilities = {MenuItem.Visibility.EVERYONE, MenuItem.Visibility.SEGMENTS}
    if is_authenticated:
        visibilities.add(MenuItem.Visibility.LOGGED_IN)
    rows = list(
        items_query.order_by("position", "id")
        .values_list(
            "id", "parent_id", "label", "url", "category_id", "category__slug", "visibility",
            "include_segments", "exclude_segments",
        )
    )
    links = _segment_links((row[0], row[7], row[8]) for row in rows)
    items: dict[int, tuple[int, int | None, str, str, int | None, str | None]] = {}
    for item_id, parent_id, label, url, category_id, category_slug, visibility, _include, _exclude in rows:
        if item_id in items or visibility not in visibilities or category_id in hidden_category_ids:
            continue
        include, exclude = links[item_id]
        if segment_rule_holds(include=include, exclude=exclude, segment_ids=segment_ids, is_authenticated=is_authenticated):
            items[item_id] = (item_id, parent_id, label, url, category_id, category_slug)
    children: dict[int | None, list[tuple[int, str, str, int | None, str | None]]] = {}
    for item_id, parent_id, label, url, category_id, category_slug in items.values():
        children.setdefault(parent_id, []).append((item_id, label, url, category_id, category_slug))

    def build(parent_id: int | None, seen: frozenset[int]) -> tuple[MenuNode, ...]:
        return tuple(
            MenuNode(
                id=item_id, label=label, url=url, category_id=category_id, category_slug=category_slug,
                children=build(item_id, seen | {item_id}),
            )
            for item_id, label, url, category_id, category_slug in children.get(parent_id, [])
            if item_id not in seen
        )

    # Only items whose whole chain of parents is visible are reached from the roots.
    return list(build(None, frozenset()))
