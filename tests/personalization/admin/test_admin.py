"""The personalization admin: marketer pages, image upload checks, rich text, tree order, constant queries."""

import io

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from personalization.models import (
    ContentBlock,
    MenuItem,
    validate_banner_image,
)
from tests.admin_support import page_query_count
from tests.catalog.factories import CategoryFactory, ProductFactory
from tests.personalization.factories import (
    CategoryRestrictionFactory,
    ContentBlockFactory,
    MenuItemFactory,
    ProductRestrictionFactory,
)
from tests.segments.factories import SegmentFactory

pytestmark = pytest.mark.django_db


def image_upload(name="hero.png", image_format="PNG", size=(40, 20)):
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, format=image_format)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{image_format.lower()}")


@pytest.fixture
def personalization_marketer(marketer):
    """The marketer, with the personalization permissions (the Marketing group does not grant them yet)."""
    marketer.user_permissions.add(*Permission.objects.filter(content_type__app_label="personalization"))
    return marketer


class BannerImageValidationTests:
    def test_a_png_passes(self):
        validate_banner_image(image_upload())

    def test_a_text_file_named_png_is_refused(self):
        fake = SimpleUploadedFile("hero.png", b"<?php echo 1; ?>", content_type="image/png")

        with pytest.raises(ValidationError, match="not an image"):
            validate_banner_image(fake)

    def test_more_than_5_mb_is_refused(self):
        upload = image_upload()
        upload.size = 5 * 1024 * 1024 + 1  # the default UPLOAD_IMAGE_MAX_BYTES

        with pytest.raises(ValidationError, match="larger than 5 MB"):
            validate_banner_image(upload)

    def test_other_image_formats_are_refused(self):
        with pytest.raises(ValidationError, match="JPEG, PNG, GIF or WebP"):
            validate_banner_image(image_upload("hero.tiff", "TIFF"))


class ContentBlockAdminTests:
    def test_pages_load_for_a_marketer(self, personalization_marketer, admin_client_for):
        client = admin_client_for(personalization_marketer)
        block = ContentBlockFactory(include_segments=[SegmentFactory()])
        for url in [
            reverse("admin:personalization_contentblock_changelist"),
            reverse("admin:personalization_contentblock_add"),
            reverse("admin:personalization_contentblock_change", args=[block.pk]),
        ]:
            assert client.get(url).status_code == 200, url

    def test_banner_upload_is_stored_and_text_is_sanitised(self, superuser, admin_client_for):
        client = admin_client_for(superuser)
        dealers = SegmentFactory()
        response = client.post(
            reverse("admin:personalization_contentblock_add"),
            {
                "name": "Spring",
                "placement": ContentBlock.Placement.HOME_HERO,
                "kind": ContentBlock.Kind.BANNER,
                "headline": "Spring is here",
                "text": '<p onclick="x()">Tulips<script>alert(1)</script></p>',
                "image": image_upload(),
                "link_url": "/tulips/",
                "include_segments": [dealers.pk],
                "priority": "3",
                "is_active": "on",
            },
        )

        assert response.status_code == 302, response.context["adminform"].form.errors
        block = ContentBlock.objects.get(name="Spring")
        assert block.text == "<p>Tulips</p>"
        assert block.image.name.startswith("personalization/blocks/")
        assert list(block.include_segments.all()) == [dealers]

    def test_a_stored_banner_saves_again_without_a_new_upload(self, superuser, admin_client_for):
        client = admin_client_for(superuser)
        block = ContentBlockFactory(kind=ContentBlock.Kind.BANNER, image=image_upload(), priority=1)
        response = client.post(
            reverse("admin:personalization_contentblock_change", args=[block.pk]),
            {
                "name": block.name, "placement": block.placement, "kind": block.kind, "headline": "New",
                "text": "", "link_url": "", "priority": "4", "is_active": "on",
            },
        )

        assert response.status_code == 302, response.context["adminform"].form.errors
        block.refresh_from_db()
        assert (block.headline, block.priority, bool(block.image)) == ("New", 4, True)

    def test_a_banner_with_a_fake_image_is_refused(self, superuser, admin_client_for):
        client = admin_client_for(superuser)
        response = client.post(
            reverse("admin:personalization_contentblock_add"),
            {
                "name": "Bad", "placement": ContentBlock.Placement.HOME_HERO, "kind": ContentBlock.Kind.BANNER,
                "image": SimpleUploadedFile("x.png", b"not an image"), "priority": "0",
            },
        )

        assert response.status_code == 200
        assert "image" in response.context["adminform"].form.errors
        assert not ContentBlock.objects.exists()

    def test_changelist_queries_do_not_grow_with_blocks(self, superuser, admin_client_for):
        client = admin_client_for(superuser)
        url = reverse("admin:personalization_contentblock_changelist")
        segments = SegmentFactory.create_batch(3)

        def add(count):
            for _ in range(count):
                ContentBlockFactory(include_segments=segments[:2], exclude_segments=segments[2:])

        add(5)
        small = page_query_count(client, url)
        add(20)
        assert page_query_count(client, url) == small


class MenuItemAdminTests:
    def test_saving_keeps_the_tree_order(self, superuser, admin_client_for):
        client = admin_client_for(superuser)
        plants = MenuItemFactory(label="Plants", position=1)
        response = client.post(
            reverse("admin:personalization_menuitem_add"),
            {"parent": plants.pk, "position": "0", "label": "Indoor", "url": "/indoor/", "visibility": "everyone",
             "is_active": "on"},
        )

        assert response.status_code == 302
        assert list(MenuItem.objects.values_list("label", "depth")) == [("Plants", 0), ("Indoor", 1)]
        assert client.get(reverse("admin:personalization_menuitem_changelist")).status_code == 200

    def test_an_item_links_to_a_category_or_a_url(self, superuser, admin_client_for):
        client = admin_client_for(superuser)
        response = client.post(
            reverse("admin:personalization_menuitem_add"),
            {"position": "0", "label": "Nowhere", "url": "", "visibility": "everyone"},
        )

        assert response.status_code == 200
        assert "url" in response.context["adminform"].form.errors

    def test_include_segments_go_with_the_segments_visibility(self, superuser, admin_client_for):
        client = admin_client_for(superuser)
        segment = SegmentFactory()
        url = reverse("admin:personalization_menuitem_add")
        base = {"position": "0", "label": "Dealers", "url": "/dealers/"}

        mixed = client.post(url, {**base, "visibility": "everyone", "include_segments": [segment.pk]})
        empty = client.post(url, {**base, "visibility": "segments"})
        right = client.post(url, {**base, "visibility": "segments", "include_segments": [segment.pk]})

        assert "include_segments" in mixed.context["adminform"].form.errors
        assert "include_segments" in empty.context["adminform"].form.errors
        assert right.status_code == 302

    def test_an_item_cannot_move_below_its_own_child(self, superuser, admin_client_for):
        client = admin_client_for(superuser)
        parent = MenuItemFactory(label="Parent")
        child = MenuItemFactory(label="Child", parent=parent)
        response = client.post(
            reverse("admin:personalization_menuitem_change", args=[parent.pk]),
            {"parent": child.pk, "position": "0", "label": "Parent", "url": parent.url, "visibility": "everyone"},
        )

        assert response.status_code == 200
        assert "parent" in response.context["adminform"].form.errors


class RestrictionAdminTests:
    def test_pages_load_for_a_marketer(self, personalization_marketer, admin_client_for):
        client = admin_client_for(personalization_marketer)
        segment = SegmentFactory()
        category_restriction = CategoryRestrictionFactory(category=CategoryFactory(), include_segments=[segment])
        product_restriction = ProductRestrictionFactory(product=ProductFactory(), exclude_segments=[segment])
        for url in [
            reverse("admin:personalization_categoryrestriction_changelist"),
            reverse("admin:personalization_categoryrestriction_change", args=[category_restriction.pk]),
            reverse("admin:personalization_productrestriction_changelist"),
            reverse("admin:personalization_productrestriction_change", args=[product_restriction.pk]),
            reverse("admin:personalization_menuitem_changelist"),
        ]:
            assert client.get(url).status_code == 200, url
