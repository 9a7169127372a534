"""Checks for uploaded images (content block banners, product images).

An upload must really be an image (Pillow opens and verifies it, whatever its name or
declared type says), in one of the web formats, at most `UPLOAD_IMAGE_MAX_BYTES` large
and `UPLOAD_IMAGE_MAX_PIXELS` in area (a small file can decode to a huge bitmap).
"""

from __future__ import annotations

import warnings

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File

WEB_IMAGE_FORMATS = frozenset({"JPEG", "PNG", "GIF", "WEBP"})


def _readable_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):g} MB"
    return f"{size / 1024:g} KB"


def validate_image_upload(file: File) -> None:
    """Raise ValidationError (field error in forms) unless `file` is an acceptable web image.

    Only new uploads are checked: an image already stored passed this check when it was uploaded.
    """
    from PIL import Image, UnidentifiedImageError

    if getattr(file, "_committed", False):
        return
    max_bytes = settings.UPLOAD_IMAGE_MAX_BYTES
    if file.size is not None and file.size > max_bytes:
        raise ValidationError(
            "The image is larger than %(limit)s.", code="image_too_large", params={"limit": _readable_size(max_bytes)}
        )
    position = file.tell() if hasattr(file, "tell") else 0
    try:
        file.seek(0)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(file) as image:
                image_format, (width, height) = image.format, image.size
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ValidationError("The image has too many pixels.", code="image_too_many_pixels") from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise ValidationError("The file is not an image Pillow can read.", code="image_invalid") from error
    finally:
        file.seek(position)
    if image_format not in WEB_IMAGE_FORMATS:
        raise ValidationError(
            "Upload a JPEG, PNG, GIF or WebP image (got %(format)s).", code="image_format", params={"format": image_format}
        )
    if width * height > settings.UPLOAD_IMAGE_MAX_PIXELS:
        raise ValidationError("The image has too many pixels.", code="image_too_many_pixels")
