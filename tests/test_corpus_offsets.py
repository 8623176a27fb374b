"""Offset conversions at the edges: UTF-16 units, UTF-8 bytes, CRLF."""
from __future__ import annotations

import random

import pytest

from corpus.errors import OffsetError
from corpus.offsets import (
    OffsetIndex,
    crlf_offset,
    from_crlf_offset,
    from_utf8_bytes,
    from_utf16,
    to_utf8_bytes,
    to_utf16,
)
from corpus.readers import read_file

PHRASE = "跨省通办"


def test_offsets_policy_phrase_slices_exactly_with_non_bmp_inserted(shared):
    text = read_file(shared("policy_docs", "03_北京市推进京津冀社会保障卡一卡通规定_2024.txt")).text
    start = text.find(PHRASE)
    assert start > 0
    assert text[start : start + len(PHRASE)] == PHRASE
    assert all(ord(c) <= 0xFFFF for c in text)  # so the shifts below are exactly the inserted ones
    assert to_utf16(text, start) == start

    shifted = "\U0001F600" + text[:start] + "\U00020000" + text[start:]
    s = start + 2
    assert shifted[s : s + len(PHRASE)] == PHRASE
    # each character above U+FFFF before the phrase adds one UTF-16 unit
    assert to_utf16(shifted, s) == s + 2
    assert to_utf16(shifted, s + len(PHRASE)) == s + len(PHRASE) + 2
    assert from_utf16(shifted, s + 2) == s
    assert from_utf16(shifted, s + len(PHRASE) + 2) == s + len(PHRASE)
    # the emoji occupies units 0 and 1: unit 1 is between its surrogates
    assert to_utf16(shifted, 1) == 2
    with pytest.raises(OffsetError, match="surrogate"):
        from_utf16(shifted, 1)
    with pytest.raises(OffsetError, match="surrogate"):
        from_utf16(shifted, s + 1)  # between the halves of U+20000 (units s, s + 1)


def test_offsets_utf8_bytes_by_hand():
    text = "a通\U00020000\u00e9"  # widths 1, 3, 4, 2 bytes (docs/qda.md table)
    assert [to_utf8_bytes(text, i) for i in range(5)] == [0, 1, 4, 8, 10]
    assert [from_utf8_bytes(text, b) for b in (0, 1, 4, 8, 10)] == [0, 1, 2, 3, 4]
    for inside in (2, 3, 5, 6, 7, 9):
        with pytest.raises(OffsetError, match="inside a multi-byte"):
            from_utf8_bytes(text, inside)


def test_offsets_crlf_by_hand():
    text = "ab\ncd\ne"  # CRLF rendering: a b \r \n c d \r \n e
    assert crlf_offset(text, 3) == 4  # 'c'
    assert crlf_offset(text, 6) == 8  # 'e'
    assert from_crlf_offset(text, 4) == 3
    assert from_crlf_offset(text, 8) == 6
    with pytest.raises(OffsetError, match=r"\\r and the \\n"):
        from_crlf_offset(text, 3)


def test_offsets_out_of_range_and_non_integers_are_refused():
    with pytest.raises(OffsetError, match="outside"):
        to_utf16("abc", 4)
    with pytest.raises(OffsetError, match="outside"):
        from_utf16("a\U0001F600", 4)  # UTF-16 length is 3
    with pytest.raises(OffsetError, match="not an integer"):
        to_utf8_bytes("abc", 1.0)
    with pytest.raises(OffsetError):
        crlf_offset("abc", -1)
    assert issubclass(OffsetError, ValueError)


def test_offsets_index_agrees_with_encoders_on_random_text():
    rng = random.Random(7)
    alphabet = ["a", "通", "\U0001F4CC", "\U00020000", "\u00e9", "\n", "\u05d0", " "]
    text = "".join(rng.choice(alphabet) for _ in range(400))
    index = OffsetIndex(text)
    positions = list(range(len(text) + 1))
    # independent reference: lengths of encoded prefixes
    u16 = [len(text[:i].encode("utf-16-le")) // 2 for i in positions]
    u8 = [len(text[:i].encode("utf-8")) for i in positions]
    crlf = [len(text[:i].replace("\n", "\r\n")) for i in positions]
    assert index.to_utf16(positions).tolist() == u16
    assert index.from_utf16(u16).tolist() == positions
    assert index.to_utf8_bytes(positions).tolist() == u8
    assert index.from_utf8_bytes(u8).tolist() == positions
    assert index.to_crlf(positions).tolist() == crlf
    assert index.from_crlf(crlf).tolist() == positions
    assert index.utf16_length == len(text.encode("utf-16-le")) // 2


def test_conversions_on_text_without_two_unit_characters():
    """from_utf16 on text with no character above U+FFFF, and from_crlf on text with no line
    break, raised IndexError; both are the identity there (checked by hand)."""
    from corpus.offsets import OffsetIndex, from_crlf_offset, from_utf16

    for text in ("plain ASCII", "中文没有换行也没有增补字符", ""):
        n = len(text)
        assert [from_utf16(text, u) for u in range(n + 1)] == list(range(n + 1))
        assert [from_crlf_offset(text, j) for j in range(n + 1)] == list(range(n + 1))
        table = OffsetIndex(text)
        assert table.from_utf16(range(n + 1)).tolist() == list(range(n + 1))
        assert table.from_crlf(range(n + 1)).tolist() == list(range(n + 1))
