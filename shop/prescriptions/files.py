"""A prescription upload: checked by its content, kept in the private storage area.

The shopper's file name and declared type are ignored: a PDF must start with `%PDF-`
and end with an `%%EOF` marker, an image must be a PNG or JPEG that Pillow recognises,
verifies and decodes completely within the pixel limit (a decompression bomb is
refused before it is decoded). The file is stored under a random key such as
`9c…e1.pdf`; nothing about it is ever served from a public URL.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select

from shop.errors import ShopError
from shop.extensions import db
from shop.prescriptions.models import Prescription
from shop.staff.products.images import inspect_image
from shop.storage import PRIVATE_TYPES, private_storage

MAX_BYTES = 5 * 1024 * 1024
FIELD = "prescription"


@dataclass(frozen=True)
class CheckedUpload:
    data: bytes
    extension: str  # ".pdf", ".png" or ".jpg"

    @property
    def content_type(self) -> str:
        return PRIVATE_TYPES[self.extension]


def _looks_like_pdf(data: bytes) -> bool:
    return data.startswith(b"%PDF-") and b"%%EOF" in data[-2048:]


def check_upload(upload) -> CheckedUpload:
    """The checked file from a request's `prescription` field; ShopError (4xx) otherwise."""
    if upload is None or not getattr(upload, "filename", ""):
        raise ShopError(
            422, "Your cart holds a prescription medicine: upload your prescription to continue."
        )
    data = upload.stream.read(MAX_BYTES + 1)
    if not data:
        raise ShopError(422, "The prescription file is empty. Choose the scan or photo again.")
    if len(data) > MAX_BYTES:
        raise ShopError(413, "The prescription file is larger than 5 MB; upload a smaller scan.")
    if _looks_like_pdf(data):
        return CheckedUpload(data, ".pdf")
    try:
        extension, _, _ = inspect_image(data)
    except ValueError:
        extension = None
    if extension not in (".png", ".jpg"):
        raise ShopError(
            422, "The prescription must be a PDF, JPEG or PNG file we can open (up to 5 MB)."
        )
    return CheckedUpload(data, extension)


@dataclass(frozen=True)
class StoredUpload:
    key: str
    content_type: str
    size: int


def store(upload: CheckedUpload) -> StoredUpload:
    """Keep the file in the private area under a new random key.

    Stored before the order's transaction commits; whoever stores it removes it again
    (`remove`) when that transaction fails, so no row points at a missing file.
    """
    key = secrets.token_hex(16) + upload.extension
    private_storage().save(key, upload.data, upload.content_type)
    return StoredUpload(key, upload.content_type, len(upload.data))


def attach(order_id: int, stored: StoredUpload) -> None:
    """Record the stored file as the order's prescription (the caller commits)."""
    db.session.add(
        Prescription(
            order_id=order_id,
            storage_key=stored.key,
            content_type=stored.content_type,
            size=stored.size,
            reason="",
        )
    )
    db.session.flush()


def read(key: str) -> bytes | None:
    return private_storage().open(key)


def remove(key: str) -> None:
    private_storage().delete(key)


def prescription_of(order_id: int) -> Prescription | None:
    return db.session.scalar(select(Prescription).where(Prescription.order_id == order_id))
