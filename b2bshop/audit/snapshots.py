"""What the audit trail records of each object: its editable fields, related objects by their natural keys."""

from __future__ import annotations

from typing import Any

from integrations.models import MailchimpSegmentSync
from personalization.models import ContentBlock
from segments.models import Segment


def segment_snapshot(segment: Segment) -> dict[str, Any]:
    return {
        "name": segment.name,
        "slug": segment.slug,
        "description": segment.description,
        "is_active": segment.is_active,
        "rule": segment.rule,
        "depends_on": sorted(segment.depends_on.values_list("slug", flat=True)) if segment.pk else [],
    }


def content_block_snapshot(block: ContentBlock) -> dict[str, Any]:
    def slugs(related: Any) -> list[str]:
        return sorted(related.values_list("slug", flat=True)) if block.pk else []

    return {
        "name": block.name,
        "placement": block.placement,
        "kind": block.kind,
        "is_active": block.is_active,
        "headline": block.headline,
        "text": block.text,
        "image": block.image.name if block.image else "",
        "link_url": block.link_url,
        "products": sorted(block.products.values_list("sku", flat=True)) if block.pk else [],
        "include_segments": slugs(block.include_segments),
        "exclude_segments": slugs(block.exclude_segments),
        "is_fallback": block.is_fallback,
        "starts_at": block.starts_at.isoformat() if block.starts_at else None,
        "ends_at": block.ends_at.isoformat() if block.ends_at else None,
        "priority": block.priority,
        "category": block.category.slug if block.category_id else None,
        "product": block.product.sku if block.product_id else None,
    }


def mailchimp_sync_snapshot(sync: MailchimpSegmentSync) -> dict[str, Any]:
    return {"segment": sync.segment.slug, "enabled": sync.enabled, "tag_prefix": sync.tag_prefix}
