"""Uploaded images through the storage interface (issue 17 #15): keys, config, local disk.

The S3 backend has its own module, `test_storage_s3.py`.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import select

from shop import create_app
from shop.catalog.models import ProductImage
from shop.config import ConfigError
from shop.security import content_security_policy, image_origin
from shop.storage import LocalStorage, build_storage, storage, valid_key
from tests.conftest import csrf_token_for
from tests.factories import make_product, make_user
from tests.helpers import log_in

KEY = "0123456789abcdef0123456789abcdef.png"


def png(width: int = 12, height: int = 8) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 90, 30)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture()
def staff(client, db):
    make_user("images@example.com", role="staff")
    db.session.commit()
    log_in(client, "images@example.com")
    return client


def upload(client, product_id: int, data: bytes):
    return client.post(
        f"/staff/products/{product_id}/images",
        data={"csrf_token": csrf_token_for(client), "image": (io.BytesIO(data), "p.png")},
        content_type="multipart/form-data",
    )


# --- keys and configuration -----------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    ["../secret.png", "a/b.png", ".hidden.png", "x.exe", "x.svg", "x", "", "x.PNG", "a b.png"],
)
def test_only_flat_image_keys_are_valid(key):
    assert not valid_key(key)


def test_generated_keys_are_valid():
    assert valid_key(KEY) and valid_key("abc.webp") and valid_key("abc.jpg")


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"SHOP_STORAGE": "s3"}, "SHOP_S3_BUCKET is required"),
        ({"SHOP_STORAGE": "ftp"}, "SHOP_STORAGE must be local or s3"),
    ],
)
def test_a_storage_that_cannot_work_refuses_to_start(settings, message):
    with pytest.raises(ConfigError, match=message):
        create_app({"TESTING": True, **settings})


def test_the_csp_allows_the_public_image_origin_only_with_s3():
    s3 = {"SHOP_STORAGE": "s3", "SHOP_S3_PUBLIC_URL": "https://img.example.net/shop/"}
    assert image_origin(s3) == "https://img.example.net"
    assert image_origin({"SHOP_STORAGE": "local", "SHOP_S3_PUBLIC_URL": "https://x.y"}) is None
    policy = content_security_policy("https://checkout.example", image_origin(s3))
    assert "img-src 'self' data: https://img.example.net;" in policy


# --- local disk -------------------------------------------------------------------------------


def test_local_storage_saves_opens_and_deletes(app, tmp_path):
    store = LocalStorage(tmp_path / "files")
    with app.test_request_context():
        store.save(KEY, b"bytes", "image/png")
        assert (tmp_path / "files" / KEY).read_bytes() == b"bytes"
        assert store.open(KEY) == b"bytes"
        assert store.url(KEY) == f"/uploads/{KEY}"
        store.delete(KEY)
        assert store.open(KEY) is None
        store.delete(KEY)  # deleting twice is fine
        with pytest.raises(ValueError):
            store.save("../escape.png", b"x", "image/png")
        assert store.open("../escape.png") is None


def test_the_local_folder_defaults_to_the_instance_folder(app):
    with app.test_request_context():
        assert isinstance(storage(), LocalStorage)
        assert storage().folder == app.instance_path + "/uploads" or str(storage().folder) == str(
            app.instance_path + "/uploads"
        )


def test_the_uploads_folder_comes_from_the_configuration(app, tmp_path):
    with app.test_request_context():
        store = build_storage({"SHOP_STORAGE": "local", "SHOP_UPLOADS_FOLDER": str(tmp_path)})
        assert isinstance(store, LocalStorage) and store.folder == tmp_path


@pytest.fixture()
def local(app, tmp_path, monkeypatch):
    store = LocalStorage(tmp_path)
    monkeypatch.setitem(app.extensions, "shop_storage", store)
    return store


def test_served_uploads_are_images_only_and_never_sniffed(client, db, local):
    with client.application.test_request_context():
        local.save(KEY, png(), "image/png")
    response = client.get(f"/uploads/{KEY}")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.data == png()
    for bad in ("missing0.png", "..%2Fshop.sqlite3", ".env", "x.html", "x.svg"):
        assert client.get(f"/uploads/{bad}").status_code == 404, bad


def test_staff_uploads_go_through_the_configured_storage(staff, db, local, tmp_path):
    product = make_product(image=False)
    db.session.commit()
    assert upload(staff, product.id, png()).status_code == 303
    image = db.session.scalar(select(ProductImage))
    key = image.path.removeprefix("uploads/")
    assert (tmp_path / key).read_bytes() == png()
    delete = f"/staff/products/{product.id}/images/{image.id}/delete"
    assert staff.post(delete, data={"csrf_token": csrf_token_for(staff)}).status_code == 303
    assert not (tmp_path / key).exists()
