"""The S3 image storage against moto's S3-compatible server, over real HTTP (boto3).

Directly, and with the shop's staff upload, page rendering, serving and deletion going
through it. moto[server] and boto3 are dev dependencies.
"""

from __future__ import annotations

import socket

import pytest
from sqlalchemy import select

from shop.catalog.models import ProductImage
from shop.storage import S3Storage, build_storage
from tests.conftest import csrf_token_for
from tests.factories import make_product, make_user
from tests.helpers import log_in
from tests.integration.test_storage import KEY, png, upload

moto_server = pytest.importorskip("moto.server", reason="moto[server] is a dev dependency")
BUCKET = "shop-images"


@pytest.fixture()
def staff(client, db):
    make_user("bucket@example.com", role="staff")
    db.session.commit()
    log_in(client, "bucket@example.com")
    return client


@pytest.fixture(scope="module")
def s3_endpoint():
    """A local S3-compatible server over HTTP, for the whole module."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture()
def s3(s3_endpoint, monkeypatch):
    """A fresh bucket, and an S3Storage built the way the configuration builds it."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "ap-south-1",
    }.items():
        monkeypatch.setenv(name, value)
    import boto3

    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="ap-south-1")
    client.create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "ap-south-1"}
    )
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def s3_config(endpoint: str, **extra) -> dict:
    return {
        "SHOP_STORAGE": "s3",
        "SHOP_S3_BUCKET": BUCKET,
        "SHOP_S3_ENDPOINT_URL": endpoint,
        "SHOP_S3_REGION": "ap-south-1",
        **extra,
    }


def test_s3_storage_saves_opens_and_deletes(app, s3, s3_endpoint):
    store = build_storage(s3_config(s3_endpoint, SHOP_S3_PREFIX="/products/"))
    assert isinstance(store, S3Storage)
    with app.test_request_context():
        store.save(KEY, b"image bytes", "image/png")
        head = s3.head_object(Bucket=BUCKET, Key=f"products/{KEY}")
        assert head["ContentType"] == "image/png"
        assert "immutable" in head["CacheControl"]
        assert store.open(KEY) == b"image bytes"
        assert store.url(KEY) == f"/uploads/{KEY}"  # no public URL: the shop serves it
        store.delete(KEY)
        assert store.open(KEY) is None
        with pytest.raises(ValueError):
            store.save("../x.png", b"x", "image/png")


def test_s3_urls_use_the_public_base(app, s3, s3_endpoint):
    config = s3_config(
        s3_endpoint, SHOP_S3_PUBLIC_URL="https://img.example.net/", SHOP_S3_PREFIX="p"
    )
    with app.test_request_context():
        assert build_storage(config).url(KEY) == f"https://img.example.net/p/{KEY}"


def test_staff_images_live_in_the_bucket(staff, db, app, s3, s3_endpoint, monkeypatch):
    store = build_storage(s3_config(s3_endpoint, SHOP_S3_PUBLIC_URL="https://img.example.net"))
    monkeypatch.setitem(app.extensions, "shop_storage", store)
    product = make_product("bucket-oil", image=False)
    db.session.commit()
    assert upload(staff, product.id, png(30, 20)).status_code == 303
    image = db.session.scalar(select(ProductImage))
    key = image.path.removeprefix("uploads/")
    stored = s3.get_object(Bucket=BUCKET, Key=key)
    assert stored["Body"].read() == png(30, 20) and stored["ContentType"] == "image/png"
    page = staff.get("/products/bucket-oil").get_data(as_text=True)
    assert f'src="https://img.example.net/{key}"' in page

    delete = f"/staff/products/{product.id}/images/{image.id}/delete"
    assert staff.post(delete, data={"csrf_token": csrf_token_for(staff)}).status_code == 303
    assert s3.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0


def test_without_a_public_url_the_shop_serves_from_the_bucket(
    client, db, app, s3, s3_endpoint, monkeypatch
):
    store = build_storage(s3_config(s3_endpoint))
    monkeypatch.setitem(app.extensions, "shop_storage", store)
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=png(), ContentType="image/png")
    response = client.get(f"/uploads/{KEY}")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.data == png()
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/uploads/ffffffffffffffffffffffffffffffff.png").status_code == 404
