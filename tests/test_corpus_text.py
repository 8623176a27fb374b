"""Canonical text: BOM, line breaks, NFC, and the raw -> canonical position map."""
from __future__ import annotations

import random
import unicodedata

from corpus.text import RawText, normalise, normalise_with_map


def test_text_normalise_strips_bom_crlf_cr_and_composes():
    raw = "\ufeffcafe\u0301\r\nline two\rline three\n"
    assert normalise(raw) == "caf\u00e9\nline two\nline three\n"


def test_text_normalise_keeps_inner_zero_width_no_break_space():
    # Only a *leading* U+FEFF is a byte-order mark; inside the text it is content.
    assert normalise("a\ufeffb") == "a\ufeffb"


def test_text_normalise_is_idempotent_and_keeps_non_bmp():
    raw = "跨城\U0001F600通办\U00020000\r\n"
    once = normalise(raw)
    assert once == "跨城\U0001F600通办\U00020000\n"
    assert normalise(once) == once


def test_text_normalise_maps_compatibility_ideograph_to_unified():
    # U+F900 is a CJK compatibility ideograph; NFC maps it to U+8C48 (same length).
    assert normalise("\uf900") == "\u8c48"


def test_text_map_by_hand_for_bom_and_line_breaks():
    text, m = normalise_with_map("\ufeffa\r\nb\rc")
    assert text == "a\nb\nc"
    # raw boundaries: 0|BOM|1 a 2 \r 3 \n 4 b 5 \r 6 c 7
    assert m.tolist() == [0, 0, 1, 1, 2, 3, 4, 5]


def test_text_map_by_hand_for_combining_marks():
    # e + acute + dot below: reordered and composed to U+1EB9 (e with dot below) + acute.
    text, m = normalise_with_map("xe\u0301\u0323y")
    assert text == "x\u1eb9\u0301y"
    assert m.tolist() == [0, 1, 1, 1, 3, 4]


def test_text_map_agrees_with_normalise_of_prefixes_on_random_strings():
    alphabet = [
        "a", "e", "\u0301", "\u0323", "\u0308", "\u00e9", "\r", "\n", "\r\n", "\ufeff", "\U0001F4CC",
        "\U00020000", "通", "\u05d0\u05b8", "\u0627", "\u1100", "\u1161", "\u11a8", "\uac00", "\u212b",
        "\uf900", "\U0002F800", "\u0958", "\u0b47", "\u0b3e", "\u0344", "\u0f71", "\u0f72", "\u0f73", " ", "。",
    ]
    rng = random.Random(20240601)
    for _ in range(1500):
        raw = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 25)))
        text, m = normalise_with_map(raw)
        assert text == normalise(raw) == unicodedata.normalize(
            "NFC", raw.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
        )
        assert m[0] == 0 and m[-1] == len(text) and (m[1:] >= m[:-1]).all()
        for i in range(len(raw) + 1):
            head, tail = normalise(raw[:i]), normalise(raw[i:])
            if head + tail == text:  # the boundary i does not cut a group
                assert m[i] == len(head), (raw, i)


def test_text_rawtext_defaults_to_no_warnings():
    assert RawText("x", "utf-8").warnings == []
