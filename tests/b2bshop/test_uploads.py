"""Uploaded images are checked for real content, format, size and pixel count, with a clear form error."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from b2bshop.uploads import validate_image_upload
from catalog.models import Product
from personalization.models import ContentBlock
from tests.catalog.factories import ProductFactory


def _image(name="photo.png", image_format="PNG", size=(40, 20)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, format=image_format)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{image_format.lower()}")


class ImageUploadValidationTests:
    @pytest.mark.parametrize("image_format", ["JPEG", "PNG", "GIF", "WEBP"])
    def test_web_formats_pass(self, image_format):
        validate_image_upload(_image(f"photo.{image_format.lower()}", image_format))

    def test_the_size_limit_is_a_setting(self, settings):
        upload = _image()
        settings.UPLOAD_IMAGE_MAX_BYTES = upload.size - 1
        with pytest.raises(ValidationError) as error:
            validate_image_upload(upload)
        assert error.value.code == "image_too_large"
        settings.UPLOAD_IMAGE_MAX_BYTES = upload.size
        validate_image_upload(upload)

    def test_the_error_names_the_limit(self, settings):
        settings.UPLOAD_IMAGE_MAX_BYTES = 2 * 1024 * 1024
        upload = _image()
        upload.size = 2 * 1024 * 1024 + 1
        with pytest.raises(ValidationError, match="larger than 2 MB"):
            validate_image_upload(upload)

    @pytest.mark.parametrize(
        "content", [b"<?php system($_GET['c']); ?>", b"%PDF-1.7 not an image", b"", b"\x89PNG\r\n\x1a\n truncated"]
    )
    def test_content_that_is_no_image_is_refused_whatever_the_name(self, content):
        with pytest.raises(ValidationError) as error:
            validate_image_upload(SimpleUploadedFile("photo.png", content, content_type="image/png"))
        assert error.value.code == "image_invalid"

    def test_an_image_format_outside_the_web_formats_is_refused(self):
        with pytest.raises(ValidationError) as error:
            validate_image_upload(_image("photo.png", "TIFF"))
        assert error.value.code == "image_format"

    def test_too_many_pixels_are_refused(self, settings):
        settings.UPLOAD_IMAGE_MAX_PIXELS = 40 * 20 - 1
        with pytest.raises(ValidationError) as error:
            validate_image_upload(_image(size=(40, 20)))
        assert error.value.code == "image_too_many_pixels"

    def test_a_decompression_bomb_is_refused(self, monkeypatch):
        # Pillow refuses to decode more than twice its MAX_IMAGE_PIXELS; lowered here instead of building a huge image.
        monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
        with pytest.raises(ValidationError) as error:
            validate_image_upload(_image(size=(40, 20)))
        assert error.value.code == "image_too_many_pixels"

    def test_the_file_position_is_kept_for_storage(self):
        upload = _image()
        validate_image_upload(upload)
        assert upload.tell() == 0
        assert upload.read(8) == b"\x89PNG\r\n\x1a\n"


@pytest.mark.django_db
class UploadFormTests:
    def test_a_product_image_that_is_no_image_is_a_form_error(self, superuser, admin_client_for):
        product = ProductFactory()
        response = admin_client_for(superuser).post(
            reverse("admin:catalog_product_change", args=[product.pk]),
            {"description": "", "image": SimpleUploadedFile("rose.jpg", b"MZ\x90\x00 executable")},
        )
        assert response.status_code == 200
        assert response.context["adminform"].form.errors["image"]
        assert not Product.objects.get(pk=product.pk).image

    def test_a_product_image_in_another_format_is_a_form_error(self, superuser, admin_client_for):
        product = ProductFactory()
        response = admin_client_for(superuser).post(
            reverse("admin:catalog_product_change", args=[product.pk]),
            {"description": "", "image": _image("rose.tiff", "TIFF")},
        )
        assert response.status_code == 200
        assert response.context["adminform"].form.errors["image"] == ["Upload a JPEG, PNG, GIF or WebP image (got TIFF)."]
        assert not Product.objects.get(pk=product.pk).image

    def test_a_product_image_that_is_an_image_is_stored(self, superuser, admin_client_for):
        product = ProductFactory()
        response = admin_client_for(superuser).post(
            reverse("admin:catalog_product_change", args=[product.pk]), {"description": "", "image": _image("rose.png")}
        )
        assert response.status_code == 302
        assert Product.objects.get(pk=product.pk).image.name.startswith("products/")

    def test_a_too_large_banner_is_a_form_error(self, superuser, admin_client_for, settings):
        settings.UPLOAD_IMAGE_MAX_BYTES = 1024
        buffer = io.BytesIO()
        Image.effect_noise((100, 100), 64).convert("RGB").save(buffer, format="PNG")  # noise: does not compress
        assert len(buffer.getvalue()) > 1024
        response = admin_client_for(superuser).post(
            reverse("admin:personalization_contentblock_add"),
            {
                "name": "Big", "placement": ContentBlock.Placement.HOME_HERO, "kind": ContentBlock.Kind.BANNER,
                "image": SimpleUploadedFile("hero.png", buffer.getvalue()), "priority": "0",
            },
        )
        assert response.status_code == 200
        assert response.context["adminform"].form.errors["image"] == ["The image is larger than 1 KB."]
        assert not ContentBlock.objects.exists()
