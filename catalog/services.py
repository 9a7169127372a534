"""Writes of the catalog: the category tree's derived `path`, `depth` and ancestry closure."""

from collections.abc import Mapping

from django.db import transaction

from b2bshop.exceptions import ApplicationError
from catalog.models import Category, CategoryAncestry


class CategoryCycleError(ApplicationError):
    """Categories that are (indirectly) their own parent."""


def category_cycle_find(*, parents: Mapping[str, str | None]) -> list[list[str]]:
    """Every cycle in a child -> parent mapping, each as slugs in parent order.

    A parent that is not a key of the mapping ends the walk (it is a root or unknown).
    """
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current walk, 2: done
    for start in sorted(parents):
        walk: list[str] = []
        node: str | None = start
        while node is not None and node in parents and node not in state:
            state[node] = 1
            walk.append(node)
            node = parents[node]
        if node is not None and state.get(node) == 1:
            cycles.append(walk[walk.index(node) :])
        for visited in walk:
            state[visited] = 2
    return cycles


@transaction.atomic
def category_tree_rebuild() -> int:
    """Recompute every category's `path` ('/root/child/'), `depth` and CategoryAncestry rows.

    Reads the tree and the closure once each and writes only what changed (bulk);
    returns the number of categories whose path or depth changed. Raises
    CategoryCycleError if parents form a cycle.
    """
    rows = list(Category.objects.values_list("id", "slug", "parent_id", "path", "depth"))
    computed = _tree_walk(rows)
    changed = [
        Category(id=category_id, path=computed[category_id][0], depth=computed[category_id][1])
        for category_id, _slug, _parent_id, path, depth in rows
        if computed[category_id][:2] != (path, depth)
    ]
    Category.objects.bulk_update(changed, ["path", "depth"], batch_size=1000)
    _ancestry_sync(
        wanted={
            (category_id, ancestor_id): distance
            for category_id, (_path, _depth, ancestors) in computed.items()
            for distance, ancestor_id in enumerate(ancestors)
        }
    )
    return len(changed)


def _tree_walk(rows: list[tuple[int, str, int | None, str, int]]) -> dict[int, tuple[str, int, list[int]]]:
    """Per category: its path, depth and ancestors (itself first, the root last)."""
    children: dict[int | None, list[tuple[int, str]]] = {}
    for category_id, slug, parent_id, _path, _depth in rows:
        children.setdefault(parent_id, []).append((category_id, slug))
    computed: dict[int, tuple[str, int, list[int]]] = {}
    stack: list[tuple[int, str, str, list[int]]] = [(cid, slug, "/", []) for cid, slug in children.get(None, [])]
    while stack:
        category_id, slug, parent_path, parent_ancestors = stack.pop()
        path = f"{parent_path}{slug}/"
        ancestors = [category_id, *parent_ancestors]
        computed[category_id] = (path, len(parent_ancestors), ancestors)
        stack.extend((child_id, child_slug, path, ancestors) for child_id, child_slug in children.get(category_id, []))
    if len(computed) < len(rows):
        unreached = sorted(slug for category_id, slug, *_ in rows if category_id not in computed)
        raise CategoryCycleError(f"these categories are their own ancestor: {', '.join(unreached)}")
    return computed


def _ancestry_sync(*, wanted: dict[tuple[int, int], int]) -> None:
    stored = {
        (category_id, ancestor_id): (link_id, distance)
        for link_id, category_id, ancestor_id, distance in CategoryAncestry.objects.values_list(
            "id", "category_id", "ancestor_id", "distance"
        )
    }
    stale = [link_id for key, (link_id, _distance) in stored.items() if key not in wanted]
    if stale:
        CategoryAncestry.objects.filter(pk__in=stale).delete()
    moved = [
        CategoryAncestry(id=stored[key][0], distance=distance)
        for key, distance in wanted.items()
        if key in stored and stored[key][1] != distance
    ]
    CategoryAncestry.objects.bulk_update(moved, ["distance"], batch_size=1000)
    CategoryAncestry.objects.bulk_create(
        [
            CategoryAncestry(category_id=category_id, ancestor_id=ancestor_id, distance=distance)
            for (category_id, ancestor_id), distance in wanted.items()
            if (category_id, ancestor_id) not in stored
        ],
        batch_size=1000,
    )
