import base64
import io
import shutil
import struct
import zlib

import pytest
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import create_app
from index.bundle import MODEL_FOLDER

ADMIN_TOKEN = "test-token"


@pytest.fixture(scope="session")
def model_bundle(pipeline, tmp_path_factory):
    """A copy of the pipeline's bundle (build-index exports the model into it), which tests
    may change without touching the shared one."""
    bundle = tmp_path_factory.mktemp("served") / "bundle"
    shutil.copytree(pipeline.bundle, bundle)
    assert (bundle / MODEL_FOLDER / "model.json").is_file()
    return bundle


def make_client(bundle, **settings) -> TestClient:
    return TestClient(create_app(Settings(artifacts=bundle, **settings)))


@pytest.fixture(scope="module")
def client(pipeline):
    """A service over the session's bundle, one per test module."""
    with make_client(pipeline.bundle) as c:
        yield c


@pytest.fixture(scope="module")
def upload_client(model_bundle, pipeline):
    with make_client(model_bundle, images_dir=pipeline.data / "images",
                     admin_token=ADMIN_TOKEN) as c:
        yield c


def image_bytes(path, fmt="PNG") -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.open(path).save(out, fmt)
    return out.getvalue()


def new_image(size, fmt="PNG", color=(255, 255, 255)) -> bytes:
    """A plain image of `size` encoded as `fmt`."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt)
    return out.getvalue()


def png_bomb(width: int, height: int) -> bytes:
    """A PNG whose header declares width x height RGB pixels in a few hundred bytes: one
    zlib stream of zeros, so decoding it would allocate the declared size."""
    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (struct.pack(">I", len(payload)) + kind + payload
                + struct.pack(">I", zlib.crc32(kind + payload)))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\0" * (1 << 16), 9)) + chunk(b"IEND", b""))


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
