import io
import zlib

import pytest
from PIL import Image

from layers.errors import InvalidInput
from layers.feedback import photos
from tests.layers.feedback.helpers import gps_exif, image_bytes


def _open(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_a_jpeg_is_reencoded_without_gps_or_device_exif():
    original = image_bytes("JPEG", exif=gps_exif())
    assert b"SecretPhoneMaker" in original and len(_open(original).getexif().get_ifd(0x8825)) > 0
    out = photos.process_photo(original)
    assert b"SecretPhoneMaker" not in out.full and b"SecretPhoneMaker" not in out.thumb
    for data in (out.full, out.thumb):
        image = _open(data)
        assert image.format == "JPEG"
        assert len(image.getexif()) == 0
        assert "exif" not in image.info


def test_the_exif_orientation_is_applied_before_it_is_dropped():
    out = photos.process_photo(image_bytes("JPEG", size=(80, 40), exif=gps_exif(orientation=6)))
    assert (out.width, out.height) == (40, 80)
    assert _open(out.full).size == (40, 80)


@pytest.mark.parametrize("fmt, mode, color", [
    ("PNG", "RGBA", (0, 0, 255, 0)),
    ("PNG", "P", 3),
    ("WEBP", "RGB", (0, 200, 0)),
    ("HEIF", "RGB", (10, 20, 30)),
])
def test_png_webp_and_heic_become_jpeg(fmt, mode, color):
    out = photos.process_photo(image_bytes(fmt, mode=mode, color=color))
    assert _open(out.full).format == "JPEG" and out.media_type == "image/jpeg"


def test_transparent_pixels_become_white():
    out = photos.process_photo(image_bytes("PNG", mode="RGBA", color=(0, 0, 0, 0)))
    r, g, b = _open(out.full).convert("RGB").getpixel((5, 5))
    assert min(r, g, b) > 240


def test_big_photos_are_downscaled_and_get_a_small_thumbnail():
    out = photos.process_photo(image_bytes("JPEG", size=(4000, 3000)))
    assert (out.width, out.height) == (2560, 1920)
    assert max(_open(out.thumb).size) == photos.THUMB_EDGE
    assert out.upload_sha256 and len(out.upload_sha256) == 64


def _code(data: bytes) -> str:
    with pytest.raises(InvalidInput) as err:
        photos.process_photo(data, index=2)
    assert err.value.extra["photo"] == 3
    assert "Ảnh số 3" in err.value.message and "photo 3" in err.value.message
    return err.value.code


def test_a_text_file_named_jpg_is_refused():
    assert _code(b"this is not an image, whatever its name says\n" * 10) == "photo_unsupported_type"


def test_a_gif_is_not_an_accepted_type():
    assert _code(image_bytes("GIF", mode="P", color=1)) == "photo_unsupported_type"


def test_a_truncated_jpeg_is_refused():
    data = image_bytes("JPEG", size=(400, 300), color=(10, 120, 200))
    assert _code(data[: len(data) // 2]) == "photo_corrupt"


def test_an_empty_file_is_refused():
    assert _code(b"") == "photo_empty"


def test_a_file_over_10_mb_is_refused_before_decoding():
    assert _code(b"\xff\xd8\xff" + b"\0" * photos.MAX_BYTES) == "photo_too_large"


def _png_bomb(width: int, height: int) -> bytes:
    """A tiny PNG declaring a huge all-black image (a decompression bomb)."""
    import struct

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    row = b"\0" * (1 + (width + 7) // 8)
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(min(height, 2000))) + compressor.flush()
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


@pytest.mark.parametrize("size", [(8000, 6000), (30000, 30000)])
def test_decompression_bombs_are_refused_from_the_header(size):
    bomb = _png_bomb(*size)
    assert len(bomb) < photos.MAX_BYTES
    assert _code(bomb) == "photo_too_many_pixels"


def test_at_most_five_photos():
    photos.check_count(5)
    with pytest.raises(InvalidInput) as err:
        photos.check_count(6)
    assert err.value.code == "too_many_photos"
