"""Where uploaded files (product images) live: local disk by default, or S3-compatible.

Every app server must see the same files, so the interface is four operations on a
flat key ("3f…a1.png"): `save`, `open`, `url`, `delete`. The database stores
`uploads/<key>`; templates ask `image_url`, which asks the storage for the URL.

- Local (default): files under `<instance>/uploads/`, served by the shop at
  `/uploads/<key>`. Fine for one server, or several sharing that folder.
- S3-compatible (`SHOP_STORAGE=s3`): objects in `SHOP_S3_BUCKET` (optionally under
  `SHOP_S3_PREFIX`), at `SHOP_S3_ENDPOINT_URL` (empty: AWS) in `SHOP_S3_REGION`, with the
  usual AWS credentials from the environment; browsers load them from
  `SHOP_S3_PUBLIC_URL` + key (a CDN or the bucket's public address), or, without it,
  from `/uploads/<key>`, which the shop then reads from the bucket.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Protocol

from flask import current_app, url_for

PREFIX = "uploads/"
KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*\.[a-z0-9]{1,5}$")  # no folders, no dot files
CONTENT_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
}


class Storage(Protocol):
    def save(self, key: str, data: bytes, content_type: str) -> None: ...
    def open(self, key: str) -> bytes | None: ...
    def url(self, key: str) -> str: ...
    def delete(self, key: str) -> None: ...


def valid_key(key: str, types=CONTENT_TYPES) -> bool:
    return bool(KEY_RE.fullmatch(key)) and Path(key).suffix.lower() in types


class LocalStorage:
    """Files in one folder on this machine (or a folder every app server mounts)."""

    def __init__(
        self, folder: str | Path | None = None, *, default: str = "uploads", types=CONTENT_TYPES
    ) -> None:
        self._folder = Path(folder) if folder else None
        self._default = default
        self.types = types

    @property
    def folder(self) -> Path:
        """The configured folder, or this app's `instance/uploads`."""
        return self._folder or Path(current_app.instance_path) / self._default

    def _path(self, key: str) -> Path:
        if not valid_key(key, self.types):
            raise ValueError(f"not an upload key: {key!r}")
        return self.folder / key

    def save(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        self.folder.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def open(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, ValueError):
            return None

    def url(self, key: str) -> str:
        return url_for("catalog.upload", filename=key)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


class S3Storage:
    """Objects in an S3-compatible bucket (AWS S3, MinIO, R2, …), through boto3."""

    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
        public_url: str | None = None,
        client=None,
        types=CONTENT_TYPES,
        private: bool = False,
    ) -> None:
        if client is None:
            import boto3  # only needed when this backend is configured

            client = boto3.client("s3", endpoint_url=endpoint_url or None, region_name=region)
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.public_url = "" if private else (public_url or "").rstrip("/")
        self.types = types
        self.private = private

    def _name(self, key: str) -> str:
        if not valid_key(key, self.types):
            raise ValueError(f"not an upload key: {key!r}")
        return self.prefix + key

    def save(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(
            Bucket=self.bucket,
            Key=self._name(key),
            Body=data,
            ContentType=content_type,
            # keys are never reused; private files are never cached on the way
            CacheControl="private, no-store"
            if self.private
            else "public, max-age=604800, immutable",
            **({"ACL": "private"} if self.private else {}),
        )

    def open(self, key: str) -> bytes | None:
        from botocore.exceptions import ClientError

        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._name(key))
        except ValueError:
            return None
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise
        return response["Body"].read()

    def url(self, key: str) -> str:
        if self.public_url:
            return f"{self.public_url}/{self._name(key)}"
        return url_for("catalog.upload", filename=key)

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))


def build_storage(config) -> Storage:
    """The storage the configuration names (SHOP_STORAGE: local or s3)."""
    kind = config.get("SHOP_STORAGE", "local")
    if kind == "s3":
        return S3Storage(
            config["SHOP_S3_BUCKET"],
            prefix=config.get("SHOP_S3_PREFIX") or "",
            endpoint_url=config.get("SHOP_S3_ENDPOINT_URL"),
            region=config.get("SHOP_S3_REGION"),
            public_url=config.get("SHOP_S3_PUBLIC_URL"),
        )
    return LocalStorage(config.get("SHOP_UPLOADS_FOLDER"))


PRIVATE_TYPES = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg"}


def build_private_storage(config) -> Storage:
    """Where files only the shop may hand out live (prescriptions): never a public folder.

    Local: `SHOP_PRIVATE_UPLOADS_FOLDER` (default `instance/private`), outside the
    `/uploads/` route. S3: the same bucket under `SHOP_S3_PRIVATE_PREFIX` (default
    `private`), written with a private ACL and never given a public URL.
    """
    if config.get("SHOP_STORAGE", "local") == "s3":
        return S3Storage(
            config["SHOP_S3_BUCKET"],
            prefix=config.get("SHOP_S3_PRIVATE_PREFIX") or "private",
            endpoint_url=config.get("SHOP_S3_ENDPOINT_URL"),
            region=config.get("SHOP_S3_REGION"),
            types=PRIVATE_TYPES,
            private=True,
        )
    return LocalStorage(
        config.get("SHOP_PRIVATE_UPLOADS_FOLDER"), default="private", types=PRIVATE_TYPES
    )


def private_storage() -> Storage:
    """This app's private storage area, built on first use."""
    app = current_app._get_current_object()
    store = app.extensions.get("shop_private_storage")
    if store is None:
        store = app.extensions["shop_private_storage"] = build_private_storage(app.config)
    return store


def storage() -> Storage:
    """This app's storage, built on first use."""
    app = current_app._get_current_object()
    store = app.extensions.get("shop_storage")
    if store is None:
        store = app.extensions["shop_storage"] = build_storage(app.config)
    return store


def upload_key(path: str) -> str | None:
    """The storage key of a stored image path ("uploads/<key>"), None for static art."""
    return path.removeprefix(PREFIX) if path.startswith(PREFIX) else None


def image_url(image) -> str:
    """Where a ProductImage is served: uploads from the storage, demo art from static/."""
    key = upload_key(image.path)
    if key is not None:
        return storage().url(key)
    return url_for("static", filename=image.path)
