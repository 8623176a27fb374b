"""Plain-text decoding: BOMs, UTF-8, GB18030, Big5, overrides, refusals and warnings."""
from __future__ import annotations

import codecs
import random

import pytest

from corpus.errors import CorpusError
from corpus.read_txt import read_txt

POLICY = "03_北京市推进京津冀社会保障卡一卡通规定_2024.txt"


def _policy_text(shared):
    return shared("policy_docs", POLICY).read_text(encoding="utf-8")


def test_read_txt_same_chinese_text_in_five_encodings_is_identical(shared):
    text = _policy_text(shared)
    variants = {
        "utf-8": text.encode("utf-8"),
        "utf-8-sig": codecs.BOM_UTF8 + text.encode("utf-8"),
        "utf-16-le": text.encode("utf-16"),  # Python writes a BOM (little-endian here)
        "utf-16-be": codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
        "gb18030": text.encode("gb18030"),
    }
    for expected_codec, data in variants.items():
        raw = read_txt(data, f"{expected_codec}.txt")
        assert raw.text == text, expected_codec
        assert raw.encoding == expected_codec
        assert raw.warnings == []


def test_read_txt_crlf_and_decomposed_letters_are_canonicalised(shared):
    text = _policy_text(shared)
    assert "\r" not in text
    raw = read_txt(text.replace("\n", "\r\n").encode("gb18030"), "crlf.txt")
    assert raw.text == text
    assert read_txt("Cafe\u0301\rnai\u0308ve".encode("utf-8"), "nfd.txt").text == "Caf\u00e9\nna\u00efve"


def test_read_txt_short_gb18030_is_decoded_with_a_warning():
    # charset-normalizer alone reads these 8 bytes as Big5 (輻傑籵域).
    raw = read_txt("跨城通办".encode("gb18030"), "short.txt")
    assert raw.text == "跨城通办"
    assert raw.encoding == "gb18030"
    assert "only 4 Chinese characters" in raw.warnings[0]


def test_read_txt_big5_traditional_text():
    text = "政務服務「跨省通辦」是指企業和群眾辦理政務服務事項時，可以在異地辦理。"
    raw = read_txt(text.encode("big5"), "tw.txt")
    assert (raw.text, raw.encoding) == (text, "big5")


def test_read_txt_windows_1252_english_is_preferred_over_other_code_pages():
    text = "Café crème, naïve résumé — “quoted”."
    raw = read_txt(text.encode("cp1252"), "w.txt")
    assert (raw.text, raw.encoding) == (text, "cp1252")
    assert "low confidence" in raw.warnings[0]


def test_read_txt_explicit_encoding_overrides_and_is_checked():
    data = "苏州".encode("gb18030")
    assert read_txt(data, "a.txt", encoding="gb18030").text == "苏州"
    with pytest.raises(CorpusError, match=r"^a\.txt: cannot be decoded as utf-8 \(invalid bytes at byte offset 0\)"):
        read_txt(data, "a.txt", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"^a\.txt: 'klingon' is not a known text encoding"):
        read_txt(data, "a.txt", encoding="klingon")


def test_read_txt_random_bytes_are_refused():
    data = random.Random(3).randbytes(4096)
    with pytest.raises(CorpusError, match=r"^noise\.txt: "):
        read_txt(data, "noise.txt")


def test_read_txt_nul_bytes_are_refused_as_binary():
    with pytest.raises(CorpusError, match="NUL"):
        read_txt(b"abc\x00def", "bin.txt")


def test_read_txt_bad_bytes_after_a_bom_are_refused():
    with pytest.raises(CorpusError, match="utf-8 byte-order mark but is not valid utf-8"):
        read_txt(codecs.BOM_UTF8 + b"ok \xff\xfe", "bom.txt")


def test_read_txt_warns_on_mojibake_and_replacement_characters():
    mojibake = "café crème déjà vu résumé".encode("utf-8").decode("cp1252").encode("utf-8")
    raw = read_txt(mojibake, "m.txt")
    assert raw.text.startswith("cafÃ©")
    assert any("mojibake" in w for w in raw.warnings)
    raw = read_txt("lost \ufffd here".encode("utf-8"), "r.txt")
    assert any("U+FFFD" in w for w in raw.warnings)
