"""Legacy Vietnamese encodings: hand-derived bytes, an external oracle, detection, repair."""

from __future__ import annotations

import shutil
import subprocess
import unicodedata

import pytest

from gis.encodings import (
    decode_text,
    detect_encoding,
    fix_mojibake,
    is_vietnamese_syllable,
    normalize_encoding_name,
    vietnamese_word_share,
)
from gis.errors import EncodingError, GisError

NAMES = ["Xã Đắk R'La", "Thị trấn Đắk Mil", "Đức Mạnh", "Trường Tiểu học Nguyễn Du"]

# Derived by hand, letter by letter, from the public code charts (not produced by our code).
# TCVN3: ã=B7 Đ=A7 ắ=BE ị=DE ấ=CA ứ=F8 ạ=B9 ư=AD ờ=EA ể=D3 ọ=E4 ễ=D4.
TCVN3 = [
    b"X\xb7 \xa7\xbek R'La",
    b"Th\xde tr\xcan \xa7\xbek Mil",
    b"\xa7\xf8c M\xb9nh",
    b"Tr\xad\xeang Ti\xd3u h\xe4c Nguy\xd4n Du",
]
# VNI: base letter + mark byte. ngã=F5 nặng=EF sắc=F9 huyền=F8; â+sắc=E1 â+hỏi=E5 â+ngã=E3;
# ă+sắc=E9; single bytes Đ=D1 ư=F6 ơ=F4 ị=F2.
VNI = [
    b"Xa\xf5 \xd1a\xe9k R'La",
    b"Th\xf2 tra\xe1n \xd1a\xe9k Mil",
    b"\xd1\xf6\xf9c Ma\xefnh",
    b"Tr\xf6\xf4\xf8ng Tie\xe5u ho\xefc Nguye\xe3n Du",
]
# CP1258: Đ=D0 ă=E3 â=E2 ê=EA ơ=F5 ư=FD + combining tones: ̀ =CC ́ =EC ̉ =D2 ̃ =DE ̣ =F2.
CP1258 = [
    b"Xa\xde \xd0\xe3\xeck R'La",
    b"Thi\xf2 tr\xe2\xecn \xd0\xe3\xeck Mil",
    b"\xd0\xfd\xecc Ma\xf2nh",
    b"Tr\xfd\xf5\xccng Ti\xea\xd2u ho\xf2c Nguy\xea\xden Du",
]
LEGACY = {"tcvn3": TCVN3, "vni": VNI, "cp1258": CP1258}
CASES = [
    (enc, raw, name) for enc, raws in LEGACY.items() for raw, name in zip(raws, NAMES, strict=True)
]


@pytest.mark.parametrize("encoding,raw,expected", CASES)
def test_hand_derived_bytes_decode_to_nfc(encoding: str, raw: bytes, expected: str) -> None:
    text = decode_text(raw, encoding)
    assert text == expected
    assert unicodedata.is_normalized("NFC", text)


@pytest.mark.parametrize("encoding,raw,expected", CASES)
def test_detection_of_each_single_value(encoding: str, raw: bytes, expected: str) -> None:
    assert detect_encoding([raw]) == encoding


@pytest.mark.parametrize("encoding", list(LEGACY))
def test_detection_of_a_column(encoding: str) -> None:
    samples = [b"Thon 1", b"", *LEGACY[encoding], b"Buon Ea"]
    assert detect_encoding(samples) == encoding


def test_utf8_wins_and_is_normalised() -> None:
    for form in ("NFC", "NFD"):
        raw = [unicodedata.normalize(form, n).encode() for n in NAMES]
        assert detect_encoding(raw) == "utf-8"
        assert [decode_text(r, "utf-8") for r in raw] == NAMES


def test_ascii_stays_ascii() -> None:
    raw = b"Thon 3, Buon Ea Pot (K'Ring)"
    for encoding in ("utf-8", "cp1258", "tcvn3", "vni"):
        assert decode_text(raw, encoding) == raw.decode("ascii")
    assert detect_encoding([raw, b"Mil"]) == "utf-8"
    assert detect_encoding([]) == "utf-8"
    assert fix_mojibake("Dak Mil") == "Dak Mil"


# --- TCVN3 against an external implementation (glibc iconv, "TCVN5712-1" = VN1 ⊃ VN3) ----

ALL_LETTERS = (
    "".join(
        unicodedata.normalize("NFC", base + tone)
        for base in "aăâeêioôơuưyAĂÂEÊIOÔƠUƯY"
        for tone in ("", "\u0301", "\u0300", "\u0309", "\u0303", "\u0323")
    )
    + "đĐ"
)


def iconv(data: bytes, src: str, dst: str) -> bytes:
    if shutil.which("iconv") is None:
        pytest.skip("iconv not installed")
    done = subprocess.run(
        ["iconv", "-f", src, "-t", dst], input=data, capture_output=True, check=False
    )
    if done.returncode != 0:
        pytest.skip(f"iconv cannot convert {src} to {dst}")
    return done.stdout


def test_tcvn3_table_matches_glibc_byte_for_byte() -> None:
    codes = [b for b in range(1, 256) if b < 0x20 or b >= 0x80]
    for code in codes:
        expected = unicodedata.normalize(
            "NFC", iconv(bytes([code]), "TCVN5712-1", "UTF-8").decode()
        )
        assert decode_text(bytes([code]), "tcvn3") == expected, hex(code)


def test_tcvn3_decodes_glibc_encoded_letters() -> None:
    raw = iconv(" ".join(ALL_LETTERS).encode(), "UTF-8", "TCVN5712-1")
    assert decode_text(raw, "tcvn3") == " ".join(ALL_LETTERS)


# --- VNI against an encoder written here from the VNI chart --------------------------------

VNI_TONE = {"\u0301": 0xF9, "\u0300": 0xF8, "\u0309": 0xFB, "\u0303": 0xF5, "\u0323": 0xEF}
VNI_CIRC = {
    "": 0xE2,
    "\u0301": 0xE1,
    "\u0300": 0xE0,
    "\u0309": 0xE5,
    "\u0303": 0xE3,
    "\u0323": 0xE4,
}
VNI_BREVE = {
    "": 0xEA,
    "\u0301": 0xE9,
    "\u0300": 0xE8,
    "\u0309": 0xFA,
    "\u0303": 0xFC,
    "\u0323": 0xEB,
}
VNI_I = {"\u0301": 0xED, "\u0300": 0xEC, "\u0309": 0xE6, "\u0303": 0xF3, "\u0323": 0xF2}


def vni_encode_letter(letter: str) -> bytes:
    """Encode one letter as VNI-Windows would, capitals using the capital mark bytes."""
    upper = letter.isupper()
    shift = 0x20 if upper else 0

    def mark(code: int) -> bytes:
        return bytes([code - shift])

    if letter in "đĐ":
        return mark(0xF1)
    decomposed = unicodedata.normalize("NFD", letter)
    base, marks = decomposed[0], decomposed[1:]
    modifier = next((m for m in marks if m in "\u0302\u0306\u031b"), "")
    tone = next((m for m in marks if m not in "\u0302\u0306\u031b"), "")
    if modifier == "\u0302":
        return base.encode() + mark(VNI_CIRC[tone])
    if modifier == "\u0306":
        return base.encode() + mark(VNI_BREVE[tone])
    head = mark({"o": 0xF4, "u": 0xF6}[base.lower()]) if modifier == "\u031b" else base.encode()
    if base in "iI" and tone:
        return mark(VNI_I[tone])
    if base in "yY" and tone == "\u0323":
        return mark(0xEE)
    return head + (mark(VNI_TONE[tone]) if tone else b"")


def vni_encode(text: str) -> bytes:
    return b"".join(c.encode() if c.isascii() else vni_encode_letter(c) for c in text)


def test_vni_every_letter_both_cases() -> None:
    for letter in ALL_LETTERS:
        assert decode_text(vni_encode_letter(letter), "vni") == letter, letter
        assert decode_text(b"t" + vni_encode_letter(letter) + b"n", "vni") == f"t{letter}n", letter


def test_vni_encoder_agrees_with_hand_literals() -> None:
    assert [vni_encode(n) for n in NAMES] == VNI


def test_vni_case_of_marks_follows_the_base_letter() -> None:
    assert decode_text(b"\xd1A\xc9K MIL", "vni") == "ĐẮK MIL"  # capital marks
    assert decode_text(b"\xd1a\xc9k", "vni") == "Đắk"  # capital mark on a small letter
    # A mark byte with nothing to attach to stays the CP1252 character it looks like.
    assert decode_text(b"k\xf9", "vni") == "kù"
    assert decode_text(b"a\xf9\xf9", "vni") == "áù"


def test_cp1258_precomposed_and_combining_forms() -> None:
    assert decode_text(b"Ho\xe0 Bi\xccnh", "cp1258") == "Hoà Bình"
    assert decode_text(b"\xe1", "cp1258") == "á"


# --- repairing GDAL's Latin-1 / CP1252 reading --------------------------------------------


@pytest.mark.parametrize("encoding,raw,expected", CASES)
def test_fix_mojibake_legacy_read_as_cp1252(encoding: str, raw: bytes, expected: str) -> None:
    assert fix_mojibake(raw.decode("cp1252")) == expected
    assert fix_mojibake(raw.decode("latin-1")) == expected


def test_fix_mojibake_utf8_read_as_latin1() -> None:
    for name in NAMES:
        assert fix_mojibake(name.encode().decode("latin-1")) == name


@pytest.mark.parametrize("text", [*NAMES, "Xã Hòa", "Hồ Chí Minh", "Café", "Đắk Mil 東"])
def test_fix_mojibake_leaves_good_text_alone(text: str) -> None:
    assert fix_mojibake(text) == text


# --- names, errors, the syllable heuristic ------------------------------------------------


def test_encoding_names() -> None:
    assert normalize_encoding_name("UTF8") == "utf-8"
    assert normalize_encoding_name("65001") == "utf-8"
    assert normalize_encoding_name("1258") == "cp1258"
    assert normalize_encoding_name("Windows-1258") == "cp1258"
    assert normalize_encoding_name("TCVN") == "tcvn3"
    assert normalize_encoding_name("ABC") == "tcvn3"
    assert normalize_encoding_name("VNI-Windows") == "vni"


def test_errors() -> None:
    with pytest.raises(EncodingError) as info:
        decode_text(b"abc", "koi8-r")
    assert isinstance(info.value, GisError)
    assert info.value.code == "unknown_encoding"
    assert "Bảng mã không được hỗ trợ" in info.value.message
    assert "Unsupported text encoding" in info.value.message
    with pytest.raises(EncodingError):
        decode_text(b"\xa7\xbek", "utf-8")
    assert decode_text(b"\xa7\xbek", "utf-8", errors="replace") == "\ufffd\ufffdk"


VALID = (
    "Xã Đắk Thị trấn Đức Mạnh Trường Tiểu học Nguyễn Quảng giữ gì người khuỷu hoà hòa Krông "
    "Búk Jút Lắk Buôn Thuột huỳnh hoặc xuân Huế thuở khuya ngoài muối yêu khuấy xoáy quốc quá "
    "giếng Ê Đê Cư Chư Nâm Nông Phước Nghĩa ĐẮK"
)
INVALID = "Xaị éýỡc Maũnh Xă ẹaộk §¾k Ñaék Xaõ hoaà tiềp càp Tröôøng"


@pytest.mark.parametrize("word", VALID.split(" "))
def test_valid_syllables(word: str) -> None:
    assert is_vietnamese_syllable(word)


@pytest.mark.parametrize("word", INVALID.split(" "))
def test_invalid_syllables(word: str) -> None:
    assert not is_vietnamese_syllable(word)


def test_word_share_ignores_ascii_words() -> None:
    assert vietnamese_word_share(["Thon 1 Đắk Mil", "§¾k"]) == 0.5
    assert vietnamese_word_share(["ASCII only"]) == 0.0
