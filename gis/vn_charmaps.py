"""Byte tables for the two legacy Vietnamese font encodings, TCVN3 and VNI-Windows.

Why: Vietnamese GIS data from the 1990s–2010s (MapInfo, ArcView, MicroStation exports,
district .dbf files) stores names in font encodings that no standard codec knows.
Python has ``cp1258`` but nothing for these two, so their tables live here as data.

Written from, and checked against, public descriptions of the encodings:

* TCVN3 ("ABC", TCVN 5712:1993 VN3): one byte per letter. Lowercase letters with tone
  marks and the seven modified letters ă â ê ô ơ ư đ (plus capitals Ă Â Ê Ô Ơ Ư Đ).
  VN3 has no toned capitals — those came from the ".VnTimeH" capital fonts, which reuse
  the lowercase codes, so such text decodes to lowercase. The slots VN3 leaves empty are
  filled with the toned capitals of VN1 (the full TCVN 5712:1993 table, which glibc and
  libiconv ship as "TCVN5712-1"), so VN1 data decodes too; 0xB0–0xB4 are VN1's
  combining tone marks. Cross-checked byte by byte with glibc's TCVN5712-1 in the tests.
* VNI-Windows: a base letter followed by a "mark byte" that the VNI fonts draw as an
  accent. Lowercase mark bytes are 0xE0–0xFF; the capital variants (drawn higher, for
  capitals) are the same byte minus 0x20. A few letters are single bytes (ơ ư đ and the
  toned i's, ỵ). Checked against the VNI table in the xvnkb keyboard driver sources.
"""

from __future__ import annotations

import unicodedata
from typing import Final

#: Combining tone marks in the usual keyboard order: sắc, huyền, hỏi, ngã, nặng.
ACUTE, GRAVE, HOOK, TILDE, DOT = "\u0301", "\u0300", "\u0309", "\u0303", "\u0323"
TONES: Final = (ACUTE, GRAVE, HOOK, TILDE, DOT)
CIRCUMFLEX, BREVE, HORN = "\u0302", "\u0306", "\u031b"

# ---- TCVN3 ------------------------------------------------------------------------------
# For each lowercase vowel: the byte of the bare letter, then of sắc, huyền, hỏi, ngã, nặng.
TCVN3_LOWER_VOWELS: Final[dict[str, tuple[int, int, int, int, int, int]]] = {
    "a": (0x61, 0xB8, 0xB5, 0xB6, 0xB7, 0xB9),
    "ă": (0xA8, 0xBE, 0xBB, 0xBC, 0xBD, 0xC6),
    "â": (0xA9, 0xCA, 0xC7, 0xC8, 0xC9, 0xCB),
    "e": (0x65, 0xD0, 0xCC, 0xCE, 0xCF, 0xD1),
    "ê": (0xAA, 0xD5, 0xD2, 0xD3, 0xD4, 0xD6),
    "i": (0x69, 0xDD, 0xD7, 0xD8, 0xDC, 0xDE),
    "o": (0x6F, 0xE3, 0xDF, 0xE1, 0xE2, 0xE4),
    "ô": (0xAB, 0xE8, 0xE5, 0xE6, 0xE7, 0xE9),
    "ơ": (0xAC, 0xED, 0xEA, 0xEB, 0xEC, 0xEE),
    "u": (0x75, 0xF3, 0xEF, 0xF1, 0xF2, 0xF4),
    "ư": (0xAD, 0xF8, 0xF5, 0xF6, 0xF7, 0xF9),
    "y": (0x79, 0xFD, 0xFA, 0xFB, 0xFC, 0xFE),
}
#: Capitals: bare letter (None = plain ASCII), then sắc, huyền, hỏi, ngã, nặng (VN1 slots).
TCVN3_UPPER_VOWELS: Final[dict[str, tuple[int | None, int, int, int, int, int]]] = {
    "A": (None, 0x83, 0x80, 0x81, 0x82, 0x84),
    "Ă": (0xA1, 0xC0, 0xAF, 0xBA, 0xBF, 0x85),
    "Â": (0xA2, 0xC4, 0xC1, 0xC2, 0xC3, 0x86),
    "E": (None, 0x8A, 0x87, 0x88, 0x89, 0x8B),
    "Ê": (0xA3, 0xDA, 0xC5, 0xCD, 0xD9, 0x8C),
    "I": (None, 0x90, 0x8D, 0x8E, 0x8F, 0x91),
    "O": (None, 0x95, 0x92, 0x93, 0x94, 0x96),
    "Ô": (0xA4, 0xFF, 0xDB, 0xE0, 0xF0, 0x97),
    "Ơ": (0xA5, 0x9B, 0x98, 0x99, 0x9A, 0x9C),
    "U": (None, 0x01, 0x9D, 0x9E, 0x9F, 0x02),
    "Ư": (0xA6, 0x11, 0x04, 0x05, 0x06, 0x12),
    "Y": (None, 0x16, 0x13, 0x14, 0x15, 0x17),
}
TCVN3_OTHER: Final[dict[int, str]] = {
    0xA7: "Đ",
    0xAE: "đ",
    0xA0: "\u00a0",
    0xB0: GRAVE,
    0xB1: HOOK,
    0xB2: TILDE,
    0xB3: ACUTE,
    0xB4: DOT,
}


def _compose(base: str, tone_index: int) -> str:
    return unicodedata.normalize("NFC", base + (TONES[tone_index - 1] if tone_index else ""))


def _build_tcvn3() -> dict[int, str]:
    table: dict[int, str] = dict(TCVN3_OTHER)
    for vowels in (TCVN3_LOWER_VOWELS, TCVN3_UPPER_VOWELS):
        for base, codes in vowels.items():
            for tone_index, code in enumerate(codes):
                if code is not None and not 0x20 <= code < 0x80:
                    table[code] = _compose(base, tone_index)
    return table


#: Byte → text for every byte that differs from Latin-1 (``str.translate`` table keys).
TCVN3_DECODE: Final[dict[int, str]] = _build_tcvn3()

# ---- VNI-Windows --------------------------------------------------------------------------
# Mark bytes (lowercase form; the capital form is the byte minus 0x20) → combining marks.
VNI_TONE_MARKS: Final[dict[int, str]] = {
    0xF9: ACUTE, 0xF8: GRAVE, 0xFB: HOOK, 0xF5: TILDE, 0xEF: DOT,
}  # fmt: skip
VNI_CIRCUMFLEX_MARKS: Final[dict[int, str]] = {
    0xE2: "", 0xE1: ACUTE, 0xE0: GRAVE, 0xE5: HOOK, 0xE3: TILDE, 0xE4: DOT,
}  # fmt: skip
VNI_BREVE_MARKS: Final[dict[int, str]] = {
    0xEA: "", 0xE9: ACUTE, 0xE8: GRAVE, 0xFA: HOOK, 0xFC: TILDE, 0xEB: DOT,
}  # fmt: skip
#: Letters that VNI writes as one byte (lowercase form; capital = byte minus 0x20).
VNI_LETTERS: Final[dict[int, str]] = {
    0xF4: "ơ", 0xF6: "ư", 0xF1: "đ", 0xEE: "ỵ",
    0xED: "í", 0xEC: "ì", 0xE6: "ỉ", 0xF3: "ĩ", 0xF2: "ị",
}  # fmt: skip

#: Which bare letters may carry which kind of mark byte.
VNI_TAKES_TONE: Final = frozenset("aeiouyơưAEIOUYƠƯ")
VNI_TAKES_CIRCUMFLEX: Final = frozenset("aeoAEO")
VNI_TAKES_BREVE: Final = frozenset("aA")


def _both_cases(table: dict[int, str], *, upper_value: bool) -> dict[int, str]:
    out = dict(table)
    for code, text in table.items():
        out[code - 0x20] = text.upper() if upper_value else text
    return out


#: Mark byte (either case) → (kind, combining text); kind is "tone", "circumflex", "breve".
VNI_MARKS: Final[dict[int, tuple[str, str]]] = {
    **{b: ("tone", m) for b, m in _both_cases(VNI_TONE_MARKS, upper_value=False).items()},
    **{
        b: ("circumflex", CIRCUMFLEX + m)
        for b, m in _both_cases(VNI_CIRCUMFLEX_MARKS, upper_value=False).items()
    },
    **{b: ("breve", BREVE + m) for b, m in _both_cases(VNI_BREVE_MARKS, upper_value=False).items()},
}
#: Single-byte letter (either case) → letter.
VNI_SINGLE: Final[dict[int, str]] = _both_cases(VNI_LETTERS, upper_value=True)
