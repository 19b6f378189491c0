"""Decode (and detect) the text encodings found in old Vietnamese .dbf attribute tables.

Why: a shapefile's .dbf rarely says how its names are encoded, and GDAL assumes
Latin-1/CP1252 when it has no .cpg, so "Đắk Mil" typed in TCVN3 arrives as "§¾k Mil".
This module decodes UTF-8, CP1258, TCVN3 and VNI to NFC Unicode, guesses which of them a
file uses from a few sample values, and repairs strings GDAL already mis-decoded. The
guess scores each candidate by how many decoded words are well-formed Vietnamese
syllables (a small phonotactic check: initial + nucleus + final, one tone mark on the
right vowel, no huyền/hỏi/ngã before -c -ch -p -t). Tables: :mod:`gis.vn_charmaps`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Final, Literal

from gis.errors import EncodingError
from gis.vn_charmaps import (
    TCVN3_DECODE,
    TONES,
    VNI_MARKS,
    VNI_SINGLE,
    VNI_TAKES_BREVE,
    VNI_TAKES_CIRCUMFLEX,
    VNI_TAKES_TONE,
)

ENCODINGS: Final = ("utf-8", "cp1258", "tcvn3", "vni")
#: Legacy candidates in tie-break order (TCVN3 was by far the most used in government data).
LEGACY: Final = ("tcvn3", "vni", "cp1258")
_ALIASES: Final = {
    "utf8": "utf-8", "65001": "utf-8", "cp65001": "utf-8",
    "cp1258": "cp1258", "1258": "cp1258", "windows1258": "cp1258", "ansi1258": "cp1258",
    "tcvn3": "tcvn3", "tcvn": "tcvn3", "abc": "tcvn3", "vn3": "tcvn3", "tcvn5712": "tcvn3",
    "tcvn57121": "tcvn3", "vni": "vni", "vniwindows": "vni", "vniwin": "vni",
}  # fmt: skip
Errors = Literal["strict", "replace"]


def normalize_encoding_name(encoding: str) -> str:
    """Canonical name ("utf-8", "cp1258", "tcvn3", "vni") for common spellings and .cpg values."""
    key = re.sub(r"[^a-z0-9]", "", encoding.lower())
    try:
        return _ALIASES[key]
    except KeyError:
        raise EncodingError(
            f"Bảng mã không được hỗ trợ: {encoding!r} (hỗ trợ: {', '.join(ENCODINGS)}). / "
            f"Unsupported text encoding {encoding!r} (supported: {', '.join(ENCODINGS)})."
        ) from None


def _decode_vni(data: bytes) -> str:
    out: list[str] = []
    markable = ""  # which mark kinds the previous character may still take
    for byte in data:
        mark = VNI_MARKS.get(byte)
        if mark is not None and mark[0] in markable:
            out.append(mark[1])
            markable = ""
            continue
        if byte in VNI_SINGLE:
            char = VNI_SINGLE[byte]
        elif byte < 0x80:
            char = chr(byte)
        else:
            char = _single_byte_fallback(byte)
        out.append(char)
        markable = "".join(
            kind
            for kind, letters in (
                ("tone", VNI_TAKES_TONE),
                ("circumflex", VNI_TAKES_CIRCUMFLEX),
                ("breve", VNI_TAKES_BREVE),
            )
            if char in letters
        )
    return "".join(out)


def _single_byte_fallback(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return chr(byte)


def decode_text(data: bytes, encoding: str, errors: Errors = "strict") -> str:
    """Decode ``data`` from ``encoding`` to NFC Unicode.

    TCVN3 and VNI map every byte; UTF-8 and CP1258 raise :class:`EncodingError` on
    invalid bytes unless ``errors="replace"``.
    """
    name = normalize_encoding_name(encoding)
    if name == "tcvn3":
        text = data.decode("latin-1").translate(TCVN3_DECODE)
    elif name == "vni":
        text = _decode_vni(data)
    else:
        try:
            text = data.decode(name, errors=errors)
        except UnicodeDecodeError as exc:
            raise EncodingError(
                f"Dữ liệu không phải {name} hợp lệ (byte {exc.start}). / "
                f"Bytes are not valid {name} (at byte {exc.start})."
            ) from exc
    return unicodedata.normalize("NFC", text)


# ---- Vietnamese syllable heuristic ------------------------------------------------------

_VOWELS: Final = frozenset("aăâeêioôơuưy")
_MODIFIED: Final = frozenset("ăâêôơư")
_CONSONANTS: Final = frozenset("bcdđfghjklmnpqrstvwxz")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Nuclei that end in a glide, so they can't take a final consonant.
_OPEN_ONLY: Final = _words(
    "ai ao au ay âu ây eo êu ia iu oi ôi ơi ua ui ưa ưi ưu oai oay oao oeo uây uôi ươi ươu "
    "iêu yêu uya uyu"
)
_OPEN_OK: Final = _OPEN_ONLY | _words("a e ê i o ô ơ u ư y oa oe uy uê uơ")
_CLOSED_OK: Final = _words("a ă â e ê i o ô ơ u ư y iê yê oa oă oe oo uâ uê uô ươ uy uyê")
_FINALS: Final = frozenset(["", "c", "ch", "m", "n", "ng", "nh", "p", "t", "k", "l"])
_STOPS: Final = frozenset(["c", "ch", "p", "t", "k"])
_TONE_SET: Final = frozenset(TONES)
_SPLIT: Final = re.compile(r"[\s!-@\[-`{-~]+")  # whitespace, ASCII digits and punctuation


def _tone_position(word: str) -> tuple[str, int, str] | None:
    """(toneless NFC word, index of the toned letter or -1, tone mark) or None if >1 tone."""
    letters: list[str] = []
    position, tone = -1, ""
    for char in word:
        decomposed = unicodedata.normalize("NFD", char)
        marks = [c for c in decomposed if c in _TONE_SET]
        if marks:
            if tone or len(marks) > 1:
                return None
            position, tone = len(letters), marks[0]
        letters.append(
            unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONE_SET))
        )
    return "".join(letters), position, tone


def is_vietnamese_syllable(word: str) -> bool:
    """Whether ``word`` is a well-formed Vietnamese (or Tây Nguyên place-name) syllable."""
    parsed = _tone_position(unicodedata.normalize("NFC", word).lower())
    if parsed is None:
        return False
    base, tone_at, tone = parsed
    if not base or any(c not in _VOWELS and c not in _CONSONANTS for c in base):
        return False
    run = len(base) - len(base.lstrip("".join(_CONSONANTS)))
    starts = {run}
    if base.startswith(("qu", "gi")) and len(base) > 2 and base[2] in _VOWELS:
        starts.add(2)
    return any(_rhyme_ok(base, start, tone_at, tone) for start in starts)


def _rhyme_ok(base: str, start: int, tone_at: int, tone: str) -> bool:
    rest = base[start:]
    nucleus = rest[: len(rest) - len(rest.lstrip("".join(_VOWELS)))]
    final = rest[len(nucleus) :]
    if not nucleus or final not in _FINALS:
        return False
    if nucleus not in (_CLOSED_OK if final else _OPEN_OK):
        return False
    if final in _STOPS and tone not in ("", TONES[0], TONES[4]):
        return False
    if tone_at < 0:
        return True
    index = tone_at - start
    return 0 <= index < len(nucleus) and index in _tone_slots(nucleus, bool(final))


def _tone_slots(nucleus: str, closed: bool) -> set[int]:
    modified = [i for i, c in enumerate(nucleus) if c in _MODIFIED]
    if modified:
        return {modified[-1]}
    if closed or len(nucleus) == 1:
        return {len(nucleus) - 1}
    if nucleus in ("oa", "oe", "uy"):
        return {0, 1}  # old style "hoà", new style "hòa"
    return {1} if len(nucleus) == 3 else {0}


def vietnamese_word_share(texts: Iterable[str]) -> float:
    """Share of non-ASCII words in ``texts`` that are valid Vietnamese syllables (0..1)."""
    good = total = 0
    for text in texts:
        for token in _SPLIT.split(text):
            if token and not token.isascii():
                total += 1
                good += is_vietnamese_syllable(token)
    return good / total if total else 0.0


def detect_encoding(samples: list[bytes]) -> str:
    """Most likely encoding of ``samples`` (e.g. a few string values from one .dbf).

    All-ASCII → "utf-8"; valid UTF-8 with non-ASCII → "utf-8"; otherwise the legacy
    encoding whose decoding reads most like Vietnamese (ties: TCVN3, VNI, CP1258).
    """
    non_ascii = [s for s in samples if not s.isascii()]
    if not non_ascii:
        return "utf-8"
    try:
        for sample in non_ascii:
            sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    scores = {
        enc: vietnamese_word_share(decode_text(s, enc, errors="replace") for s in non_ascii)
        for enc in LEGACY
    }
    return max(LEGACY, key=lambda enc: scores[enc])


def _as_single_bytes(text: str) -> bytes | None:
    """The bytes a Latin-1/CP1252 decoder turned into ``text``, or None if it can't be."""
    out = bytearray()
    for char in text:
        try:
            out += char.encode("cp1252")
        except UnicodeEncodeError:
            if ord(char) > 0xFF:
                return None
            out.append(ord(char))
    return bytes(out)


def fix_mojibake(text: str) -> str:
    """Repair a string whose TCVN3/VNI/CP1258/UTF-8 bytes were read as Latin-1/CP1252.

    Returns the re-decoded text only when it reads as better Vietnamese than the input,
    so correct text (including plain ASCII) comes back unchanged.
    """
    if text.isascii():
        return text
    raw = _as_single_bytes(text)
    if raw is None:
        return text
    best, best_score = text, vietnamese_word_share([text])
    for enc in ("utf-8", *LEGACY):
        try:
            candidate = decode_text(raw, enc)
        except EncodingError:
            continue
        score = vietnamese_word_share([candidate])
        if score > best_score:
            best, best_score = candidate, score
    return best
