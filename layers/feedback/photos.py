"""Citizen photos: recognise the real type from the bytes, enforce limits, re-encode.

Nothing of the upload is kept: the pixels are decoded, turned upright by their EXIF
orientation, and encoded again as a fresh JPEG, which carries no EXIF (GPS position,
phone model, serial numbers) and no other metadata. File names and declared content
types are ignored. The dimensions are read from the header and checked before any pixel
is decoded, so a small file that expands into gigabytes (a decompression bomb) is refused
cheaply.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

import pillow_heif
from PIL import Image, ImageOps, UnidentifiedImageError

from layers.errors import InvalidInput

pillow_heif.register_heif_opener()

MAX_PHOTOS = 5
MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
#: Stored photos are at most this long on their longer edge (phones send 4000+ px).
MAX_EDGE = 2560
THUMB_EDGE = 320
ACCEPTED = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP", "HEIF": "HEIC/HEIF"}
MEDIA_TYPE = "image/jpeg"


@dataclass(frozen=True)
class ProcessedPhoto:
    full: bytes
    thumb: bytes
    width: int
    height: int
    upload_sha256: str
    media_type: str = MEDIA_TYPE


def _refuse(code: str, vi: str, en: str, index: int, **extra: object) -> InvalidInput:
    return InvalidInput(f"Ảnh số {index + 1}: {vi} / photo {index + 1}: {en}", code=code,
                        photo=index + 1, **extra)


def check_count(count: int) -> None:
    if count > MAX_PHOTOS:
        raise InvalidInput(f"Tối đa {MAX_PHOTOS} ảnh / at most {MAX_PHOTOS} photos",
                           code="too_many_photos", limit=MAX_PHOTOS)


def process_photo(data: bytes, index: int = 0) -> ProcessedPhoto:
    """Validate one upload and return the cleaned full-size JPEG and its thumbnail."""
    if not data:
        raise _refuse("photo_empty", "tệp rỗng", "empty file", index)
    if len(data) > MAX_BYTES:
        raise _refuse("photo_too_large", f"quá {MAX_BYTES // (1024 * 1024)} MB",
                      f"larger than {MAX_BYTES // (1024 * 1024)} MB", index, limit_bytes=MAX_BYTES)
    unsupported = _refuse("photo_unsupported_type", "không phải ảnh JPEG, PNG, WebP hoặc HEIC",
                          "not a JPEG, PNG, WebP or HEIC image", index, accepted=sorted(ACCEPTED.values()))
    too_big = _refuse("photo_too_many_pixels", f"quá {MAX_PIXELS // 1_000_000} megapixel",
                      f"more than {MAX_PIXELS // 1_000_000} megapixels", index, limit_pixels=MAX_PIXELS)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise too_big from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
            raise unsupported from None
        if image.format not in ACCEPTED:
            raise unsupported
        width, height = image.size
        if width < 1 or height < 1 or width * height > MAX_PIXELS:
            raise too_big
        try:
            image.load()
            upright = ImageOps.exif_transpose(image) or image
            full, thumb, size = _encode(upright)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise too_big from None
        except (OSError, ValueError, SyntaxError, EOFError, KeyError, IndexError, ZeroDivisionError,
                TypeError, MemoryError):
            raise _refuse("photo_corrupt", "ảnh hỏng hoặc bị cắt cụt", "damaged or truncated image",
                          index) from None
    return ProcessedPhoto(full=full, thumb=thumb, width=size[0], height=size[1],
                          upload_sha256=hashlib.sha256(data).hexdigest())


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on white: JPEG has no transparency, and palettes/16-bit modes must be converted."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _encode(image: Image.Image) -> tuple[bytes, bytes, tuple[int, int]]:
    clean = _flatten(image)
    clean.thumbnail((MAX_EDGE, MAX_EDGE), Image.Resampling.LANCZOS)
    full = io.BytesIO()
    # No exif=/icc_profile= arguments: Pillow then writes no metadata at all.
    clean.save(full, "JPEG", quality=85, optimize=True, progressive=True)
    small = clean.copy()
    small.thumbnail((THUMB_EDGE, THUMB_EDGE), Image.Resampling.LANCZOS)
    thumb = io.BytesIO()
    small.save(thumb, "JPEG", quality=75, optimize=True)
    return full.getvalue(), thumb.getvalue(), clean.size
