import base64
import io

from PIL import Image

from model.report.images import Thumbnails
from model.report.render import environment


def _decode(uri: str) -> Image.Image:
    head, payload = uri.split(",", 1)
    assert head == "data:image/jpeg;base64"
    return Image.open(io.BytesIO(base64.b64decode(payload)))


def test_thumbnails_keep_the_aspect_and_stand_in_for_a_missing_image(tmp_path):
    Image.new("RGB", (300, 150), (200, 10, 10)).save(tmp_path / "a.jpg")
    thumbs = Thumbnails(tmp_path, size=64, quality=80)
    img = _decode(thumbs("a"))
    assert img.size == (64, 32)
    r, g, b = img.convert("RGB").getpixel((32, 16))
    assert r > 150 and g < 60 and b < 60
    assert thumbs("a") is thumbs("a")  # encoded once
    assert _decode(thumbs("missing")).size == (64, 64)


def test_the_template_escapes_dataset_text():
    out = environment().from_string("{{ title }}").render(title='<script>x</script>"')
    assert out == "&lt;script&gt;x&lt;/script&gt;&#34;"
