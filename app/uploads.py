"""Uploaded images: bytes in, a decoded PIL image out, or a 413/422 that says the limit.

The pixel limit is checked on the header's size before any pixel is decoded, so a small file
that declares a huge image (a decompression bomb) costs nothing.
"""

from __future__ import annotations

import base64
import binascii
import io
import warnings

from PIL import Image, UnidentifiedImageError

from app.core.config import Settings
from app.errors import InvalidImage, TooLarge

FORMATS = ("JPEG", "PNG", "WEBP")


def base64_bytes(text: str, settings: Settings, what: str) -> bytes:
    if text.startswith("data:"):  # a data URL, as a browser's FileReader gives it
        text = text.partition(",")[2]
    # 4 base64 characters per 3 bytes: refuse before allocating the decoded copy
    if len(text) > (settings.max_image_bytes + 2) // 3 * 4 + 4:
        raise TooLarge(f"{what}: the image is larger than {settings.max_image_bytes} bytes")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidImage(f"{what}: image_base64 is not valid base64") from None


def decode_image(data: bytes, settings: Settings, what: str) -> Image.Image:
    if len(data) > settings.max_image_bytes:
        raise TooLarge(f"{what}: the image is {len(data)} bytes, the limit is "
                       f"{settings.max_image_bytes}")
    if not data:
        raise InvalidImage(f"{what}: the image is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # PIL's own guard, on the header's size, fired before ours could
        raise TooLarge(f"{what}: the image declares more pixels than the limit of "
                       f"{settings.max_image_pixels} pixels") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise InvalidImage(f"{what}: not a readable JPEG, PNG or WebP image") from None
    width, height = image.size
    if width * height > settings.max_image_pixels:
        raise TooLarge(f"{what}: the image is {width}x{height} pixels, the limit is "
                       f"{settings.max_image_pixels} pixels")
    if width < 1 or height < 1:
        raise InvalidImage(f"{what}: the image has no pixels")
    if max(width, height) > settings.max_aspect_ratio * min(width, height):
        raise InvalidImage(f"{what}: the image is {width}x{height} pixels, longer than "
                           f"{settings.max_aspect_ratio:g} to 1 (LOOKBOOK_MAX_ASPECT_RATIO); "
                           "crop it to the product")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning, EOFError):
        raise InvalidImage(f"{what}: the image is truncated or corrupt") from None
    return image
