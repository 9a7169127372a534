"""Writes of personalization: saving content blocks (audited), safe rich text for them, the menu's tree order."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from html.parser import HTMLParser
from typing import Any

from django.db import transaction

from b2bshop.audit.services import audit_record
from b2bshop.audit.snapshots import content_block_snapshot
from b2bshop.models import AuditEntry
from personalization.models import ContentBlock, MenuItem

# The small HTML subset a text block may hold; every other tag is dropped (its text kept, escaped).
ALLOWED_TAGS = frozenset({"p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "h2", "h3", "h4", "a"})
VOID_TAGS = frozenset({"br"})
DROPPED_WITH_CONTENT = frozenset({"script", "style", "iframe", "object", "embed", "template", "noscript", "svg", "math"})
SAFE_LINK_PREFIXES = ("/", "https://", "http://", "mailto:", "tel:")


class _RichTextSanitiser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in DROPPED_WITH_CONTENT:
            self.skipping += 1
            return
        if self.skipping or tag not in ALLOWED_TAGS:
            return
        if tag == "a":
            href = dict(attrs).get("href") or ""
            href = href.strip()
            if not href.lower().startswith(SAFE_LINK_PREFIXES) or href.startswith("//"):
                href = ""
            attributes = f' href="{escape(href, quote=True)}" rel="noopener"' if href else ""
            self.out.append(f"<a{attributes}>")
        else:
            self.out.append(f"<{tag}>")
        if tag not in VOID_TAGS:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID_TAGS and not self.skipping:
            self.out.append(f"<{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if tag in DROPPED_WITH_CONTENT:
            self.skipping = max(0, self.skipping - 1)
            return
        if self.skipping or tag not in self.open:
            return
        while self.open:
            closing = self.open.pop()
            self.out.append(f"</{closing}>")
            if closing == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.out.append(escape(data, quote=False))

    def result(self) -> str:
        self.close()
        self.out.extend(f"</{tag}>" for tag in reversed(self.open))
        self.open.clear()
        return "".join(self.out)


def rich_text_sanitise(text: str) -> str:
    """The text reduced to ALLOWED_TAGS (no attributes except a safe `href` on links), always well-nested.

    Plain text passes through escaped. Script/style-like elements are dropped with their
    content; other unknown tags are dropped but keep their text. The result is safe to
    render with `|safe`; the admin stores only sanitised text.
    """
    parser = _RichTextSanitiser()
    parser.feed(text)
    return parser.result().strip()


@transaction.atomic
def content_block_save(
    *, block: ContentBlock, user: Any = None, save_related: Callable[[], None] | None = None
) -> ContentBlock:
    """Save a content block (already validated, e.g. by the admin form) and record it in the audit trail.

    `save_related` saves its many-to-many fields (the form's `save_m2m`) before the after-state is read.
    """
    # Read from the database: a form has already set its new values on the instance.
    stored = ContentBlock.objects.select_for_update().filter(pk=block.pk).first() if block.pk else None
    before = content_block_snapshot(stored) if stored else None
    block.save()
    if save_related is not None:
        save_related()
    audit_record(
        user=user, target_type=AuditEntry.TargetType.CONTENT_BLOCK, target_id=block.pk, target_label=block.name,
        before=before, after=content_block_snapshot(block), switch_field="is_active",
    )
    return block


@transaction.atomic
def content_block_delete(*, block: ContentBlock, user: Any = None) -> None:
    """Delete a content block, recording it in the audit trail."""
    audit_record(
        user=user, target_type=AuditEntry.TargetType.CONTENT_BLOCK, target_id=block.pk, target_label=block.name,
        before=content_block_snapshot(ContentBlock.objects.get(pk=block.pk)), after=None, switch_field="is_active",
    )
    block.delete()


@transaction.atomic
def menu_tree_rebuild() -> int:
    """Recompute every menu item's `tree_order` and `depth` from parent and position; returns rows changed.

    Reads the menu once and writes only what changed. Items caught in a parent cycle (the
    admin prevents these) are placed at the end, at depth 0.
    """
    rows = list(MenuItem.objects.values_list("id", "parent_id", "position", "tree_order", "depth"))
    children: dict[int | None, list[tuple[int, int]]] = {}
    for item_id, parent_id, position, _order, _depth in rows:
        children.setdefault(parent_id, []).append((position, item_id))
    computed: dict[int, tuple[str, int]] = {}
    stack: list[tuple[int | None, str, int]] = [(None, "", 0)]
    while stack:
        parent_id, prefix, depth = stack.pop()
        for index, (_position, item_id) in enumerate(sorted(children.get(parent_id, []))):
            order = f"{prefix}{index:05d}/"
            computed[item_id] = (order, depth)
            stack.append((item_id, order, depth + 1))
    changed = []
    for item_id, _parent_id, _position, order, depth in rows:
        wanted = computed.get(item_id, (f"99999/{item_id:010d}/", 0))
        if (order, depth) != wanted:
            changed.append(MenuItem(id=item_id, tree_order=wanted[0], depth=wanted[1]))
    MenuItem.objects.bulk_update(changed, ["tree_order", "depth"], batch_size=500)
    return len(changed)
