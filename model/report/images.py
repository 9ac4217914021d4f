"""Item pictures as small JPEG data URIs, so the report is one file that opens anywhere."""

from __future__ import annotations

import base64
import io
from pathlib import Path

from PIL import Image, ImageDraw, UnidentifiedImageError


def data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


class Thumbnails:
    """Encodes each item image once, however many sections show it."""

    def __init__(self, images_dir: Path, size: int, quality: int):
        self.images_dir, self.size, self.quality = Path(images_dir), size, quality
        self._uris: dict[str, str] = {}

    def __call__(self, item_id: str) -> str:
        if item_id not in self._uris:
            self._uris[item_id] = data_uri(self._encode(item_id), "image/jpeg")
        return self._uris[item_id]

    def _encode(self, item_id: str) -> bytes:
        try:
            with Image.open(self.images_dir / f"{item_id}.jpg") as img:
                img.draft("RGB", (self.size, self.size))  # JPEG: decode at a reduced scale
                thumb = img.convert("RGB")
                thumb.thumbnail((self.size, self.size), Image.Resampling.LANCZOS)
        except (OSError, UnidentifiedImageError, Image.DecompressionBombError):
            # a missing or broken image should not cost the whole report its gallery
            thumb = self._placeholder()
        out = io.BytesIO()
        thumb.save(out, format="JPEG", quality=self.quality, optimize=True)
        return out.getvalue()

    def _placeholder(self) -> Image.Image:
        img = Image.new("RGB", (self.size, self.size), (236, 236, 236))
        ImageDraw.Draw(img).text((8, self.size // 2 - 6), "no image", fill=(120, 120, 120))
        return img
