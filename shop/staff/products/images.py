"""Back office: a product's images, checked by their content and kept in the storage."""

from __future__ import annotations

import io
import secrets
import struct
import warnings

from flask import abort, flash, redirect, url_for
from PIL import Image
from sqlalchemy.exc import SQLAlchemyError

from shop.catalog.models import Product, ProductImage
from shop.extensions import db
from shop.staff.audit import audit, snapshot
from shop.staff.base import bp, get_or_404
from shop.staff.fields import add_error
from shop.staff.products.forms import ImageForm
from shop.staff.products.views import product_page
from shop.storage import CONTENT_TYPES, PREFIX, storage, upload_key

MAX_IMAGE_BYTES = 2 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000
IMAGE_EXTENSIONS = {"PNG": ".png", "JPEG": ".jpg", "WEBP": ".webp"}
# Pillow reports a damaged or hostile file through many exception types; each means the
# upload is not an image we can use.
_BAD_IMAGE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    TypeError,
    struct.error,
    Image.DecompressionBombError,
    Image.DecompressionBombWarning,
)


def inspect_image(data: bytes) -> tuple[str, int, int]:
    """Return (file extension, width, height) of a PNG, JPEG or WebP; ValueError otherwise.

    The type comes from the content, not the file name: Pillow must recognise the bytes
    as one of these formats, verify them and decode them completely.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(IMAGE_EXTENSIONS)) as image:
                kind, (width, height) = image.format, image.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise ValueError("too many pixels")
                image.verify()
            with Image.open(io.BytesIO(data), formats=[kind]) as image:
                image.load()
    except _BAD_IMAGE_ERRORS as error:
        raise ValueError("That file is not a PNG, JPEG or WebP image we can read.") from error
    return IMAGE_EXTENSIONS[kind], width, height


def _read_upload(form: ImageForm) -> tuple[bytes, str, int, int] | int:
    """The checked image (data, extension, width, height), or the status refusing it."""
    upload = form.image.data
    if upload is None or not getattr(upload, "filename", ""):
        add_error(form.image, "Choose an image file to upload.")
        return 422
    data = upload.stream.read(MAX_IMAGE_BYTES + 1)
    if len(data) > MAX_IMAGE_BYTES:
        add_error(form.image, "That image is larger than 2 MB; make it smaller and try again.")
        return 413
    try:
        extension, width, height = inspect_image(data)
    except ValueError as error:
        add_error(form.image, str(error))
        return 422
    return data, extension, width, height


def _add_image(product: Product, key: str, alt: str, width: int, height: int) -> None:
    image = ProductImage(
        path=PREFIX + key,
        alt=alt or product.name,
        width=width,
        height=height,
        position=max((i.position for i in product.images), default=-1) + 1,
    )
    product.images.append(image)
    db.session.flush()
    audit(
        "create",
        "product_image",
        image.id,
        after=snapshot(image),
        summary=f"Added an image ({width}×{height}) to {product.slug}",
    )


@bp.post("/products/<int:product_id>/images")
def product_image_upload(product_id: int):
    product = get_or_404(Product, product_id)
    form = ImageForm()
    if not form.validate_on_submit():
        return product_page(product, image_form=form, status=422)
    checked = _read_upload(form)
    if isinstance(checked, int):
        return product_page(product, image_form=form, status=checked)
    data, extension, width, height = checked
    key = secrets.token_hex(16) + extension
    # The file is stored first and removed again if the row cannot be committed, so a
    # committed row never points at a missing file.
    storage().save(key, data, CONTENT_TYPES[extension])
    try:
        _add_image(product, key, form.alt.data, width, height)
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        storage().delete(key)
        raise
    flash("Image added.", "success")
    return redirect(url_for("staff.product_edit", product_id=product.id) + "#images", 303)


@bp.post("/products/<int:product_id>/images/<int:image_id>/delete")
def product_image_delete(product_id: int, image_id: int):
    product = get_or_404(Product, product_id)
    image = get_or_404(ProductImage, image_id)
    if image.product_id != product.id:
        abort(404, description="This product has no such image.")
    before = snapshot(image)
    product.images.remove(image)
    db.session.flush()
    audit(
        "delete",
        "product_image",
        image_id,
        before=before,
        summary=f"Removed an image from {product.slug}",
    )
    db.session.commit()
    key = upload_key(before["path"])
    if key:
        storage().delete(key)
    flash("Image removed.", "success")
    return redirect(url_for("staff.product_edit", product_id=product.id) + "#images", 303)
