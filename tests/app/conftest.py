import base64
import io
import shutil

import pytest
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import create_app
from model.export import export_model
from model.run import load_trained

ADMIN_TOKEN = "test-token"


@pytest.fixture(scope="session")
def model_bundle(pipeline, tmp_path_factory):
    """The pipeline's bundle with its exported model, as build-index writes it."""
    bundle = tmp_path_factory.mktemp("served") / "bundle"
    shutil.copytree(pipeline.bundle, bundle)
    if not (bundle / "model").exists():
        export_model(load_trained(pipeline.run), bundle / "model")
    return bundle


def make_client(bundle, **settings) -> TestClient:
    return TestClient(create_app(Settings(artifacts=bundle, **settings)))


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


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
